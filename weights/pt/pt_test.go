package pt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/pt/pttest"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestReferenceCheckpoints: every state_dict.pt holds exactly the tensors
// of the set's model.safetensors, bit for bit.
func TestReferenceCheckpoints(t *testing.T) {
	for _, set := range testref.ReferenceSets() {
		t.Run(set, func(t *testing.T) {
			dir := testref.Dir(t, filepath.Join("xlstm", "reference", set))
			p, err := Open(filepath.Join(dir, "state_dict.pt"))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			st, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if len(p.Names()) != len(st.Names()) {
				t.Fatalf("%d tensors, safetensors has %d", len(p.Names()), len(st.Names()))
			}
			for _, n := range p.Names() {
				info, _ := p.Info(n)
				sinfo, ok := st.Info(n)
				if !ok || !slices.Equal(info.Shape, sinfo.Shape) || info.DType != "F32" {
					t.Fatalf("%s: info %+v vs %+v", n, info, sinfo)
				}
				got := make([]float32, info.NumElements())
				if err := p.ReadFloat32(n, got); err != nil {
					t.Fatal(err)
				}
				want, _ := st.Float32(n)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s[%d] = %v, want %v", n, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// encode returns the storage bytes of v in dtype.
func encode(t *testing.T, dtype string, v []float32) []byte {
	t.Helper()
	b := make([]byte, len(v)*quant.ElemSize(dtype))
	if err := quant.EncodeFloat32(dtype, v, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeCkpt(t *testing.T, tensors []pttest.Tensor) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ckpt.pt")
	if err := pttest.WriteFile(path, tensors); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDTypesAndStrides reads F32/F16/BF16/F64 storages with storage offsets
// and non-contiguous strides, whole and in ranges.
func TestDTypesAndStrides(t *testing.T) {
	// storage: 3 + 4*6 values; the tensor is the transpose (6×4) of the
	// 4×6 block starting at element 3.
	vals := make([]float32, 3+24)
	for i := range vals {
		vals[i] = float32(i) * 0.5
	}
	want := make([]float32, 24) // want[r*4+c] = block[c][r]
	for r := 0; r < 6; r++ {
		for c := 0; c < 4; c++ {
			want[r*4+c] = vals[3+c*6+r]
		}
	}
	for _, dt := range []string{"F32", "F16", "BF16", "F64"} {
		tensors := []pttest.Tensor{
			{Name: "t", DType: dt, Shape: []int{6, 4}, Stride: []int{1, 6}, Offset: 3, Storage: encode(t, dt, vals)},
			{Name: "c", DType: dt, Shape: []int{2, 3}, Offset: 3, Storage: encode(t, dt, vals)},
			{Name: "bcast", DType: dt, Shape: []int{3, 2}, Stride: []int{0, 1}, Offset: 1, Storage: encode(t, dt, vals)},
		}
		p, err := Open(writeCkpt(t, tensors))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 24)
		if err := p.ReadFloat32("t", got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s transposed [%d] = %v, want %v", dt, i, got[i], want[i])
			}
		}
		part := make([]float32, 7)
		if err := p.ReadFloat32At("t", 9, part); err != nil {
			t.Fatal(err)
		}
		for i := range part {
			if part[i] != want[9+i] {
				t.Fatalf("%s range [%d] = %v, want %v", dt, 9+i, part[i], want[9+i])
			}
		}
		c := make([]float64, 6)
		if err := p.ReadFloat64("c", c); err != nil {
			t.Fatal(err)
		}
		for i := range c {
			if c[i] != float64(vals[3+i]) {
				t.Fatalf("%s contiguous with offset [%d] = %v, want %v", dt, i, c[i], vals[3+i])
			}
		}
		b := make([]float32, 6)
		if err := p.ReadFloat32("bcast", b); err != nil {
			t.Fatal(err)
		}
		for i := range b {
			if b[i] != vals[1+i%2] {
				t.Fatalf("%s zero stride [%d] = %v", dt, i, b[i])
			}
		}
		if info, _ := p.Info("t"); string(info.DType) != dt {
			t.Fatalf("dtype %s, want %s", info.DType, dt)
		}
		p.Close()
	}
}

// TestHostilePickles: pickles that would run code or build arbitrary
// objects are refused before anything is built.
func TestHostilePickles(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	stackGlobal := []byte{0x80, 4, 0x8c, 2, 'o', 's', 0x8c, 6, 's', 'y', 's', 't', 'e', 'm', 0x93, 0x8c, 1, 'x', 0x85, 'R', '.'}
	cases := []struct {
		name string
		pkl  []byte
		want string
	}{
		{"os.system", pttest.HostilePickle("touch " + marker), "os.system"},
		{"builtins.eval", []byte("cbuiltins\neval\n(X\x01\x00\x00\x001tR."), "builtins.eval"},
		{"stack global", stackGlobal, "os.system"},
		{"INST", []byte("(ios\nsystem\n."), "opcode 0x69"},
		{"NEWOBJ", []byte("\x80\x02)\x81."), "opcode 0x81"},
		{"truncated", []byte("\x80\x02}X\xff\x00\x00\x00ab"), "runs past the end"},
		{"no stop", []byte("\x80\x02}"), "no STOP"},
		{"not a dict", []byte("\x80\x02K\x05."), "not a state_dict"},
		{"bad persid", []byte("\x80\x02}X\x01\x00\x00\x00aK\x01Qs."), "persistent id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := pttest.Zip(&buf, []pttest.Entry{{Name: "archive/data.pkl", Data: c.pkl}}); err != nil {
				t.Fatal(err)
			}
			_, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "hostile.pt")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the marker file exists: the pickle ran a command")
			}
		})
	}
	var ge *GlobalError
	_, err := unpickle(pttest.HostilePickle("true"))
	if !errors.As(err, &ge) || ge.Module != "os" || ge.Name != "system" {
		t.Fatalf("error %v is not a GlobalError for os.system", err)
	}
}

// TestBadFiles: wrong magic, legacy format, truncation, bad storages.
func TestBadFiles(t *testing.T) {
	good := []pttest.Tensor{{Name: "w", DType: "F32", Shape: []int{2, 2}, Storage: encode(t, "F32", []float32{1, 2, 3, 4})}}
	var buf bytes.Buffer
	pttest.Zip(&buf, pttest.Entries("archive", pttest.StateDict(good), good))
	zipped := buf.Bytes()
	bigStride := []pttest.Tensor{{Name: "w", DType: "F32", Shape: []int{2, 2}, Stride: []int{3, 1}, Storage: encode(t, "F32", []float32{1, 2, 3, 4})}}
	short := []pttest.Tensor{{Name: "w", DType: "F32", Shape: []int{2, 2}, Storage: encode(t, "F32", []float32{1, 2, 3, 4})}}
	var sb bytes.Buffer
	pttest.Zip(&sb, pttest.Entries("archive", pttest.StateDict(short), []pttest.Tensor{{Storage: []byte{1, 2}}}))
	var nb bytes.Buffer
	pttest.Zip(&nb, pttest.Entries("archive", pttest.StateDict(bigStride), bigStride))
	var mb bytes.Buffer
	pttest.Zip(&mb, []pttest.Entry{{Name: "archive/data.pkl", Data: pttest.StateDict(good)}})
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"wrong magic", []byte("GARBAGE, not a zip at all"), "wrong magic"},
		{"legacy", []byte{0x80, 0x02, 0x8a, 0x0a}, "legacy"},
		{"truncated", zipped[:len(zipped)/2], "zip"},
		{"empty", nil, "magic"},
		{"storage too small", sb.Bytes(), "holds 2 bytes"},
		{"stride out of range", nb.Bytes(), "reach element"},
		{"missing storage", mb.Bytes(), "missing from the zip"},
	}
	for _, c := range cases {
		_, err := NewReader(bytes.NewReader(c.data), int64(len(c.data)), "bad.pt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := NewReader(bytes.NewReader(zipped), int64(len(zipped)), "good.pt"); err != nil {
		t.Fatalf("good checkpoint: %v", err)
	}
	// A corrupted storage byte fails the CRC check on a whole read.
	i := bytes.Index(zipped, encode(t, "F32", []float32{1, 2, 3, 4}))
	bad := bytes.Clone(zipped)
	bad[i+1] ^= 0xff
	p, err := NewReader(bytes.NewReader(bad), int64(len(bad)), "crc.pt")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadFloat32("w", make([]float32, 4)); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("corrupted storage: error %v", err)
	}
	_ = binary.LittleEndian
}
