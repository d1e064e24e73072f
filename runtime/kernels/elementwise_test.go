package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ewInputs: edge values (the exp range ends, tanh's polynomial edge,
// signed zeros, tiny and huge magnitudes) then Gaussian values at several
// scales, n values in all.
func ewInputs(rng *rand.Rand, n int) []float32 {
	edges := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-4, -1e-4, 0.6249, -0.6249, 0.625, -0.625, 0.626,
		1, -1, 9, -9, 30, -30, 87.3, -87.3, 87.4, -87.4, 88.3, 88.4, -88.4, 100, -100, 1e6, -1e6}
	x := make([]float32, n)
	for i := range x {
		if i < len(edges) {
			x[i] = edges[i]
			continue
		}
		x[i] = float32(rng.NormFloat64() * []float64{0.1, 1, 5, 40}[i%4])
	}
	rng.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
	return x
}

type ewKernel struct {
	name  string
	fast  func(y, x []float32)
	twin  func(y, x []float32)
	exact func(x float64) float64
}

func ewKernels() []ewKernel {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	return []ewKernel{
		{"Exp", Exp, expGeneric, math.Exp},
		{"Sigmoid", Sigmoid, sigmoidGeneric, sig},
		{"SiLU", SiLU, siluGeneric, func(x float64) float64 { return x * sig(x) }},
		{"Softcap15", func(y, x []float32) { Softcap(y, x, 15) }, func(y, x []float32) { softcapGeneric(y, x, 15) },
			func(x float64) float64 { return 15 * math.Tanh(x/15) }},
		{"Softcap1", func(y, x []float32) { Softcap(y, x, 1) }, func(y, x []float32) { softcapGeneric(y, x, 1) }, math.Tanh},
	}
}

// TestElementwise: each kernel against its twin (≤ 1e-5 relative) on
// every tail length, in place and not, and the twin against the float64
// function (≤ 1e-6 relative, plus 5e-39·(1+|x|) absolute where exp
// saturates).
func TestElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, k := range ewKernels() {
		for _, n := range append(lengths, 4096) {
			x := ewInputs(rng, n)
			got, twin := make([]float32, n), make([]float32, n)
			k.fast(got, x)
			k.twin(twin, x)
			inPlace := append([]float32(nil), x...)
			k.fast(inPlace, inPlace)
			for i := range x {
				name := fmt.Sprintf("%s n=%d x=%v", k.name, n, x[i])
				if d := math.Abs(float64(got[i] - twin[i])); d > 1e-5*math.Abs(float64(twin[i])) && !(got[i] == twin[i]) {
					t.Fatalf("%s: fast %v, twin %v", name, got[i], twin[i])
				}
				if inPlace[i] != got[i] {
					t.Fatalf("%s: in place %v, out of place %v", name, inPlace[i], got[i])
				}
				want := k.exact(float64(x[i]))
				if k.name == "Exp" && x[i] > expHi {
					want = math.Exp(float64(float32(expHi))) // documented saturation
				}
				if d := math.Abs(float64(twin[i]) - want); d > 1e-6*math.Abs(want)+5e-39*(1+math.Abs(float64(x[i]))) && !math.IsInf(want, 0) {
					t.Fatalf("%s: twin %v, exact %v", name, twin[i], want)
				}
			}
		}
	}
}

func TestSoftcapOff(t *testing.T) {
	x := []float32{-40, 1, 3e5}
	y := make([]float32, 3)
	Softcap(y, x, 0)
	for i := range x {
		if y[i] != x[i] {
			t.Fatalf("Softcap with c=0 changed %v to %v", x[i], y[i])
		}
	}
}

func BenchmarkElementwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(43, 44))
	x, y := ewInputs(rng, 50304), make([]float32, 50304)
	for _, k := range ewKernels() {
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
