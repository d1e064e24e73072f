package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSLSTMCell32: the vectorised float32 cell against the exact scalar
// cell in float64 on the same (float32) inputs, fresh and running, over
// ragged widths and gate pre-activations from tiny to saturating. Bounds:
// 2e-6 relative for n and m, and 2e-6 of the magnitudes summed into c and
// y (c = f·c' + i·z may cancel).
func TestSLSTMCell32(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, fresh := range []bool{true, false} {
		for _, hsz := range []int{1, 7, 8, 9, 64, 67} {
			for _, scale := range []float64{0.01, 1, 5, 40} {
				name := fmt.Sprintf("fresh=%v/hsz=%d/scale=%g", fresh, hsz, scale)
				raw32 := make([]float32, 4*hsz)
				for j := range raw32 {
					raw32[j] = float32(rng.NormFloat64() * scale)
				}
				st32 := &blockState[float32]{sy: make([]float32, hsz), sc: make([]float32, hsz), sn: make([]float32, hsz), sm: make([]float32, hsz)}
				if !fresh {
					for j := 0; j < hsz; j++ {
						st32.sc[j] = float32(rng.NormFloat64() * 3)
						st32.sn[j] = float32(0.05 + rng.ExpFloat64()*2)
						st32.sm[j] = float32(rng.NormFloat64() * scale)
					}
				}
				st64 := &blockState[float64]{sy: widen(st32.sy), sc: widen(st32.sc), sn: widen(st32.sn), sm: widen(st32.sm)}
				raw64 := widen(raw32)
				sc0, sn0 := widen(st32.sc), widen(st32.sn)
				y32, y64 := make([]float32, hsz), make([]float64, hsz)
				slstmCell32(y32, raw32, st32, fresh)
				slstmCell(y64, raw64, st64, fresh)
				for j := 0; j < hsz; j++ {
					// the magnitudes that entered c: f·c' and i·tanh(z) ≤ |c'| + 1
					cScale := math.Abs(sc0[j]) + 1
					yScale := cScale / st64.sn[j]
					checks := []struct {
						what      string
						got, want float64
						tol       float64
					}{
						{"m", float64(st32.sm[j]), st64.sm[j], 2e-6 * (math.Abs(st64.sm[j]) + 1)},
						{"n", float64(st32.sn[j]), st64.sn[j], 2e-6 * math.Abs(st64.sn[j])},
						{"c", float64(st32.sc[j]), st64.sc[j], 2e-6 * cScale * (1 + sn0[j])},
						{"y", float64(y32[j]), y64[j], 2e-6 * yScale * (1 + sn0[j])},
						{"y state", float64(st32.sy[j]), y64[j], 2e-6 * yScale * (1 + sn0[j])},
					}
					for _, c := range checks {
						if d := math.Abs(c.got - c.want); !(d <= c.tol) {
							t.Errorf("%s unit %d: %s = %v, exact %v (|diff| %.3g > %.3g)", name, j, c.what, c.got, c.want, d, c.tol)
						}
					}
				}
			}
		}
	}
}

// TestGELUGate32: the vectorised GELU gate against ½x·erfc(−x/√2)·up in
// float64, 2e-6 relative (erfc, not the scalar gelu's 1+erf, which
// cancels below x ≈ −5 and would be the less accurate side).
func TestGELUGate32(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for _, p := range []int{1, 8, 13, 67} {
		const s = 3
		u := make([]float32, s*2*p)
		for j := range u {
			u[j] = float32(rng.NormFloat64() * 3)
		}
		g := make([]float32, s*p)
		geluGate32(g, u, s, p)
		for tt := 0; tt < s; tt++ {
			for j := 0; j < p; j++ {
				x := float64(u[tt*2*p+j])
				want := 0.5 * x * math.Erfc(-x/math.Sqrt2) * float64(u[tt*2*p+p+j])
				if d := math.Abs(float64(g[tt*p+j]) - want); d > 2e-6*math.Abs(want)+1e-37 {
					t.Errorf("p=%d t=%d j=%d: %v, exact %v", p, tt, j, g[tt*p+j], want)
				}
			}
		}
	}
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}
