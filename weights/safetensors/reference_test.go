package safetensors

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
)

// TestReferenceFiles reads the real files written by the Python reference
// (safetensors.torch), when the shared data is present.
func TestReferenceFiles(t *testing.T) {
	dir := testref.Dir(t, "xlstm/reference/mixed")

	m, err := Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Names()) == 0 {
		t.Fatal("model.safetensors has no tensors")
	}
	for _, name := range m.Names() {
		info, _ := m.Info(name)
		if info.DType != F32 {
			t.Errorf("%s: dtype %s, want F32", name, info.DType)
		}
		if _, err := m.Float32(name); err != nil {
			t.Error(err)
		}
	}

	// The same weights through OpenDir (which finds model.safetensors).
	s, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !slices.Equal(s.Names(), m.Names()) {
		t.Errorf("OpenDir names differ from Open's")
	}

	iof, err := Open(filepath.Join(dir, "io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer iof.Close()
	for _, c := range []struct {
		name  string
		dtype DType
		shape []int
	}{
		{"tokens", I64, []int{2, 32}},
		{"logits_parallel", F32, []int{2, 32, 128}},
		{"logits_parallel_f64", F64, []int{2, 32, 128}},
	} {
		info, ok := iof.Info(c.name)
		if !ok {
			t.Errorf("io.safetensors lacks %s", c.name)
			continue
		}
		if info.DType != c.dtype || !slices.Equal(info.Shape, c.shape) {
			t.Errorf("%s: %s %v, want %s %v", c.name, info.DType, info.Shape, c.dtype, c.shape)
		}
	}
	tokens, err := iof.Int64("tokens")
	if err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens {
		if tok < 0 || tok >= 128 {
			t.Errorf("tokens[%d] = %d, outside [0, 128)", i, tok)
		}
	}
	// Both precisions decode; log how far the float32 run is from the float64 one.
	l32, err := iof.Float64("logits_parallel")
	if err != nil {
		t.Fatal(err)
	}
	l64, err := iof.Float64("logits_parallel_f64")
	if err != nil {
		t.Fatal(err)
	}
	var maxDiff float64
	for i := range l32 {
		maxDiff = max(maxDiff, math.Abs(l32[i]-l64[i]))
	}
	t.Logf("max |logits_parallel - logits_parallel_f64| = %g", maxDiff)
}
