package train

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// TestAdamWReference applies one AdamW step (lr 1e-3, betas (0.9, 0.95),
// eps 1e-8, weight decay 0.1 on everything) with the official float32
// gradients and compares with torch's result: max abs ≤ 1e-6, all four sets.
func TestAdamWReference(t *testing.T) {
	for _, name := range []string{"mlstm_only", "slstm_only", "mixed", "xlstm_large"} {
		t.Run(name, func(t *testing.T) {
			gs := openGradSet(t, name)
			p, err := ReadParams(gs.cfg, gs.model)
			if err != nil {
				t.Fatal(err)
			}
			g, _ := NewParams(gs.cfg)
			for i, s := range g.Specs {
				if err := gs.grads.ReadFloat32("grad."+s.Name, g.Data[i]); err != nil {
					t.Fatal(err)
				}
			}
			opt := NewAdamW(p, 0.9, 0.95, 1e-8, 0.1)
			opt.Update(p, g, 1e-3)
			var worst float64
			for i, s := range p.Specs {
				want, err := gs.adamw.Float32("param." + s.Name)
				if err != nil {
					t.Fatal(err)
				}
				for j, w := range want {
					worst = max(worst, math.Abs(float64(p.Data[i][j]-w)))
				}
			}
			t.Logf("max |p − torch| = %.2g", worst)
			if worst > 1e-6 {
				t.Errorf("AdamW step differs from torch by %.3g > 1e-6", worst)
			}
			if opt.Step != 1 {
				t.Errorf("Step = %d after one update", opt.Step)
			}
		})
	}
}

// TestAdamWSteps checks several steps against a float64 transcription of
// torch.optim.AdamW, with decay restricted to matrices.
func TestAdamWSteps(t *testing.T) {
	cfg := tinyLM(t)
	p, _ := InitParams(cfg, 4)
	ref := make([][]float64, len(p.Data))
	for i, d := range p.Data {
		ref[i] = make([]float64, len(d))
		for j, v := range d {
			ref[i][j] = float64(v)
		}
	}
	opt := NewAdamW(p, 0.9, 0.99, 1e-8, 0.05)
	decay := func(name string, shape []int) bool { return len(shape) >= 2 }
	opt.Decay = decay
	m := zerosLike(ref)
	v := zerosLike(ref)
	g := p.Clone()
	for step := 1; step <= 5; step++ {
		lr := 1e-2 / float64(step)
		for i, d := range g.Data {
			for j := range d {
				d[j] = float32(math.Sin(float64(i*131+j*7+step*3))) * 0.1
			}
		}
		opt.Update(p, g, lr)
		for i := range ref {
			wd := 0.0
			if decay(p.Specs[i].Name, p.Specs[i].Shape) {
				wd = 0.05
			}
			for j := range ref[i] {
				gr := float64(g.Data[i][j])
				ref[i][j] *= 1 - lr*wd
				m[i][j] = 0.9*m[i][j] + 0.1*gr
				v[i][j] = 0.99*v[i][j] + 0.01*gr*gr
				mh := m[i][j] / (1 - math.Pow(0.9, float64(step)))
				den := math.Sqrt(v[i][j])/math.Sqrt(1-math.Pow(0.99, float64(step))) + 1e-8
				ref[i][j] -= lr * mh / den
			}
		}
	}
	for i := range ref {
		for j := range ref[i] {
			if d := math.Abs(float64(p.Data[i][j]) - ref[i][j]); d > 1e-6 {
				t.Fatalf("%s[%d]: %v, reference %v", p.Specs[i].Name, j, p.Data[i][j], ref[i][j])
			}
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	g := &Params{Specs: []model.TensorSpec{{Name: "a", Shape: []int{2}}, {Name: "b", Shape: []int{1}}},
		Data: [][]float32{{3, 0}, {4}}}
	cases := []struct {
		max, wantNorm, wantA float64
	}{
		{0, 5, 3},   // measure only
		{10, 5, 3},  // under the limit
		{1, 5, 0.6}, // scaled to norm ≈ 1
	}
	for _, c := range cases {
		h := &Params{Specs: g.Specs, Data: [][]float32{{3, 0}, {4}}}
		n := ClipGradNorm(h, c.max)
		if math.Abs(n-c.wantNorm) > 1e-12 || math.Abs(float64(h.Data[0][0])-c.wantA) > 1e-6 {
			t.Errorf("max %v: norm %v, a %v; want %v, %v", c.max, n, h.Data[0][0], c.wantNorm, c.wantA)
		}
	}
}

func TestCosineLR(t *testing.T) {
	cases := []struct {
		step int
		want float64
	}{
		{0, 0.25}, {3, 1}, {4, 1}, {9, 0.55}, {14, 0.1}, {100, 0.1},
	}
	for _, c := range cases {
		if got := CosineLR(c.step, 4, 14, 1, 0.1); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("step %d: %v, want %v", c.step, got, c.want)
		}
	}
	if got := CosineLR(0, 0, 10, 2, 0); got != 2 {
		t.Errorf("no warm-up, step 0: %v, want 2", got)
	}
}

// Example trains the tiny test model for a few steps.
func Example() {
	cfg, err := model.ParseConfigYAML([]byte(`
vocab_size: 16
context_length: 8
num_blocks: 2
embedding_dim: 16
slstm_at: [1]
mlstm_block:
  mlstm: {num_heads: 2, conv1d_kernel_size: 4}
slstm_block:
  slstm: {num_heads: 2}
  feedforward: {proj_factor: 1.3, act_fn: gelu}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := InitParams(cfg, 1)
	g, _ := NewParams(cfg)
	tr, _ := NewTrainer(cfg, 2)
	defer tr.Close()
	opt := NewAdamW(p, 0.9, 0.95, 1e-8, 0.1)
	opt.Decay = func(name string, shape []int) bool { return !strings.HasSuffix(name, "norm.weight") }
	batch := [][]int{{1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1}}
	first, _ := tr.Loss(p, batch)
	for step := 0; step < 30; step++ {
		if _, err := tr.LossAndGrad(p, batch, g); err != nil {
			fmt.Println(err)
			return
		}
		ClipGradNorm(g, 1)
		opt.Update(p, g, CosineLR(step, 3, 30, 1e-2, 1e-3))
	}
	last, _ := tr.Loss(p, batch)
	fmt.Println(last < first/2)
	// Output: true
}
