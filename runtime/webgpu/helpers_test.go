package webgpu

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/internal/testref/refio"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// testDevice opens the WebGPU device; without an adapter the test fails
// (CI installs lavapipe; a skip would hide a broken set-up).
func testDevice(t testing.TB) *Device {
	t.Helper()
	d, err := Open(context.Background())
	if err != nil {
		t.Fatalf("no WebGPU device (make test installs Mesa lavapipe: mesa-vulkan-drivers libvulkan1): %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

// refSet is one reference directory: tokens (B × S) and the io file.
type refSet struct {
	dir  string
	io   *safetensors.File
	toks [][]int
}

func openRef(t *testing.T, name string) *refSet {
	t.Helper()
	dir := testref.Dir(t, filepath.Join("xlstm", "reference", name))
	io := refio.Open(t, filepath.Join(dir, "io.safetensors"))
	r := &refSet{dir: dir, io: io, toks: refio.Tokens(t, io)}
	return r
}

func (r *refSet) want(t *testing.T, key string) []float64 {
	t.Helper()
	v, err := r.io.Float64(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

// maxAbs returns max |got - want| (Inf on NaN or a length mismatch).
func maxAbs[A, B float32 | float64](got []A, want []B) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var e float64
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		e = max(e, d)
	}
	return e
}
