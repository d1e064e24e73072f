package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// opCase is one op under a finite-difference check: fwd maps the inputs to
// an output; bwd returns d(Σ r·y)/d(input) for every input given r.
type opCase struct {
	name   string
	inputs [][]float64
	fwd    func(in [][]float64) []float64
	bwd    func(in [][]float64, r []float64) [][]float64
}

func fdVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * scale
	}
	return v
}

// TestOpsFiniteDifference checks every op's backward against central
// differences of its float64 forward, element by element: relative error
// ≤ 1e-7 (scale: the largest gradient of that input).
func TestOpsFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n, in, out = 5, 6, 4
	var ws scratch[float64]
	cases := []opCase{
		{
			name:   "linear",
			inputs: [][]float64{fdVec(rng, n*in, 1), fdVec(rng, out*in, 1), fdVec(rng, out, 1)},
			fwd: func(v [][]float64) []float64 {
				y := make([]float64, n*out)
				linearForward(y, v[0], v[1], v[2], n, in, out)
				return y
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := zerosLike(v)
				linearBackward(&ws, g[0], g[1], g[2], r, v[0], v[1], n, in, out)
				return g
			},
		},
		{
			name:   "linear, out > in (transposed weight-gradient path)",
			inputs: [][]float64{fdVec(rng, n*3, 1), fdVec(rng, 7*3, 1), fdVec(rng, 7, 1)},
			fwd: func(v [][]float64) []float64 {
				y := make([]float64, n*7)
				linearForward(y, v[0], v[1], v[2], n, 3, 7)
				return y
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := zerosLike(v)
				linearBackward(&ws, g[0], g[1], g[2], r, v[0], v[1], n, 3, 7)
				return g
			},
		},
		{
			name:   "layernorm",
			inputs: [][]float64{fdVec(rng, n*in, 2), fdVec(rng, in, 0.3)},
			fwd: func(v [][]float64) []float64 {
				y := make([]float64, n*in)
				layerNormForward(y, v[0], v[1], make([]float64, n), make([]float64, n), n, in, 1e-5)
				return y
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := zerosLike(v)
				mean, rstd := make([]float64, n), make([]float64, n)
				layerNormForward(make([]float64, n*in), v[0], v[1], mean, rstd, n, in, 1e-5)
				layerNormBackward(g[0], g[1], r, v[0], v[1], mean, rstd, n, in)
				return g
			},
		},
		{
			name:   "groupnorm",
			inputs: [][]float64{fdVec(rng, n*in, 2), fdVec(rng, in, 0.3)},
			fwd: func(v [][]float64) []float64 {
				y := make([]float64, n*in)
				groupNormForward(y, v[0], v[1], make([]float64, 2*n), make([]float64, 2*n), n, 2, in/2, 1e-5)
				return y
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := zerosLike(v)
				mean, rstd := make([]float64, 2*n), make([]float64, 2*n)
				groupNormForward(make([]float64, n*in), v[0], v[1], mean, rstd, n, 2, in/2, 1e-5)
				groupNormBackward(g[0], g[1], r, v[0], v[1], mean, rstd, n, 2, in/2)
				return g
			},
		},
		{
			name:   "causal conv (2 sequences, strided input)",
			inputs: [][]float64{fdVec(rng, 2*n*2*in, 1), fdVec(rng, in*3, 1), fdVec(rng, in, 1)},
			fwd: func(v [][]float64) []float64 {
				y := make([]float64, 2*n*in)
				convForward(y, v[0], v[1], v[2], 2, n, in, 2*in, 3)
				return y
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := zerosLike(v)
				convBackward(g[0], g[1], g[2], r, v[0], v[1], 2, n, in, 2*in, 3)
				return g
			},
		},
		headwiseCase(rng, &ws, "headwise small blocks", 2),
		headwiseCase(rng, &ws, "headwise large blocks", 12),
		{
			name:   "embedding",
			inputs: [][]float64{fdVec(rng, 7*in, 1)},
			fwd: func(v [][]float64) []float64 {
				y := make([]float64, 4*in)
				embeddingForward(y, v[0], []int{3, 0, 3, 6}, in)
				return y
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := zerosLike(v)
				embeddingBackward(g[0], r, []int{3, 0, 3, 6}, in)
				return g
			},
		},
		{
			name:   "cross-entropy (one row ignored)",
			inputs: [][]float64{fdVec(rng, 4*7, 2)},
			fwd: func(v [][]float64) []float64 {
				return []float64{crossEntropy(v[0], nil, []int{2, -1, 6, 0}, 7, 1)}
			},
			bwd: func(v [][]float64, r []float64) [][]float64 {
				g := make([]float64, len(v[0]))
				crossEntropy(v[0], g, []int{2, -1, 6, 0}, 7, r[0])
				return [][]float64{g}
			},
		},
		mlstmCellCase(rng, &ws, 7, 4),
		mlstmCellCase(rng, &ws, cellBlock+5, 2), // two row blocks, one partial
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkFD(t, c, rng, 1e-7)
		})
	}
}

func headwiseCase(rng *rand.Rand, ws *scratch[float64], name string, per int) opCase {
	const n, nph = 3, 2
	w := nph * per
	return opCase{
		name: name,
		// x lives in columns [1, 1+w) of rows of stride w+2; y at [2, …) of stride w+3.
		inputs: [][]float64{fdVec(rng, n*(w+2), 1), fdVec(rng, nph*per*per, 0.5), fdVec(rng, w, 1)},
		fwd: func(v [][]float64) []float64 {
			y := make([]float64, n*(w+3))
			headwiseForward(ws, y, w+3, 2, v[0], w+2, 1, v[1], v[2], n, nph, w)
			return y
		},
		bwd: func(v [][]float64, r []float64) [][]float64 {
			g := zerosLike(v)
			headwiseBackward(ws, g[0], w+2, 1, r, w+3, 2, v[0], w+2, 1, v[1], g[1], g[2], n, nph, w)
			return g
		},
	}
}

// mlstmCellCase checks the parallel stabilised cell with gates that make
// both denominator branches occur.
func mlstmCellCase(rng *rand.Rand, ws *scratch[float64], s, dh int) opCase {
	ig := fdVec(rng, s, 2)
	fg := fdVec(rng, s, 2)
	return opCase{
		name:   fmt.Sprintf("mLSTM parallel cell S=%d", s),
		inputs: [][]float64{fdVec(rng, s*dh, 1), fdVec(rng, s*dh, 1), fdVec(rng, s*dh, 1), ig, fg},
		fwd: func(v [][]float64) []float64 {
			var tws scratch[float64]
			tp := newCellTape(&tws, s)
			h := make([]float64, s*dh)
			mlstmParallelForward(ws, &tp, v[0], v[1], v[2], v[3], v[4], h, s, dh)
			return h
		},
		bwd: func(v [][]float64, r []float64) [][]float64 {
			var tws scratch[float64]
			tp := newCellTape(&tws, s)
			h := make([]float64, s*dh)
			mlstmParallelForward(ws, &tp, v[0], v[1], v[2], v[3], v[4], h, s, dh)
			g := zerosLike(v)
			mlstmParallelBackward(ws, &tp, v[0], v[1], v[2], v[3], v[4], h, r, g[0], g[1], g[2], g[3], g[4], s, dh)
			return g
		},
	}
}

func zerosLike(v [][]float64) [][]float64 {
	g := make([][]float64, len(v))
	for i := range v {
		g[i] = make([]float64, len(v[i]))
	}
	return g
}

// checkFD compares c.bwd with central differences (h = 1e-6) of Σ r·fwd
// for every element of every input.
func checkFD(t *testing.T, c opCase, rng *rand.Rand, tol float64) {
	t.Helper()
	y := c.fwd(c.inputs)
	r := fdVec(rng, len(y), 1)
	g := c.bwd(c.inputs, r)
	obj := func() float64 {
		var s float64
		for i, v := range c.fwd(c.inputs) {
			s += r[i] * v
		}
		return s
	}
	const h = 1e-6
	for k, x := range c.inputs {
		var scale, worst float64
		for _, v := range g[k] {
			scale = max(scale, math.Abs(v))
		}
		scale = max(scale, 1e-3)
		for i := range x {
			old := x[i]
			x[i] = old + h
			fp := obj()
			x[i] = old - h
			fm := obj()
			x[i] = old
			fd := (fp - fm) / (2 * h)
			worst = max(worst, math.Abs(fd-g[k][i])/scale)
		}
		if worst > tol {
			t.Errorf("input %d: finite-difference error %.3g > %.0g", k, worst, tol)
		} else {
			t.Logf("input %d: finite-difference error %.2g", k, worst)
		}
	}
}

// TestCellFloat32 runs the float32 cell (gemm kernels, several row
// blocks) against the float64 one on the same inputs.
func TestCellFloat32(t *testing.T) {
	const s, dh = 3*cellBlock - 7, 16
	rng := rand.New(rand.NewPCG(1, 5))
	in64 := [][]float64{fdVec(rng, s*dh, 1), fdVec(rng, s*dh, 1), fdVec(rng, s*dh, 1), fdVec(rng, s, 2), fdVec(rng, s, 2), fdVec(rng, s*dh, 1)}
	in32 := make([][]float32, len(in64))
	for i, v := range in64 {
		in32[i] = make([]float32, len(v))
		for j, x := range v {
			in32[i][j] = float32(x)
			v[j] = float64(in32[i][j])
		}
	}
	run64 := func() [][]float64 {
		var ws, tws scratch[float64]
		tp := newCellTape(&tws, s)
		out := [][]float64{make([]float64, s*dh), make([]float64, s*dh), make([]float64, s*dh), make([]float64, s*dh), make([]float64, s), make([]float64, s)}
		mlstmParallelForward(&ws, &tp, in64[0], in64[1], in64[2], in64[3], in64[4], out[0], s, dh)
		mlstmParallelBackward(&ws, &tp, in64[0], in64[1], in64[2], in64[3], in64[4], out[0], in64[5], out[1], out[2], out[3], out[4], out[5], s, dh)
		return out
	}
	run32 := func() [][]float32 {
		var ws, tws scratch[float32]
		tp := newCellTape(&tws, s)
		out := [][]float32{make([]float32, s*dh), make([]float32, s*dh), make([]float32, s*dh), make([]float32, s*dh), make([]float32, s), make([]float32, s)}
		mlstmParallelForward(&ws, &tp, in32[0], in32[1], in32[2], in32[3], in32[4], out[0], s, dh)
		mlstmParallelBackward(&ws, &tp, in32[0], in32[1], in32[2], in32[3], in32[4], out[0], in32[5], out[1], out[2], out[3], out[4], out[5], s, dh)
		return out
	}
	want, got := run64(), run32()
	for i, name := range []string{"h", "dq", "dk", "dv", "dig", "dfg"} {
		if e := relErr(got[i], want[i]); e > 1e-4 { // float32 rounding over sums of ~S terms
			t.Errorf("%s: float32 vs float64 rel err %.3g", name, e)
		}
	}
}

func TestFastExp(t *testing.T) {
	for v := -708.0; v <= 709; v += 0.0137 {
		got, want := fastExp(v), math.Exp(v)
		if math.Abs(got-want) > 1e-8*want {
			t.Fatalf("fastExp(%v) = %v, math.Exp %v", v, got, want)
		}
	}
	for v := -25.0; v <= 25; v += 0.00731 {
		if got, want := float64(tanhF(float32(v))), math.Tanh(float64(float32(v))); math.Abs(got-want) > 2e-7*math.Max(math.Abs(want), 1e-3) {
			t.Fatalf("tanhF(%v) = %v, math.Tanh %v", v, got, want)
		}
	}
	if fastExp(-800) != 0 || !math.IsInf(fastExp(800), 1) || !math.IsNaN(fastExp(math.NaN())) {
		t.Error("fastExp edges")
	}
}
