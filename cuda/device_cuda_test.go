//go:build cuda || cudaemu

package cuda

import (
	"math"
	"strings"
	"testing"
)

// TestAvailableAndOpen: without a usable GPU, Available and Open return an
// error (the process is not ended by gorgonia's init, see cuinit_cuda.go);
// with one, Open loads every kernel and rejects a missing ordinal.
func TestAvailableAndOpen(t *testing.T) {
	if err := Available(); err != nil {
		if !strings.HasPrefix(err.Error(), "cuda: ") {
			t.Errorf("Available error %q lacks the package prefix", err)
		}
		if _, err2 := Open(0); err2 == nil {
			t.Fatalf("Available says %v, but Open(0) succeeded", err)
		}
		t.Logf("no GPU, as reported: %v", err)
		return
	}
	d, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.loadedKernels() != len(Specs()) {
		t.Errorf("loaded %d kernels, Specs lists %d", d.loadedKernels(), len(Specs()))
	}
	if _, err := Open(1 << 20); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open(huge) err = %v", err)
	}
	b, err := d.Floats(4)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Launch("xl_fill", Dim{X: 1}, Dim{X: 256}, b, 1.0); err == nil {
		t.Error("launch with too few arguments succeeded")
	}
	if err := d.Launch("xl_fill", Dim{X: 1}, Dim{X: 256}, b, 1, 4); err == nil {
		t.Error("launch with an int for a float64 parameter succeeded")
	}
	if err := d.Launch("xl_nope", Dim{}, Dim{}); err == nil {
		t.Error("launch of an unknown kernel succeeded")
	}
	if err := d.Fill(b, 1, 5); err == nil {
		t.Error("fill past the buffer's end succeeded")
	}
	b.Free()
	if err := d.Fill(b, 1, 4); err == nil {
		t.Error("fill of a freed buffer succeeded")
	}
}

func TestArgBits(t *testing.T) {
	tests := []struct {
		kind    byte
		arg     any
		want    uint64
		wantErr bool
	}{
		{'p', nil, 0, false},
		{'p', (*Buffer)(nil), 0, false},
		{'p', &Buffer{freed: true}, 0, true},
		{'p', 3, 0, true},
		{'i', 7, 7, false},
		{'i', int64(-1), math.MaxUint64, false},
		{'i', 1.5, 0, true},
		{'f', 2.5, math.Float64bits(2.5), false},
		{'f', 2, 0, true},
		{'x', 1, 0, true},
	}
	for _, tc := range tests {
		got, err := argBits(tc.kind, tc.arg)
		if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("argBits(%c, %v) = %#x, %v; want %#x, error %v", tc.kind, tc.arg, got, err, tc.want, tc.wantErr)
		}
	}
}
