package train

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

func tinyLM(t testing.TB) *model.Config {
	t.Helper()
	cfg, err := model.ParseConfigYAML([]byte(modeltest.TinyLM))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestForwardMatchesModel: the trainer's loss equals the cross-entropy of
// runtime/model's Forward logits (float64, same weights) on the reference
// sets and on random variants.
func TestForwardMatchesModel(t *testing.T) {
	type set struct {
		name string
		cfg  *model.Config
		src  model.Source
		tok  [][]int
	}
	var sets []set
	for _, name := range lmSets {
		if testref.Shared() == "" {
			break
		}
		gs := openGradSet(t, name)
		sets = append(sets, set{name, gs.cfg, gs.model, gs.tokens})
	}
	for _, v := range lmVariants {
		cfg, err := model.ParseConfigYAML([]byte(v.yaml))
		if err != nil {
			t.Fatal(err)
		}
		src, err := modeltest.Random(cfg, 11)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, set{v.name, cfg, src, [][]int{{1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1}}})
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			m, err := model.New[float64](s.cfg, s.src)
			if err != nil {
				t.Fatal(err)
			}
			v := s.cfg.VocabSize
			var want float64
			for _, seq := range s.tok {
				logits, err := m.Forward(seq)
				if err != nil {
					t.Fatal(err)
				}
				want += crossEntropy(logits, nil, append(slices.Clone(seq[1:]), -1), v, 1)
			}
			want /= float64(len(s.tok) * (len(s.tok[0]) - 1))
			specs, _ := model.Tensors(s.cfg)
			w := make([][]float64, len(specs))
			for i, sp := range specs {
				w[i] = make([]float64, numel(sp.Shape))
				if err := s.src.ReadFloat64(sp.Name, w[i]); err != nil {
					t.Fatal(err)
				}
			}
			core, err := newLMCore[float64](s.cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := core.run(w, s.tok, nil)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(got-want) / want; e > 1e-13 {
				t.Errorf("loss %.15g, model.Forward gives %.15g (rel %.2g)", got, want, e)
			}
		})
	}
}

// TestDeterministic: the same inputs and thread count give bit-identical
// loss and gradients (fresh trainers and a reused one, whose gradient
// buffer starts dirty); other thread counts agree to rounding.
func TestDeterministic(t *testing.T) {
	cfg := tinyLM(t)
	p, err := InitParams(cfg, 42)
	if err != nil {
		t.Fatal(err)
	}
	batch := make([][]int, 5)
	for b := range batch {
		batch[b] = make([]int, 17)
		for j := range batch[b] {
			batch[b][j] = (b*31 + j*7) % cfg.VocabSize
		}
	}
	run := func(threads int) (float64, *Params) {
		tr, err := NewTrainer(cfg, threads)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		g, _ := NewParams(cfg)
		loss, err := tr.LossAndGrad(p, batch, g)
		if err != nil {
			t.Fatal(err)
		}
		// Again on the same trainer: reused scratch must not leak into results.
		g2, _ := NewParams(cfg)
		g2.Data[0][0] = 123
		loss2, err := tr.LossAndGrad(p, batch, g2)
		if err != nil {
			t.Fatal(err)
		}
		if loss2 != loss {
			t.Errorf("threads %d: second call on one trainer: loss %v, first %v", threads, loss2, loss)
		}
		for i := range g.Data {
			if !slices.Equal(g.Data[i], g2.Data[i]) {
				t.Errorf("threads %d: second call on one trainer: gradient %s differs", threads, g.Specs[i].Name)
			}
		}
		return loss, g
	}
	for _, threads := range []int{1, 2, 3} {
		l1, g1 := run(threads)
		l2, g2 := run(threads)
		if l1 != l2 {
			t.Errorf("threads %d: loss %v then %v", threads, l1, l2)
		}
		for i := range g1.Data {
			if !slices.Equal(g1.Data[i], g2.Data[i]) {
				t.Errorf("threads %d: gradient %s differs between runs", threads, g1.Specs[i].Name)
			}
		}
	}
	l1, g1 := run(1)
	l3, g3 := run(3)
	if math.Abs(l1-l3) > 1e-6*l1 {
		t.Errorf("loss with 1 thread %v, with 3 %v", l1, l3)
	}
	for i := range g1.Data {
		var mx, d float64
		for j, v := range g1.Data[i] {
			mx = max(mx, math.Abs(float64(v)))
			d = max(d, math.Abs(float64(v-g3.Data[i][j])))
		}
		if d > 1e-4*mx+1e-7 {
			t.Errorf("%s: 1 vs 3 threads differ by %.3g (max %.3g)", g1.Specs[i].Name, d, mx)
		}
	}
}

func TestTrainerErrors(t *testing.T) {
	cfg := tinyLM(t)
	tr, err := NewTrainer(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	p, _ := NewParams(cfg)
	g, _ := NewParams(cfg)
	other, _ := NewParams(func() *model.Config {
		c, _ := model.ParseConfigYAML([]byte(lmVariants[0].yaml))
		return c
	}())
	cases := []struct {
		name  string
		p, g  *Params
		batch [][]int
		want  string
	}{
		{"empty batch", p, g, nil, "empty batch"},
		{"short", p, g, [][]int{{1}}, "sequence length 1"},
		{"ragged", p, g, [][]int{{1, 2, 3}, {1, 2}}, "sequence 1 has length 2"},
		{"token range", p, g, [][]int{{1, 260}}, "token 260 outside"},
		{"negative token", p, g, [][]int{{-1, 2}}, "token -1 outside"},
		{"nil params", nil, g, [][]int{{1, 2}}, "nil params"},
		{"wrong params", other, g, [][]int{{1, 2}}, "the config wants"},
		{"nil grad", p, nil, [][]int{{1, 2}}, "nil gradient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tr.LossAndGrad(c.p, c.batch, c.g)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := NewTrainer(nil, 1); err == nil {
		t.Error("NewTrainer(nil) succeeded")
	}
}

func TestParamsOps(t *testing.T) {
	cfg := tinyLM(t)
	p, err := InitParams(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Clone()
	q.Add(p)
	q.Scale(0.5)
	for i := range p.Data {
		if !slices.Equal(p.Data[i], q.Data[i]) {
			t.Fatalf("(p+p)/2 != p at %s", p.Specs[i].Name)
		}
	}
	specs, _ := model.Tensors(cfg)
	n := 0
	for _, s := range specs {
		n += numel(s.Shape)
	}
	if p.Len() != n {
		t.Errorf("Len %d, want %d", p.Len(), n)
	}
	q.Zero()
	for _, d := range q.Data {
		for _, v := range d {
			if v != 0 {
				t.Fatal("Zero left a value")
			}
		}
	}
	// Source round trip: the inference model reads the same values.
	m, err := model.New[float32](cfg, p.Source())
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadParams(cfg, p.Source())
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Data {
		if !slices.Equal(p.Data[i], r.Data[i]) {
			t.Errorf("ReadParams(p.Source()) differs at %s", p.Specs[i].Name)
		}
	}
	if _, err := m.Forward([]int{1, 2, 3}); err != nil {
		t.Error(err)
	}
	// Same seed, same values; another seed, other values.
	p2, _ := InitParams(cfg, 1)
	p3, _ := InitParams(cfg, 2)
	if !slices.Equal(p.Data[0], p2.Data[0]) || slices.Equal(p.Data[0], p3.Data[0]) {
		t.Error("InitParams is not a function of the seed")
	}
}

func TestReadParamsErrors(t *testing.T) {
	cfg := tinyLM(t)
	if _, err := ReadParams(cfg, nil); err == nil {
		t.Error("nil source accepted")
	}
	small, _ := model.ParseConfigYAML([]byte(lmVariants[0].yaml))
	p, _ := NewParams(small)
	_, err := ReadParams(cfg, p.Source())
	if err == nil || !strings.Contains(err.Error(), "has shape") && !strings.Contains(err.Error(), "missing tensor") {
		t.Errorf("mismatched source: %v", err)
	}
}

// TestReadParamsCudaLayout: an sLSTM kernel and bias stored in the cuda
// layout are re-ordered to the vanilla one, as model.New does.
func TestReadParamsCudaLayout(t *testing.T) {
	cfg := tinyLM(t)
	p, _ := InitParams(cfg, 3)
	nh, dh := cfg.LM.SLSTM.NumHeads, cfg.LM.SLSTM.HeadDim
	cuda := p.Clone()
	for i, s := range cuda.Specs {
		switch {
		case strings.HasSuffix(s.Name, "_recurrent_kernel_"):
			for j := range p.Data[i] {
				p.Data[i][j] = float32(j%13) - 6
			}
			// R_cuda[h, k, g*DH+j] = R_van[h, g*DH+j, k]
			for h := 0; h < nh; h++ {
				for gj := 0; gj < 4*dh; gj++ {
					for k := 0; k < dh; k++ {
						cuda.Data[i][h*dh*4*dh+k*4*dh+gj] = p.Data[i][h*4*dh*dh+gj*dh+k]
					}
				}
			}
			cuda.Specs[i].Shape = []int{nh, dh, 4 * dh}
		case strings.HasSuffix(s.Name, "_bias_"):
			for j := range p.Data[i] {
				p.Data[i][j] = float32(j)
			}
			for h := 0; h < nh; h++ {
				for g := 0; g < 4; g++ {
					for j := 0; j < dh; j++ {
						cuda.Data[i][h*4*dh+g*dh+j] = p.Data[i][g*nh*dh+h*dh+j]
					}
				}
			}
		}
	}
	got, err := ReadParams(cfg, cuda.Source())
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Data {
		if !slices.Equal(p.Data[i], got.Data[i]) {
			t.Errorf("%s differs after the cuda → vanilla re-order", p.Specs[i].Name)
		}
	}
}

// TestInitParamsMatchesOfficial compares InitParams with the official
// reset_parameters() weights of the mixed set: constant tensors exactly,
// random ones by their standard deviation (±25%).
func TestInitParamsMatchesOfficial(t *testing.T) {
	dir := testref.Dir(t, filepath.Join("xlstm", "reference", "mixed"))
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "init_unperturbed.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := InitParams(cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	std := func(v []float32) float64 {
		var s, ss float64
		for _, x := range v {
			s += float64(x)
		}
		m := s / float64(len(v))
		for _, x := range v {
			ss += (float64(x) - m) * (float64(x) - m)
		}
		return math.Sqrt(ss / float64(len(v)))
	}
	for i, s := range p.Specs {
		want, err := f.Float32(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		constant := std(want) == 0 || strings.HasSuffix(s.Name, "fgate.bias") || strings.HasSuffix(s.Name, "_bias_")
		if constant {
			for j, w := range want {
				if math.Abs(float64(p.Data[i][j]-w)) > 1e-6 {
					t.Errorf("%s[%d] = %v, official %v", s.Name, j, p.Data[i][j], w)
					break
				}
			}
			continue
		}
		if len(want) < 256 {
			continue // too few values for a spread
		}
		if g, w := std(p.Data[i]), std(want); math.Abs(g-w) > 0.25*w {
			t.Errorf("%s: std %.4f, official %.4f", s.Name, g, w)
		}
	}
}
