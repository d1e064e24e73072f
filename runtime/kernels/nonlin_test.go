package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// minNormal32 is the absolute floor of the accuracy tests: below it the
// float32 results are subnormal (or flushed to 0 where e^x underflows).
const minNormal32 = 0x1p-126

// nonlinSweep: signed zeros, the special values, every power-of-two
// magnitude from 2^-149 to 2^127 with a few mantissas each, and a dense
// uniform grid over [-20, 20] (where the polynomial pieces meet), both
// signs; then n Gaussian values at several scales.
func nonlinSweep(rng *rand.Rand, n int) []float32 {
	x := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		log1pSplit, -log1pSplit, geluClamp, -geluClamp, 87.3, 87.4, 88.4, 103, 104, -87.4}
	for e := -149; e <= 127; e++ {
		for _, m := range []float64{1, 1.1, 1.37, 1.5, 1.999} {
			v := float32(math.Ldexp(m, e))
			x = append(x, v, -v)
		}
	}
	for i := 0; i <= 400000; i++ {
		x = append(x, float32(-20+40*float64(i)/400000))
	}
	for i := 0; i < n; i++ {
		x = append(x, float32(rng.NormFloat64()*[]float64{0.01, 1, 4, 30}[i%4]))
	}
	return x
}

func logSigmoid64(x float64) float64 { return min(x, 0) - math.Log1p(math.Exp(-math.Abs(x))) }

// gelu64 uses erfc, exact in relative terms on the negative tail where
// 1+erf cancels.
func gelu64(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }

type nonlinKernel struct {
	name  string
	fast  func(y, x []float32)
	twin  func(y, x []float32)
	exact func(float64) float64
	rel   float64 // bound against exact, relative (plus minNormal32 absolute)
}

func nonlinKernels() []nonlinKernel {
	return []nonlinKernel{
		{"LogSigmoid", LogSigmoid, logSigmoidGeneric, logSigmoid64, 2e-7},
		{"GELU", GELU, geluGeneric, gelu64, 1e-6},
	}
}

// TestNonlinAccuracy holds the fast kernel and its twin to the documented
// bound against float64 math over the sweep, and reports the worst
// relative error reached by each.
func TestNonlinAccuracy(t *testing.T) {
	x := nonlinSweep(rand.New(rand.NewPCG(51, 52)), 100000)
	for _, k := range nonlinKernels() {
		fast, twin := make([]float32, len(x)), make([]float32, len(x))
		k.fast(fast, x)
		k.twin(twin, x)
		for _, impl := range []struct {
			name string
			y    []float32
		}{{"fast", fast}, {"twin", twin}} {
			var worst float64
			var worstX float32
			for i, xi := range x {
				if math.IsInf(float64(xi), 0) {
					continue // TestNonlinSpecial
				}
				want, got := k.exact(float64(xi)), float64(impl.y[i])
				d := math.Abs(got - want)
				if d > k.rel*math.Abs(want)+minNormal32 || math.IsNaN(got) {
					t.Errorf("%s %s(%v) = %v, want %v (rel %.3g)", impl.name, k.name, xi, got, want, d/math.Abs(want))
				}
				if math.Abs(want) >= minNormal32 && d/math.Abs(want) > worst {
					worst, worstX = d/math.Abs(want), xi
				}
			}
			t.Logf("%-10s %s: worst relative error %.3g (x=%v) over %d inputs", k.name, impl.name, worst, worstX, len(x))
		}
	}
}

// TestNonlinSpecial: NaN propagates and the infinities give the limits.
func TestNonlinSpecial(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name string
		f    func(y, x []float32)
		x    float32
		want float64
	}{
		{"LogSigmoid", LogSigmoid, nan, math.NaN()},
		{"LogSigmoid", LogSigmoid, -inf, math.Inf(-1)},
		{"LogSigmoid", LogSigmoid, inf, 0},
		{"GELU", GELU, nan, math.NaN()},
		{"GELU", GELU, inf, math.Inf(1)},
		{"GELU", GELU, -inf, 0},
	}
	for _, c := range cases {
		// Lane 3 of a full vector and a lone tail element: both paths.
		x := make([]float32, 9)
		x[3], x[8] = c.x, c.x
		y := make([]float32, 9)
		c.f(y, x)
		for _, i := range []int{3, 8} {
			got := float64(y[i])
			if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
				t.Errorf("%s(%v) at %d = %v, want %v", c.name, c.x, i, got, c.want)
			}
		}
	}
}

// TestNonlinTwin: the assembly against its twin on every ragged length
// 0..67 and a long one, in place and not; they differ only by fused
// multiply-adds, so 4e-7 relative (plus minNormal32).
func TestNonlinTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	ns := []int{4099}
	for n := 0; n <= 67; n++ {
		ns = append(ns, n)
	}
	for _, k := range nonlinKernels() {
		for _, n := range ns {
			x := ewInputs(rng, n)
			got, twin := make([]float32, n+1), make([]float32, n+1)
			got[n], twin[n] = 7, 7 // a sentinel past the end
			k.fast(got[:n], x)
			k.twin(twin[:n], x)
			inPlace := append([]float32(nil), x...)
			k.fast(inPlace, inPlace)
			if got[n] != 7 {
				t.Fatalf("%s n=%d wrote past the end", k.name, n)
			}
			for i := range x {
				name := fmt.Sprintf("%s n=%d x=%v", k.name, n, x[i])
				if d := math.Abs(float64(got[i] - twin[i])); d > 4e-7*math.Abs(float64(twin[i]))+minNormal32 {
					t.Fatalf("%s: fast %v, twin %v", name, got[i], twin[i])
				}
				if inPlace[i] != got[i] {
					t.Fatalf("%s: in place %v, out of place %v", name, inPlace[i], got[i])
				}
			}
		}
	}
}

func BenchmarkNonlin(b *testing.B) {
	rng := rand.New(rand.NewPCG(43, 44))
	x, y := ewInputs(rng, 50304), make([]float32, 50304)
	for _, k := range nonlinKernels() {
		for _, impl := range []struct {
			name string
			f    func(y, x []float32)
		}{{"fast", k.fast}, {"twin", k.twin}} {
			b.Run(k.name+"/"+impl.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					impl.f(y, x)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/elem")
			})
		}
	}
}
