package train

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/internal/testref/refio"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// gradSet is one reference set with the official gradients.
type gradSet struct {
	name   string
	cfg    *model.Config
	model  *safetensors.File // reference/<set>/model.safetensors
	grads  *safetensors.File // grads/<set>/grads.safetensors
	adamw  *safetensors.File // grads/<set>/adamw_step1.safetensors
	tokens [][]int
}

func openGradSet(t testing.TB, name string) *gradSet {
	t.Helper()
	ref := testref.Dir(t, filepath.Join("xlstm", "reference", name))
	gdir := testref.Dir(t, filepath.Join("xlstm", "grads", name))
	cfg, err := model.LoadConfig(ref)
	if err != nil {
		t.Fatal(err)
	}
	gs := &gradSet{name: name, cfg: cfg, model: refio.Open(t, filepath.Join(ref, "model.safetensors")),
		grads: refio.Open(t, filepath.Join(gdir, "grads.safetensors")), adamw: refio.Open(t, filepath.Join(gdir, "adamw_step1.safetensors"))}
	gs.tokens = refio.Tokens(t, refio.Open(t, filepath.Join(ref, "io.safetensors")))
	return gs
}

func (gs *gradSet) scalar(t testing.TB, key string) float64 {
	t.Helper()
	v, err := gs.grads.Float64(key)
	if err != nil || len(v) != 1 {
		t.Fatalf("%s: %s: %v", gs.name, key, err)
	}
	return v[0]
}

// weights64 reads the reference weights as float64 in spec order.
func weights64(t testing.TB, gs *gradSet) ([]model.TensorSpec, [][]float64) {
	t.Helper()
	specs, err := model.Tensors(gs.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := make([][]float64, len(specs))
	for i, s := range specs {
		w[i] = make([]float64, numel(s.Shape))
		if err := gs.model.ReadFloat64(s.Name, w[i]); err != nil {
			t.Fatal(err)
		}
	}
	return specs, w
}

// relErr is max|got − want| / max|want| over one tensor.
func relErr[F model.Float](got []F, want []float64) float64 {
	var d, m float64
	for i, w := range want {
		d = max(d, math.Abs(float64(got[i])-w))
		m = max(m, math.Abs(w))
	}
	if m == 0 {
		return d
	}
	return d / m
}

var lmSets = []string{"mlstm_only", "slstm_only", "mixed"}

// TestReferenceGradsF64 checks the float64 loss and every gradient against
// the official float64 run: relative error ≤ 1e-9 per tensor.
func TestReferenceGradsF64(t *testing.T) {
	for _, name := range lmSets {
		t.Run(name, func(t *testing.T) {
			gs := openGradSet(t, name)
			specs, w := weights64(t, gs)
			for _, threads := range []int{1, 2} {
				core, err := newLMCore[float64](gs.cfg, threads)
				if err != nil {
					t.Fatal(err)
				}
				g := make([][]float64, len(specs))
				for i := range g {
					g[i] = make([]float64, len(w[i]))
				}
				loss, err := core.run(w, gs.tokens, g)
				if err != nil {
					t.Fatal(err)
				}
				want := gs.scalar(t, "loss_f64")
				if e := math.Abs(loss-want) / math.Abs(want); e > 1e-12 {
					t.Errorf("threads %d: loss %.15g, want %.15g (rel %.2g)", threads, loss, want, e)
				}
				worst, at := 0.0, ""
				for i, s := range specs {
					ref, err := gs.grads.Float64("grad_f64." + s.Name)
					if err != nil {
						t.Fatal(err)
					}
					e := relErr(g[i], ref)
					if e > worst {
						worst, at = e, s.Name
					}
					if e > 1e-9 {
						t.Errorf("threads %d: %s: rel err %.3g > 1e-9", threads, s.Name, e)
					}
				}
				t.Logf("threads %d: loss %.12f, worst gradient rel err %.2g (%s)", threads, loss, worst, at)
			}
		})
	}
}

// TestReferenceGradsF32 runs the public float32 Trainer on the reference
// weights: max|g − grad| ≤ 1e-4·max|grad| over the set, loss within 1e-5.
func TestReferenceGradsF32(t *testing.T) {
	for _, name := range lmSets {
		t.Run(name, func(t *testing.T) {
			gs := openGradSet(t, name)
			p, err := ReadParams(gs.cfg, gs.model)
			if err != nil {
				t.Fatal(err)
			}
			g, _ := NewParams(gs.cfg)
			tr, err := NewTrainer(gs.cfg, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			loss, err := tr.LossAndGrad(p, gs.tokens, g)
			if err != nil {
				t.Fatal(err)
			}
			want := gs.scalar(t, "loss")
			if e := math.Abs(loss-want) / math.Abs(want); e > 1e-5 {
				t.Errorf("loss %.8f, want %.8f (rel %.2g)", loss, want, e)
			}
			evalLoss, err := tr.Loss(p, gs.tokens)
			if err != nil {
				t.Fatal(err)
			}
			if evalLoss != loss {
				t.Errorf("Loss %.9g differs from LossAndGrad's %.9g", evalLoss, loss)
			}
			var maxRef, maxDiff float64
			at := ""
			for i, s := range g.Specs {
				ref, err := gs.grads.Float64("grad." + s.Name)
				if err != nil {
					t.Fatal(err)
				}
				for j, r := range ref {
					maxRef = max(maxRef, math.Abs(r))
					if d := math.Abs(float64(g.Data[i][j]) - r); d > maxDiff {
						maxDiff, at = d, fmt.Sprintf("%s[%d]", s.Name, j)
					}
				}
			}
			rel := maxDiff / maxRef
			t.Logf("loss %.8f (ref %.8f), max|g−ref|/max|ref| = %.2g at %s", loss, want, rel, at)
			if rel > 1e-4 {
				t.Errorf("gradient error %.3g > 1e-4 (at %s)", rel, at)
			}
		})
	}
}
