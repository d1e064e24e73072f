package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestParallelBlockedMatchesParallel checks the blocked float32 parallel
// form against the scalar one in float64 on lengths around the causal
// block size (one block, a ragged last block, several blocks).
func TestParallelBlockedMatchesParallel(t *testing.T) {
	const dk, dv = 16, 24
	for _, s := range []int{1, 5, causalBlock - 1, causalBlock, causalBlock + 1, 2*causalBlock + 37} {
		t.Run(fmt.Sprint("s=", s), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s), 9))
			q, k, v := randF64(rng, s*dk, 1), randF64(rng, s*dk, 1), randF64(rng, s*dv, 1)
			for i := range q {
				// Positive scores: the normaliser Σ_j w_j does not cancel,
				// so float32 rounding stays near its unit.
				q[i], k[i] = math.Abs(q[i])+0.25, math.Abs(k[i])+0.25
			}
			ig, fg := randF64(rng, s, 3), randF64(rng, s, 3)
			for i := range fg {
				fg[i] += 2 // mostly-open forget gates: long memories
			}
			h64 := make([]float64, s*dv)
			head64 := testHead(q, k, v, ig, fg, h64, dk, dv)
			head64.parallel(s, make([]float64, 2*s))

			h32 := make([]float32, s*dv)
			head32 := testHead(to32(q), to32(k), to32(v), to32(ig), to32(fg), h32, dk, dv)
			parallelBlocked(head32, s, &arena[float32]{})
			for i, want := range h64 {
				if d := math.Abs(float64(h32[i]) - want); d > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("h[%d][%d] = %v, float64 parallel form %v (diff %.2e)", i/dv, i%dv, h32[i], want, d)
				}
			}
		})
	}
}

func testHead[F Float](q, k, v, ig, fg, h []F, dk, dv int) *mlstmHead[F] {
	var m F
	return &mlstmHead[F]{
		q: view[F]{q, dk, 0, dk}, k: view[F]{k, dk, 0, dk}, v: view[F]{v, dv, 0, dv},
		i: view[F]{ig, 1, 0, 1}, f: view[F]{fg, 1, 0, 1}, h: view[F]{h, dv, 0, dv},
		qs: 1, ks: F(1 / math.Sqrt(float64(dk))), eps: 1e-6,
		c: make([]F, dk*dv), n: make([]F, dk), m: &m,
	}
}

func randF64(rng *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(float32(rng.NormFloat64() * scale)) // representable in float32
	}
	return x
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}
