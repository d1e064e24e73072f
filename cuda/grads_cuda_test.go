//go:build cuda || cudaemu

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The backward kernels are checked against central finite differences
// along a random direction u: for a loss L = Σ w·out, ∇L·u must match
// (L(x+εu) − L(x−εu))/2ε. The cells' L comes from the float64 references
// (mlstmRef, slstmRef, which the forward tests hold the kernels to), so
// that ε can be tiny and no kink of the max/abs terms is crossed; the
// simpler kernels' L comes from their own float32 forward kernels.
// Wrong gradients miss by O(1).
const (
	fdEps   = 1e-3 // float32 forwards
	fdEps64 = 1e-6 // float64 references
	fdTol   = 5e-3 // float32 forwards: rounding of L over 2ε
	fdTol64 = 1e-4 // float64 references: the gradient's own float32 rounding
)

func compareDirectional(t *testing.T, what string, analytic, fd, tol float64) {
	t.Helper()
	scale := max(math.Abs(analytic), math.Abs(fd), 1e-3)
	if e := math.Abs(analytic-fd) / scale; e > tol || math.IsNaN(e) {
		t.Errorf("%s: gradient·u = %.6g, finite difference %.6g (relative error %.3g > %.0e)", what, analytic, fd, e, tol)
	} else {
		t.Logf("%s: gradient·u = %.6g, finite difference %.6g (relative error %.2g)", what, analytic, fd, e)
	}
}

func dotU(grad, u []float32) float64 {
	var s float64
	for i := range grad {
		s += float64(grad[i]) * float64(u[i])
	}
	return s
}

// checkDirectional compares grad·u with the finite difference of a float32
// loss at x.
func checkDirectional(t *testing.T, what string, r *rand.Rand, x, grad []float32, loss func(x []float32) float64) {
	t.Helper()
	u := randVec(r, len(x), 1)
	xp, xm := make([]float32, len(x)), make([]float32, len(x))
	for i := range x {
		xp[i] = x[i] + fdEps*u[i]
		xm[i] = x[i] - fdEps*u[i]
	}
	compareDirectional(t, what, dotU(grad, u), (loss(xp)-loss(xm))/(2*fdEps), fdTol)
}

// checkDirectional64 is checkDirectional for a float64 loss.
func checkDirectional64(t *testing.T, what string, r *rand.Rand, x, grad []float32, loss func(x []float64) float64) {
	t.Helper()
	u := randVec(r, len(x), 1)
	xp, xm := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		xp[i] = float64(x[i]) + fdEps64*float64(u[i])
		xm[i] = float64(x[i]) - fdEps64*float64(u[i])
	}
	compareDirectional(t, what, dotU(grad, u), (loss(xp)-loss(xm))/(2*fdEps64), fdTol64)
}

func weighted(out []float32, w []float32) float64 {
	var s float64
	for i := range w {
		s += float64(out[i]) * float64(w[i])
	}
	return s
}

func weighted64(out []float64, w []float32) float64 {
	var s float64
	for i := range w {
		s += out[i] * float64(w[i])
	}
	return s
}

func TestMLSTMBackward(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(31, 32))
	for _, tc := range mlstmCases()[:3] {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			in := newMLSTMInputs(r, s, 0)
			_, _, _, bufs := runMLSTM(t, d, s, in)
			rows := s.Batch * s.Seq
			w := randVec(r, rows*s.Heads*s.DV, 1)
			g := MLSTMGrads{DQ: zeros(t, d, len(in.q)), DK: zeros(t, d, len(in.k)), DV: zeros(t, d, len(in.v)),
				DI: zeros(t, d, len(in.ig)), DF: zeros(t, d, len(in.fg))}
			must(t, d.MLSTMBackward(s, bufs, up(t, d, w), g))
			q, k, v, ig, fg := f64(in.q), f64(in.k), f64(in.v), f64(in.ig), f64(in.fg)
			fields := []struct {
				name string
				x    []float32
				p    *[]float64
				g    *Buffer
			}{{"dq", in.q, &q, g.DQ}, {"dk", in.k, &k, g.DK}, {"dv", in.v, &v, g.DV}, {"dĩ", in.ig, &ig, g.DI}, {"df̃", in.fg, &fg, g.DF}}
			for _, f := range fields {
				orig := *f.p
				grad := down(t, d, f.g, len(f.x))
				checkDirectional64(t, f.name, r, f.x, grad, func(x []float64) float64 {
					*f.p = x
					defer func() { *f.p = orig }()
					return weighted64(mlstmRef(s, q, k, v, ig, fg), w)
				})
			}
		})
	}
}

func TestSLSTMBackward(t *testing.T) {
	d := openDevice(t)
	rg := rand.New(rand.NewPCG(33, 34))
	for _, s := range slstmCases()[:2] {
		in := newSLSTMInputs(rg, s)
		_, b := runSLSTM(t, d, s, in)
		rows, H := s.Batch*s.Seq, s.Heads*s.DH
		w := randVec(rg, rows*H, 1)
		dRaw, dR, dB := zeros(t, d, rows*4*H), zeros(t, d, len(in.r)), zeros(t, d, 4*H)
		must(t, d.SLSTMBackward(s, b, up(t, d, w), dRaw, dR, dB))
		wx, rr, bias := f64(in.wx), f64(in.r), f64(in.bias)
		for _, f := range []struct {
			name string
			x    []float32
			p    *[]float64
			g    *Buffer
		}{{"dWx", in.wx, &wx, dRaw}, {"dR", in.r, &rr, dR}, {"dbias", in.bias, &bias, dB}} {
			orig := *f.p
			grad := down(t, d, f.g, len(f.x))
			checkDirectional64(t, f.name, rg, f.x, grad, func(x []float64) float64 {
				*f.p = x
				defer func() { *f.p = orig }()
				return weighted64(slstmRef(s, wx, rr, bias), w)
			})
		}
	}
}

func TestNormBackward(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(35, 36))
	for _, tc := range []struct {
		rows, cols, groups int
		offset, rms        bool
	}{{6, 40, 1, true, false}, {12, 16, 4, false, false}, {5, 300, 1, false, true}} {
		n := tc.rows * tc.cols
		x := randVec(r, n, 2)
		wn := tc.groups * tc.cols
		wv := randVec(r, wn, 0.5)
		dy := randVec(r, n, 1)
		fwd := func(x, wv []float32) (y, mean, rstd *Buffer) {
			y, mean, rstd = zeros(t, d, n), zeros(t, d, tc.rows), zeros(t, d, tc.rows)
			if tc.rms {
				must(t, d.RMSNorm(y, rstd, up(t, d, x), up(t, d, wv), tc.rows, tc.cols, 1e-6))
			} else {
				must(t, d.LayerNorm(y, mean, rstd, up(t, d, x), up(t, d, wv), tc.rows, tc.cols, tc.groups, tc.offset, 1e-5))
			}
			return
		}
		_, mean, rstd := fwd(x, wv)
		dx, dw := zeros(t, d, n), zeros(t, d, wn)
		bx, bw, bdy := up(t, d, x), up(t, d, wv), up(t, d, dy)
		if tc.rms {
			must(t, d.RMSNormGrad(dx, bx, bw, rstd, bdy, tc.rows, tc.cols))
			must(t, d.RMSNormWeightGrad(dw, bx, rstd, bdy, tc.rows, tc.cols))
		} else {
			must(t, d.LayerNormGrad(dx, bx, bw, mean, rstd, bdy, tc.rows, tc.cols, tc.groups, tc.offset))
			must(t, d.LayerNormWeightGrad(dw, bx, mean, rstd, bdy, tc.rows, tc.cols, tc.groups))
		}
		checkDirectional(t, "norm dx", r, x, down(t, d, dx, n), func(x []float32) float64 {
			y, _, _ := fwd(x, wv)
			return weighted(down(t, d, y, n), dy)
		})
		checkDirectional(t, "norm dw", r, wv, down(t, d, dw, wn), func(wv []float32) float64 {
			y, _, _ := fwd(x, wv)
			return weighted(down(t, d, y, n), dy)
		})
	}
}

func TestConvBackward(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(37, 38))
	batch, seq, ch, k := 2, 10, 5, 4
	n := batch * seq * ch
	x, w, b, dy := randVec(r, n, 1), randVec(r, ch*k, 1), randVec(r, ch, 1), randVec(r, n, 1)
	fwd := func(x, w, b []float32) float64 {
		y := zeros(t, d, n)
		must(t, d.Conv(y, up(t, d, x), up(t, d, w), up(t, d, b), batch, seq, ch, k, 0))
		return weighted(down(t, d, y, n), dy)
	}
	dx, dw, db := zeros(t, d, n), zeros(t, d, ch*k), zeros(t, d, ch)
	bdy := up(t, d, dy)
	must(t, d.ConvGradX(dx, bdy, up(t, d, w), batch, seq, ch, k))
	must(t, d.ConvGradW(dw, db, up(t, d, x), bdy, batch, seq, ch, k, 0))
	checkDirectional(t, "conv dx", r, x, down(t, d, dx, n), func(v []float32) float64 { return fwd(v, w, b) })
	checkDirectional(t, "conv dw", r, w, down(t, d, dw, ch*k), func(v []float32) float64 { return fwd(x, v, b) })
	checkDirectional(t, "conv db", r, b, down(t, d, db, ch), func(v []float32) float64 { return fwd(x, w, v) })
}

// TestElementwiseBackward covers the gates' and activations' gradients.
func TestElementwiseBackward(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(39, 40))
	rows, p := 7, 33
	n := rows * p
	dy := randVec(r, n, 1)
	bdy := up(t, d, dy)

	x := randVec(r, n, 20)
	dx := zeros(t, d, n)
	must(t, d.SoftcapGrad(dx, up(t, d, x), bdy, 15, n))
	checkDirectional(t, "softcap", r, x, down(t, d, dx, n), func(v []float32) float64 {
		y := zeros(t, d, n)
		must(t, d.Softcap(y, up(t, d, v), 15, n))
		return weighted(down(t, d, y, n), dy)
	})

	h, o := randVec(r, n, 1), randVec(r, n, 2)
	dh, do := zeros(t, d, n), zeros(t, d, n)
	must(t, d.SigmoidGateGrad(dh, do, up(t, d, h), up(t, d, o), bdy, n))
	gate := func(h, o []float32) float64 {
		y := zeros(t, d, n)
		must(t, d.SigmoidGate(y, up(t, d, h), up(t, d, o), n))
		return weighted(down(t, d, y, n), dy)
	}
	checkDirectional(t, "gate dh", r, h, down(t, d, dh, n), func(v []float32) float64 { return gate(v, o) })
	checkDirectional(t, "gate do", r, o, down(t, d, do, n), func(v []float32) float64 { return gate(h, v) })

	for _, act := range []Act{ActSiLU, ActGELU, ActSigmoid} {
		gu := randVec(r, rows*2*p, 1.5)
		dgu := zeros(t, d, rows*2*p)
		must(t, d.GLUGrad(dgu, up(t, d, gu), bdy, act, rows, p))
		checkDirectional(t, "glu", r, gu, down(t, d, dgu, rows*2*p), func(v []float32) float64 {
			y := zeros(t, d, n)
			must(t, d.GLU(y, up(t, d, v), act, rows, p))
			return weighted(down(t, d, y, n), dy)
		})
	}

	logits := randVec(r, n, 3)
	tg := make([]int32, rows)
	for i := range tg {
		tg[i] = int32(r.IntN(p))
	}
	tg[2] = -1
	tgb := upInt(t, d, tg)
	dl := zeros(t, d, n)
	lossB := zeros(t, d, rows)
	must(t, d.CrossEntropy(lossB, dl, up(t, d, logits), tgb, rows, p, 1))
	checkDirectional(t, "xent", r, logits, down(t, d, dl, n), func(v []float32) float64 {
		l := zeros(t, d, rows)
		must(t, d.CrossEntropy(l, nil, up(t, d, v), tgb, rows, p, 1))
		var s float64
		for _, x := range down(t, d, l, rows) {
			s += float64(x)
		}
		return s
	})
}
