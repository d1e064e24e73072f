package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lengths covers empty, tiny, every tail size around the vector widths, and
// large ragged lengths.
var lengths = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 200, 256, 1000, 1031, 4099}

func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// close reports |got-want| ≤ 1e-5·scale, scale being the sum of the
// magnitudes that entered the result (a relative bound that rounding order
// cannot break).
func close32(got, want, scale float32) bool {
	return math.Abs(float64(got-want)) <= 1e-5*math.Max(float64(scale), 1e-30)
}

func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range lengths {
		a, b := randVec(rng, n), randVec(rng, n+3) // b longer: only len(a) counts
		var scale float32
		for i := range a {
			scale += float32(math.Abs(float64(a[i] * b[i])))
		}
		got, want := Dot(a, b), dotGeneric(a, b[:n])
		if !close32(got, want, scale) {
			t.Errorf("n=%d: Dot %v, twin %v", n, got, want)
		}
	}
}

func TestAxpyAxpby(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range lengths {
		x, y := randVec(rng, n), randVec(rng, n)
		alpha, beta := float32(rng.NormFloat64()), float32(rng.NormFloat64())
		got, want := append([]float32(nil), y...), append([]float32(nil), y...)
		Axpy(alpha, x, got)
		axpyGeneric(alpha, x, want)
		for i := range got {
			scale := float32(math.Abs(float64(y[i])) + math.Abs(float64(alpha*x[i])))
			if !close32(got[i], want[i], scale) {
				t.Fatalf("Axpy n=%d i=%d: %v, twin %v", n, i, got[i], want[i])
			}
		}
		got, want = append(got[:0], y...), append(want[:0], y...)
		Axpby(alpha, got, beta, x)
		axpbyGeneric(alpha, want, beta, x)
		for i := range got {
			scale := float32(math.Abs(float64(alpha*y[i])) + math.Abs(float64(beta*x[i])))
			if !close32(got[i], want[i], scale) {
				t.Fatalf("Axpby n=%d i=%d: %v, twin %v", n, i, got[i], want[i])
			}
		}
	}
}

func TestMatVec(t *testing.T) { eachWidth(t, testMatVec) }

func testMatVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{0, 1, 3, 4, 5, 8, 13} {
		for _, n := range lengths {
			w, x := randVec(rng, rows*n), randVec(rng, n)
			got, want := make([]float32, rows), make([]float32, rows)
			for i := range got {
				got[i] = 99 // MatVec must overwrite, not accumulate
			}
			MatVec(got, w, x)
			matVecGeneric(want, w, x)
			for o := range got {
				var scale float32
				for i := 0; i < n; i++ {
					scale += float32(math.Abs(float64(w[o*n+i] * x[i])))
				}
				if !close32(got[o], want[o], scale) {
					t.Fatalf("rows=%d n=%d row %d: %v, twin %v", rows, n, o, got[o], want[o])
				}
			}
		}
	}
}

func BenchmarkDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := randVec(rng, 4096), randVec(rng, 4096)
	b.SetBytes(4096 * 8)
	var s float32
	for i := 0; i < b.N; i++ {
		s += Dot(x, y)
	}
	_ = s
}

func BenchmarkMatVec512x512(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	w, x, y := randVec(rng, 512*512), randVec(rng, 512), make([]float32, 512)
	b.SetBytes(512 * 512 * 4)
	for i := 0; i < b.N; i++ {
		MatVec(y, w, x)
	}
}

func TestPoolMatVec(t *testing.T) { eachWidth(t, testPoolMatVec) }

func testPoolMatVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads)
		for _, shape := range [][2]int{{4, 4}, {9, 300}, {257, 256}, {2049, 513}, {1031, 1077}, {4099, 1031}} {
			rows, n := shape[0], shape[1]
			w, x := randVec(rng, rows*n), randVec(rng, n)
			got, want := make([]float32, rows), make([]float32, rows)
			p.MatVec(got, w, x)
			MatVec(want, w, x)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("threads=%d %dx%d row %d: pool %v, serial %v", threads, rows, n, i, got[i], want[i])
				}
			}
		}
		if got := p.Threads(); got != max(threads, 1) {
			t.Errorf("Threads() = %d, want %d", got, threads)
		}
		p.Close()
	}
}

func TestPoolAllocatesNothing(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	rng := rand.New(rand.NewPCG(13, 14))
	w, x, y := randVec(rng, 2048*1024), randVec(rng, 1024), make([]float32, 2048)
	if a := testing.AllocsPerRun(100, func() { p.MatVec(y, w, x) }); a != 0 {
		t.Errorf("Pool.MatVec allocates %.1f times per call", a)
	}
}

func BenchmarkPoolMatVec(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			p := NewPool(threads)
			defer p.Close()
			rng := rand.New(rand.NewPCG(15, 16))
			w, x, y := randVec(rng, 8192*4096), randVec(rng, 4096), make([]float32, 8192)
			b.SetBytes(8192 * 4096 * 4)
			for i := 0; i < b.N; i++ {
				p.MatVec(y, w, x)
			}
		})
	}
}

func TestMatMul(t *testing.T) { eachWidth(t, testMatMul) }

func testMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, rows := range []int{1, 3, 4, 5, 63, 64, 65, 130} {
		for _, n := range []int{1, 7, 8, 9, 33, 256, 1031} {
			for _, s := range []int{1, 2, 3, 4, 7, 12} {
				w, x := randVec(rng, rows*n), randVec(rng, s*n)
				got, want := make([]float32, s*rows), make([]float32, s*rows)
				for i := range got {
					got[i] = 99
				}
				MatMul(got, w, x, rows, n)
				matMulGeneric(want, w, x, rows, n)
				for tt := 0; tt < s; tt++ {
					for o := 0; o < rows; o++ {
						var scale float32
						for i := 0; i < n; i++ {
							scale += float32(math.Abs(float64(w[o*n+i] * x[tt*n+i])))
						}
						if k := tt*rows + o; !close32(got[k], want[k], scale) {
							t.Fatalf("rows=%d n=%d s=%d token %d row %d: %v, twin %v", rows, n, s, tt, o, got[k], want[k])
						}
					}
				}
			}
		}
	}
}

func BenchmarkMatMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	const rows, n, s = 1024, 256, 64
	w, x, y := randVec(rng, rows*n), randVec(rng, s*n), make([]float32, s*rows)
	b.Run("MatMul", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			MatMul(y, w, x, rows, n)
		}
		b.ReportMetric(float64(b.N)*2*rows*n*s/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("MatVecEach", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for t := 0; t < s; t++ {
				MatVec(y[t*rows:(t+1)*rows], w, x[t*n:(t+1)*n])
			}
		}
		b.ReportMetric(float64(b.N)*2*rows*n*s/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// TestRankOneRead: the fused mLSTM step equals Axpby then Axpy row by row
// bit for bit, and its twin to 1e-5.
func TestRankOneRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, dk := range []int{1, 3, 16} {
		for _, dv := range []int{1, 7, 8, 9, 31, 64, 130} {
			c, b, v, qv := randVec(rng, dk*dv), randVec(rng, dk), randVec(rng, dv), randVec(rng, dk)
			fa := float32(rng.Float64())
			h0 := randVec(rng, dv)
			got, gotH := append([]float32(nil), c...), append([]float32(nil), h0...)
			RankOneRead(got, fa, b, v, qv, gotH)
			want, wantH := append([]float32(nil), c...), append([]float32(nil), h0...)
			for a := 0; a < dk; a++ {
				Axpby(fa, want[a*dv:(a+1)*dv], b[a], v)
				Axpy(qv[a], want[a*dv:(a+1)*dv], wantH)
			}
			twin, twinH := append([]float32(nil), c...), append([]float32(nil), h0...)
			rankOneReadGeneric(twin, fa, b, v, qv, twinH)
			for i := range got {
				if got[i] != want[i] || !close32(got[i], twin[i], float32(math.Abs(float64(fa*c[i])))+float32(math.Abs(float64(b[i/dv]*v[i%dv])))) {
					t.Fatalf("dk=%d dv=%d c[%d]: %v, Axpby %v, twin %v", dk, dv, i, got[i], want[i], twin[i])
				}
			}
			for i := range gotH {
				var scale float32 = float32(math.Abs(float64(h0[i])))
				for a := 0; a < dk; a++ {
					scale += float32(math.Abs(float64(qv[a] * want[a*dv+i])))
				}
				if gotH[i] != wantH[i] || !close32(gotH[i], twinH[i], scale) {
					t.Fatalf("dk=%d dv=%d h[%d]: %v, Axpy %v, twin %v", dk, dv, i, gotH[i], wantH[i], twinH[i])
				}
			}
		}
	}
}
