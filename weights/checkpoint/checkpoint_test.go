package checkpoint

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/quant"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// TestKinds: a torch zip, a safetensors file, a checkpoint directory, a
// BF16 safetensors file and a bundle of the same weights read alike, whole
// and in ranges.
func TestKinds(t *testing.T) {
	ref := testref.Dir(t, filepath.Join("xlstm", "reference", "mixed"))
	st, err := safetensors.Open(filepath.Join(ref, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tmp := t.TempDir()
	bdir := filepath.Join(tmp, "bundle")
	w, err := bundle.Create(bdir, bundle.Model{Family: "xlstm-lm", ConfigFormat: "yaml", Config: "x: 1\n"}, bundle.Options{ShardSize: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	var bf []safetensors.Tensor
	for _, n := range st.Names() {
		raw, _ := st.Raw(n)
		info, _ := st.Info(n)
		w.Add(n, bundle.F32, info.Shape, 0, raw)
		v, _ := st.Float32(n)
		b := make([]byte, 2*len(v))
		quant.EncodeFloat32("BF16", v, b)
		bf = append(bf, safetensors.Tensor{Name: n, DType: safetensors.BF16, Shape: info.Shape, Data: b})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bfPath := filepath.Join(tmp, "bf16.safetensors")
	safetensors.WriteFile(bfPath, bf, nil)
	cases := []struct {
		path string
		kind Kind
		tol  float64
	}{
		{filepath.Join(ref, "state_dict.pt"), KindPT, 0},
		{filepath.Join(ref, "model.safetensors"), KindSafetensors, 0},
		{ref, KindSafetensors, 0},
		{bdir, KindBundle, 0},
		{bfPath, KindSafetensors, 1.0 / 128},
	}
	for _, c := range cases {
		ck, err := Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Kind != c.kind || len(ck.Names()) != len(st.Names()) {
			t.Fatalf("%s: kind %s, %d tensors", c.path, ck.Kind, len(ck.Names()))
		}
		for _, n := range st.Names() {
			want, _ := st.Float32(n)
			got := make([]float32, len(want))
			if err := ck.ReadFloat32(n, got); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if d := float64(got[i] - want[i]); math.Abs(d) > c.tol*math.Abs(float64(want[i])) {
					t.Fatalf("%s %s[%d] = %v, want %v", c.path, n, i, got[i], want[i])
				}
			}
			if len(want) > 10 {
				part := make([]float32, len(want)-7)
				if err := ck.ReadFloat32At(n, 7, part); err != nil {
					t.Fatal(err)
				}
				if part[0] != got[7] || part[len(part)-1] != got[len(got)-1] {
					t.Fatalf("%s %s: range read differs", c.path, n)
				}
			}
		}
		ck.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "x.safetensors")
	os.WriteFile(garbage, []byte("not a tensor file"), 0o644)
	for _, p := range []string{dir, garbage, filepath.Join(dir, "missing.pt")} {
		if _, err := Open(p); err == nil {
			t.Errorf("%s opened", p)
		}
	}
}

// TestTorchDir: a directory holding only a torch checkpoint opens it.
func TestTorchDir(t *testing.T) {
	ref := testref.Dir(t, filepath.Join("xlstm", "reference", "mixed"))
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(ref, "state_dict.pt"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), data, 0o644)
	ck, err := Open(dir)
	if err != nil || ck.Kind != KindPT || ck.Dir != dir {
		t.Fatalf("open: %v %+v", err, ck)
	}
	ck.Close()
}
