package pt

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/pt/pttest"
)

func seedTensors() []pttest.Tensor {
	return []pttest.Tensor{
		{Name: "a", DType: "F32", Shape: []int{2, 3}, Storage: make([]byte, 24)},
		{Name: "b", DType: "F16", Shape: []int{3, 2}, Stride: []int{1, 3}, Storage: make([]byte, 12)},
	}
}

// FuzzPickle: no pickle makes the reader panic, allocate beyond its input
// or resolve a global outside the allow-list.
func FuzzPickle(f *testing.F) {
	f.Add(pttest.StateDict(seedTensors()))
	f.Add(pttest.HostilePickle("touch /tmp/x"))
	f.Add([]byte("\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02eu."))
	f.Add([]byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."))
	if dir := testref.Shared(); dir != "" {
		if data, err := os.ReadFile(filepath.Join(dir, "xlstm", "reference", "mixed", "state_dict.pt")); err == nil {
			if p, err := NewReader(bytes.NewReader(data), int64(len(data)), "seed"); err == nil {
				p.Close()
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := unpickle(data)
		if err != nil {
			return
		}
		var p File
		p.tensors = map[string]*tensor{}
		_ = p.collect(obj, nil, "archive")
	})
}

// FuzzZip: no zip makes the checkpoint reader panic; what opens can be read.
func FuzzZip(f *testing.F) {
	var buf bytes.Buffer
	ts := seedTensors()
	pttest.Zip(&buf, pttest.Entries("archive", pttest.StateDict(ts), ts))
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.pt")
		if err != nil {
			return
		}
		for _, n := range p.Names() {
			info, _ := p.Info(n)
			if info.NumElements() > 1<<20 {
				continue
			}
			_ = p.ReadFloat32(n, make([]float32, info.NumElements()))
			_ = p.ReadFloat64(n, make([]float64, info.NumElements()))
		}
	})
}
