package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// Finite-difference checks in float64: of each op's backward on its own
// (loss Σ r·op(x) for a random r), and of the whole xLSTM Large gradient on
// small random models covering every config switch the backward knows.

const fdStep = 1e-5

// fdCheck compares analytic with the central difference of loss along each
// element of x: |fd − analytic| ≤ tol·max(1, max|analytic|).
func fdCheck(t *testing.T, name string, x, analytic []float64, loss func() float64, tol float64) {
	t.Helper()
	scale := 1.0
	for _, g := range analytic {
		scale = math.Max(scale, math.Abs(g))
	}
	worst := 0.0
	for i := range x {
		orig := x[i]
		x[i] = orig + fdStep
		lp := loss()
		x[i] = orig - fdStep
		lm := loss()
		x[i] = orig
		fd := (lp - lm) / (2 * fdStep)
		worst = math.Max(worst, math.Abs(fd-analytic[i])/scale)
	}
	if worst > tol {
		t.Errorf("%s: finite-difference error %.2e of max|grad|, want ≤ %.0e", name, worst, tol)
	}
	t.Logf("%s: %d elements, worst finite-difference error %.2e of max|grad|", name, len(x), worst)
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * scale
	}
	return v
}

func weighted(r, y []float64) float64 {
	var s float64
	for i := range y {
		s += r[i] * y[i]
	}
	return s
}

func TestLargeOpsFiniteDifference(t *testing.T) {
	const n, d, heads = 3, 8, 2
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"rmsnorm", func(t *testing.T) {
			x, w, r := randVec(rng, n*d, 1), randVec(rng, d, 1), randVec(rng, n*d, 1)
			y, rs := make([]float64, n*d), make([]float64, n)
			loss := func() float64 { lgRMSNorm(y, rs, x, w, n, d, 1e-6); return weighted(r, y) }
			loss()
			dx, dw := make([]float64, n*d), make([]float64, d)
			lgRMSNormBack(dx, dw, r, rs, x, w, n, d)
			fdCheck(t, "x", x, dx, loss, 1e-8)
			fdCheck(t, "w", w, dw, loss, 1e-8)
		}},
		{"multihead-norm", func(t *testing.T) {
			x, w, r := randVec(rng, n*d, 1), randVec(rng, d, 1), randVec(rng, n*d, 1)
			y, mu, rs := make([]float64, n*d), make([]float64, n*heads), make([]float64, n*heads)
			loss := func() float64 { lgHeadNorm(y, mu, rs, x, w, n, heads, d/heads, 1e-6); return weighted(r, y) }
			loss()
			dx, dw := make([]float64, n*d), make([]float64, d)
			lgHeadNormBack(dx, dw, r, mu, rs, x, w, n, heads, d/heads)
			fdCheck(t, "x", x, dx, loss, 1e-8)
			fdCheck(t, "w", w, dw, loss, 1e-8)
		}},
		{"soft-cap", func(t *testing.T) {
			x, r := randVec(rng, 16, 20), randVec(rng, 16, 1)
			loss := func() float64 {
				var s float64
				for i, v := range x {
					s += r[i] * lgSoftCap(v, 15)
				}
				return s
			}
			g := make([]float64, len(x))
			for i, v := range x {
				g[i] = r[i] * lgSoftCapGrad(lgSoftCap(v, 15), 15)
			}
			fdCheck(t, "x", x, g, loss, 1e-8)
		}},
		// The cell alone: several chunks, a partial last one, gates large
		// enough that both denominator branches and both sides of every
		// stabiliser max are taken.
		{"mlstm-chunkwise", func(t *testing.T) { fdCell(t, rng, 11, 4, 3, 5, 0) }},
		{"mlstm-one-chunk", func(t *testing.T) { fdCell(t, rng, 6, 8, 4, 2, 0) }},
		{"mlstm-low-input-gates", func(t *testing.T) { fdCell(t, rng, 13, 4, 3, 4, -6) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

// fdCell checks the cell's backward over s positions in chunks of chunk.
// igShift moves the input gates (negative: more exp(−m) denominators).
func fdCell(t *testing.T, rng *rand.Rand, s, chunk, dk, dv int, igShift float64) {
	q, k, v := randVec(rng, s*dk, 1), randVec(rng, s*dk, 1), randVec(rng, s*dv, 1)
	ig, fg := randVec(rng, s, 4), randVec(rng, s, 3)
	for j := range ig {
		ig[j] += igShift
	}
	r := randVec(rng, s*dv, 1)
	h := make([]float64, s*dv)
	nc := (s + chunk - 1) / chunk
	tp := &lgHeadTape[float64]{c: make([]float64, nc*dk*dv), n: make([]float64, nc*dk), m: make([]float64, nc+1),
		mt: make([]float64, s), dl: make([]float64, s), den: make([]float64, s)}
	sc := newLGCellScratch[float64](dk, dv, chunk)
	hd := lgHead[float64]{q: lgView[float64]{q, dk, 0}, k: lgView[float64]{k, dk, 0}, v: lgView[float64]{v, dv, 0},
		i: lgView[float64]{ig, 1, 0}, f: lgView[float64]{fg, 1, 0}, h: lgView[float64]{h, dv, 0},
		dk: dk, dv: dv, chunk: chunk, qs: 1 / math.Sqrt(float64(dk)), eps: 1e-6}
	loss := func() float64 { hd.forward(s, tp, sc); return weighted(r, h) }
	loss()
	branches := map[bool]int{}
	for j := range s {
		branches[math.Abs(tp.dl[j]) > math.Exp(-tp.mt[j])]++
	}
	t.Logf("denominator branches |q·n| / exp(−m): %d / %d", branches[true], branches[false])
	dq, dkk, dvv := make([]float64, s*dk), make([]float64, s*dk), make([]float64, s*dv)
	di, df := make([]float64, s), make([]float64, s)
	hd.backward(s, tp, lgView[float64]{r, dv, 0}, lgView[float64]{dq, dk, 0}, lgView[float64]{dkk, dk, 0},
		lgView[float64]{dvv, dv, 0}, lgView[float64]{di, 1, 0}, lgView[float64]{df, 1, 0}, sc)
	for _, c := range []struct {
		name    string
		x, grad []float64
	}{{"q", q, dq}, {"k", k, dkk}, {"v", v, dvv}, {"i", ig, di}, {"f", fg, df}} {
		fdCheck(t, c.name, c.x, c.grad, loss, 1e-7)
	}
}

// TestLargeModelFiniteDifference checks the whole gradient of small random
// models: for every tensor, its largest-gradient element and two random
// ones against central differences of the float64 loss.
func TestLargeModelFiniteDifference(t *testing.T) {
	base := strings.Replace(modeltest.TinyLarge, "embedding_dim: 64", "embedding_dim: 16", 1)
	base = strings.Replace(base, "vocab_size: 260", "vocab_size: 40", 1)
	base = strings.Replace(base, "chunk_size: 8", "chunk_size: 4", 1)
	tests := []struct {
		name, extra string
		s           int
	}{
		{"single", "", 8},
		{"bias-tied-partial-chunk", "use_bias: true\ntie_word_embeddings: true\n", 7},
		{"fused-no-out-norm", "weight_mode: fused\nadd_out_norm: false\n", 9},
		{"no-soft-caps", "gate_soft_cap: null\noutput_logit_soft_cap: null\n", 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			yaml := base
			for _, line := range strings.Split(strings.TrimSpace(tc.extra), "\n") {
				if line == "" {
					continue
				}
				key, _, _ := strings.Cut(line, ":")
				yaml = dropKey(yaml, key) + line + "\n"
			}
			cfg, err := model.ParseConfigYAML([]byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			src, err := modeltest.Random(cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			specs, err := model.Tensors(cfg)
			if err != nil {
				t.Fatal(err)
			}
			data, grad := make([][]float64, len(specs)), make([][]float64, len(specs))
			for i, s := range specs {
				data[i], grad[i] = make([]float64, numel(s.Shape)), make([]float64, numel(s.Shape))
				if err := src.ReadFloat64(s.Name, data[i]); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(3, 4))
			batch := make([][]int, 2)
			for b := range batch {
				for range tc.s {
					batch[b] = append(batch[b], rng.IntN(cfg.VocabSize))
				}
			}
			net := newLGNet[float64](cfg, 2)
			if _, err := lgLossAndGrad(net, specs, data, grad, batch); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				l, err := lgLossAndGrad(net, specs, data, nil, batch)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			var overall float64
			for i, s := range specs {
				idx := []int{argMaxAbs(grad[i]), rng.IntN(len(grad[i])), rng.IntN(len(grad[i]))}
				var worst float64
				g0 := math.Max(math.Abs(grad[i][idx[0]]), 1e-3)
				for _, e := range idx {
					orig := data[i][e]
					data[i][e] = orig + fdStep
					lp := loss()
					data[i][e] = orig - fdStep
					lm := loss()
					data[i][e] = orig
					fd := (lp - lm) / (2 * fdStep)
					worst = math.Max(worst, math.Abs(fd-grad[i][e])/g0)
				}
				if worst > 1e-6 {
					t.Errorf("%s: finite-difference error %.2e of the tensor's max|grad| %.3e", s.Name, worst, g0)
				}
				overall = max(overall, worst)
			}
			t.Logf("%d tensors, 3 elements each: worst finite-difference error %.2e of the tensor's max|grad|", len(specs), overall)
		})
	}
}

// dropKey removes a top-level "key:" line from a YAML text.
func dropKey(yaml, key string) string {
	var out []string
	for _, l := range strings.Split(yaml, "\n") {
		if !strings.HasPrefix(l, key+":") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func argMaxAbs(v []float64) int {
	best := 0
	for i, x := range v {
		if math.Abs(x) > math.Abs(v[best]) {
			best = i
		}
	}
	return best
}
