//go:build cuda || cudaemu

package cuda

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// openDevice opens GPU 0, or skips when there is none (fails instead when
// XLSTM_REQUIRE_GPU is set, as on the GPU machine).
func openDevice(t testing.TB) *Device {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("XLSTM_REQUIRE_GPU") != "" {
			t.Fatalf("XLSTM_REQUIRE_GPU is set but: %v", err)
		}
		t.Skipf("no GPU: %v", err)
	}
	d, err := Open(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// up uploads x into a new buffer freed at the end of the test.
func up(t testing.TB, d *Device, x []float32) *Buffer {
	t.Helper()
	b, err := d.Floats(len(x))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Free() })
	if err := b.Upload(x); err != nil {
		t.Fatal(err)
	}
	return b
}

// zeros returns a zeroed buffer of n floats.
func zeros(t testing.TB, d *Device, n int) *Buffer {
	t.Helper()
	return up(t, d, make([]float32, n))
}

func upInt(t testing.TB, d *Device, x []int32) *Buffer {
	t.Helper()
	b, err := d.Alloc(4 * int64(max(len(x), 1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Free() })
	if err := b.UploadInt32(x); err != nil {
		t.Fatal(err)
	}
	return b
}

// down syncs and downloads n floats.
func down(t testing.TB, d *Device, b *Buffer, n int) []float32 {
	t.Helper()
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, n)
	if err := b.Download(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func randVec(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// relErr is max|got − want| / max|want| (max|want| floored at 1e-30).
func relErr(got []float32, want []float64) float64 {
	var num, den float64
	for i := range want {
		num = max(num, math.Abs(float64(got[i])-want[i]))
		den = max(den, math.Abs(want[i]))
	}
	return num / max(den, 1e-30)
}

// closeTo fails when relErr(got, want) > tol.
func closeTo(t testing.TB, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	if e := relErr(got, want); e > tol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %.1g", what, e, tol)
	} else {
		t.Logf("%s: relative error %.3g", what, e)
	}
}

const f32Tol = 1e-4

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logsigmoid64(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}
