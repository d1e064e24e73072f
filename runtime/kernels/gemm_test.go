package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemm checks gemm (the microkernel plus edges, both A layouts, write
// and accumulate) against a float64 triple loop.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sz := range [][3]int{{4, 16, 1}, {5, 17, 3}, {64, 32, 300}, {67, 50, 257}, {1, 1, 1}, {8, 48, 0}, {130, 16, 513}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, trans := range []bool{false, true} {
			for _, add := range []bool{false, true} {
				a := make([]float32, m*k+1)
				b := make([]float32, k*(n+3)+1)
				c := make([]float32, m*(n+2)+1)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				for i := range c {
					c[i] = float32(rng.NormFloat64())
				}
				ars, acs := k, 1
				if trans {
					ars, acs = 1, m
				}
				ldb, ldc := n+3, n+2
				want := make([]float64, len(c))
				for i := range c {
					want[i] = float64(c[i])
				}
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var s float64
						for p := 0; p < k; p++ {
							s += float64(a[i*ars+p*acs]) * float64(b[p*ldb+j])
						}
						if add {
							want[i*ldc+j] += s
						} else {
							want[i*ldc+j] = s
						}
					}
				}
				Gemm(m, n, k, a, ars, acs, b, ldb, c, ldc, add, make([]float32, GemmBufLen(n)))
				for i := range c {
					if math.Abs(float64(c[i])-want[i]) > 1e-4*math.Sqrt(float64(k+1)) {
						t.Fatalf("m=%d n=%d k=%d trans=%v add=%v: c[%d] = %v, want %v", m, n, k, trans, add, i, c[i], want[i])
					}
				}
			}
		}
	}
}

// TestGemmMicrokernelTwin holds the dispatched 4×16 microkernel (AVX2 on
// amd64) to its pure-Go twin, both A layouts, write and accumulate.
func TestGemmMicrokernelTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, k := range []int{1, 2, 7, 64, 257} {
		for _, trans := range []bool{false, true} {
			for _, add := range []bool{false, true} {
				ars, acs := k, 1
				if trans {
					ars, acs = 1, 4
				}
				a := make([]float32, 4*k)
				b := make([]float32, k*19)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				c0 := make([]float32, 4*21)
				for i := range c0 {
					c0[i] = float32(rng.NormFloat64())
				}
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				gemm4x16(k, a, ars, acs, b, 19, got, 21, add)
				gemm4x16Generic(k, a, ars, acs, b, 19, want, 21, add)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("k=%d trans=%v add=%v: c[%d] = %v, twin %v", k, trans, add, i, got[i], want[i])
					}
				}
			}
		}
	}
}
