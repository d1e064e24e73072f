//go:build cuda || cudaemu

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestElementwise(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 255, 1000, 70001} {
		a, b := randVec(r, n, 2), randVec(r, n, 2)
		ba, bb, y := up(t, d, a), up(t, d, b), zeros(t, d, n)
		want := make([]float64, n)
		must(t, d.Add(y, ba, bb, n))
		for i := range want {
			want[i] = float64(a[i]) + float64(b[i])
		}
		closeTo(t, "add", down(t, d, y, n), want, 1e-7)
		must(t, d.Mul(y, ba, bb, n))
		for i := range want {
			want[i] = float64(a[i]) * float64(b[i])
		}
		closeTo(t, "mul", down(t, d, y, n), want, 1e-7)
		must(t, d.Axpy(y, ba, 0.5, n))
		for i := range want {
			want[i] += 0.5 * float64(a[i])
		}
		closeTo(t, "axpy", down(t, d, y, n), want, 1e-6)
	}
}

// TestActivations covers every activation and its derivative (checked
// against the float64 derivative of the float64 function).
func TestActivations(t *testing.T) {
	d := openDevice(t)
	funcs := []struct {
		act Act
		f   func(float64) float64
	}{
		{ActIdentity, func(x float64) float64 { return x }},
		{ActSiLU, func(x float64) float64 { return x * sigmoid64(x) }},
		{ActSigmoid, sigmoid64},
		{ActGELU, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }},
		{ActReLU, func(x float64) float64 { return max(x, 0) }},
		{ActReLU2, func(x float64) float64 { return max(x, 0) * max(x, 0) }},
		{ActTanh, math.Tanh},
		{ActExp, math.Exp},
	}
	r := rand.New(rand.NewPCG(3, 4))
	n := 4096
	x := randVec(r, n, 4)
	x[0], x[1], x[2] = 0, 30, -30 // extremes of the exp-based forms
	bx, y, dy := up(t, d, x), zeros(t, d, n), up(t, d, make([]float32, n))
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	must(t, dy.Upload(ones))
	for _, fc := range funcs {
		must(t, d.Activate(y, bx, fc.act, n))
		want := make([]float64, n)
		for i, v := range x {
			want[i] = fc.f(float64(v))
		}
		if fc.act == ActExp { // e^30 dominates a normwise error: compare per element
			got := down(t, d, y, n)
			for i := range got {
				if e := math.Abs(float64(got[i])-want[i]) / want[i]; e > 1e-6 {
					t.Fatalf("exp(%g) = %g, want %g", x[i], got[i], want[i])
				}
			}
		} else {
			closeTo(t, "act", down(t, d, y, n), want, 1e-6)
		}
		must(t, d.ActivateGrad(y, bx, dy, fc.act, n))
		for i, v := range x {
			const h = 1e-5
			xv := float64(v)
			want[i] = (fc.f(xv+h) - fc.f(xv-h)) / (2 * h)
			if (fc.act == ActReLU || fc.act == ActReLU2) && xv == 0 {
				want[i] = 0
			}
		}
		if fc.act != ActExp {
			closeTo(t, "act grad", down(t, d, y, n), want, 1e-5)
		}
	}
}

func TestSoftcap(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(5, 6))
	n := 5000
	x := randVec(r, n, 20)
	for _, c := range []float64{15, 30, 0} {
		bx, y := up(t, d, x), zeros(t, d, n)
		must(t, d.Softcap(y, bx, c, n))
		want := make([]float64, n)
		for i, v := range x {
			want[i] = float64(v)
			if c > 0 {
				want[i] = c * math.Tanh(float64(v)/c)
			}
		}
		closeTo(t, "softcap", down(t, d, y, n), want, 1e-6)
	}
}

func layerNorm64(x []float64, w []float64, offset bool, eps float64) []float64 {
	var mu, v float64
	for _, a := range x {
		mu += a
	}
	mu /= float64(len(x))
	for _, a := range x {
		v += (a - mu) * (a - mu)
	}
	v /= float64(len(x))
	y := make([]float64, len(x))
	for i, a := range x {
		s := 1.0
		if w != nil {
			s = w[i]
			if offset {
				s++
			}
		}
		y[i] = (a - mu) / math.Sqrt(v+eps) * s
	}
	return y
}

func TestNorms(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		rows, cols, groups int
		offset             bool
	}{
		{1, 64, 1, true},
		{7, 300, 1, false},
		{12, 16, 4, true}, // group norm: 3 positions × 4 heads of 16
		{5, 1000, 5, false},
	}
	for _, tc := range tests {
		x := randVec(r, tc.rows*tc.cols, 3)
		w := randVec(r, tc.groups*tc.cols, 0.5)
		bx, bw, y := up(t, d, x), up(t, d, w), zeros(t, d, tc.rows*tc.cols)
		must(t, d.LayerNorm(y, nil, nil, bx, bw, tc.rows, tc.cols, tc.groups, tc.offset, 1e-5))
		var want []float64
		for rr := 0; rr < tc.rows; rr++ {
			g := rr % tc.groups
			want = append(want, layerNorm64(f64(x[rr*tc.cols:(rr+1)*tc.cols]), f64(w[g*tc.cols:(g+1)*tc.cols]), tc.offset, 1e-5)...)
		}
		closeTo(t, "layernorm", down(t, d, y, len(want)), want, f32Tol)

		wr := randVec(r, tc.cols, 1)
		bwr := up(t, d, wr)
		must(t, d.RMSNorm(y, nil, bx, bwr, tc.rows, tc.cols, 1e-6))
		want = want[:0]
		for rr := 0; rr < tc.rows; rr++ {
			var ss float64
			for _, v := range x[rr*tc.cols : (rr+1)*tc.cols] {
				ss += float64(v) * float64(v)
			}
			inv := 1 / math.Sqrt(ss/float64(tc.cols)+1e-6)
			for c, v := range x[rr*tc.cols : (rr+1)*tc.cols] {
				want = append(want, float64(v)*inv*float64(wr[c]))
			}
		}
		closeTo(t, "rmsnorm", down(t, d, y, len(want)), want, f32Tol)
	}
}

func TestMatMul(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(9, 10))
	tests := []struct {
		m, n, k, batch int
		ta, tb         bool
		beta           float64
	}{
		{1, 1, 1, 1, false, false, 0},
		{17, 33, 65, 1, false, true, 0},
		{64, 64, 64, 1, true, false, 0.5},
		{130, 70, 200, 1, true, true, 0},
		{5, 8, 8, 4, false, true, 1}, // headwise: 4 blocks
	}
	for _, tc := range tests {
		rowsA, colsA := tc.m, tc.k
		if tc.ta {
			rowsA, colsA = tc.k, tc.m
		}
		rowsB, colsB := tc.k, tc.n
		if tc.tb {
			rowsB, colsB = tc.n, tc.k
		}
		sa, sb, sc := rowsA*colsA, rowsB*colsB, tc.m*tc.n
		a := randVec(r, tc.batch*sa, 1)
		b := randVec(r, tc.batch*sb, 1)
		c0 := randVec(r, tc.batch*sc, 1)
		ba, bb, bc := up(t, d, a), up(t, d, b), up(t, d, c0)
		must(t, d.MatMul(bc, ba, bb, Gemm{M: tc.m, N: tc.n, K: tc.k, TransA: tc.ta, TransB: tc.tb, Batch: tc.batch,
			StrideA: sa, StrideB: sb, StrideC: sc, Alpha: 1.5, Beta: tc.beta}))
		want := make([]float64, tc.batch*sc)
		for z := 0; z < tc.batch; z++ {
			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					var s float64
					for p := 0; p < tc.k; p++ {
						var av, bv float32
						if tc.ta {
							av = a[z*sa+p*colsA+i]
						} else {
							av = a[z*sa+i*colsA+p]
						}
						if tc.tb {
							bv = b[z*sb+j*colsB+p]
						} else {
							bv = b[z*sb+p*colsB+j]
						}
						s += float64(av) * float64(bv)
					}
					want[z*sc+i*tc.n+j] = 1.5*s + tc.beta*float64(c0[z*sc+i*tc.n+j])
				}
			}
		}
		closeTo(t, "gemm", down(t, d, bc, len(want)), want, f32Tol)
	}
}

func TestConv(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(11, 12))
	batch, seq, ch, k, stride := 2, 9, 6, 4, 10 // x is a column window of width 6 in rows of 10
	x := randVec(r, batch*seq*stride, 1)
	w, b := randVec(r, ch*k, 1), randVec(r, ch, 1)
	y := zeros(t, d, batch*seq*ch)
	must(t, d.Conv(y, up(t, d, x), up(t, d, w), up(t, d, b), batch, seq, ch, k, stride))
	want := make([]float64, batch*seq*ch)
	for bb := 0; bb < batch; bb++ {
		// The reference is runtime/model's convStep: a buffer of the last k inputs.
		buf := make([]float64, k*ch)
		for tt := 0; tt < seq; tt++ {
			copy(buf, buf[ch:])
			for c := 0; c < ch; c++ {
				buf[(k-1)*ch+c] = float64(x[(bb*seq+tt)*stride+c])
			}
			for c := 0; c < ch; c++ {
				s := float64(b[c])
				for j := 0; j < k; j++ {
					s += buf[j*ch+c] * float64(w[c*k+j])
				}
				want[(bb*seq+tt)*ch+c] = s
			}
		}
	}
	closeTo(t, "conv", down(t, d, y, len(want)), want, f32Tol)
}

func TestCrossEntropy(t *testing.T) {
	d := openDevice(t)
	r := rand.New(rand.NewPCG(13, 14))
	rows, vocab := 6, 1000
	x := randVec(r, rows*vocab, 5)
	tg := []int32{0, 999, 17, -1, 500, 3}
	loss, dx := zeros(t, d, rows), zeros(t, d, rows*vocab)
	must(t, d.CrossEntropy(loss, dx, up(t, d, x), upInt(t, d, tg), rows, vocab, 0.2))
	wantL := make([]float64, rows)
	wantD := make([]float64, rows*vocab)
	for rr := 0; rr < rows; rr++ {
		if tg[rr] < 0 {
			continue
		}
		xr := f64(x[rr*vocab : (rr+1)*vocab])
		mx := math.Inf(-1)
		for _, v := range xr {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range xr {
			s += math.Exp(v - mx)
		}
		wantL[rr] = mx + math.Log(s) - xr[tg[rr]]
		for c, v := range xr {
			p := math.Exp(v-mx) / s
			if c == int(tg[rr]) {
				p--
			}
			wantD[rr*vocab+c] = 0.2 * p
		}
	}
	closeTo(t, "xent loss", down(t, d, loss, rows), wantL, f32Tol)
	closeTo(t, "xent grad", down(t, d, dx, rows*vocab), wantD, f32Tol)
}
