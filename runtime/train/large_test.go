package train

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/internal/testref/refio"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// lgRef is the xlstm_large reference set with its official gradients
// (../shared/xlstm/grads/README.md).
type lgRef struct {
	cfg   *model.Config
	specs []model.TensorSpec
	model *safetensors.File
	grads *safetensors.File
	batch [][]int
}

func loadLGRef(t *testing.T) *lgRef {
	t.Helper()
	dir := testref.Dir(t, "xlstm/reference/xlstm_large")
	gdir := testref.Dir(t, "xlstm/grads/xlstm_large")
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := model.Tensors(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &lgRef{cfg: cfg, specs: specs}
	r.model = refio.Open(t, filepath.Join(dir, "model.safetensors"))
	r.grads = refio.Open(t, filepath.Join(gdir, "grads.safetensors"))
	r.batch = refio.Tokens(t, refio.Open(t, filepath.Join(dir, "io.safetensors")))
	return r
}

// refScalar reads a one-element tensor as float64.
func refScalar(t *testing.T, f *safetensors.File, name string) float64 {
	t.Helper()
	v, err := f.Float64(name)
	if err != nil || len(v) != 1 {
		t.Fatalf("%s: %v (len %d)", name, err, len(v))
	}
	return v[0]
}

// gradErrors compares got (laid out as specs) with the reference tensors
// prefix+name and returns the largest per-tensor error relative to that
// tensor's max |ref|, and the error over all tensors relative to the
// largest |ref| of all.
func gradErrors[F model.Float](t *testing.T, r *lgRef, prefix string, got [][]F) (perTensor, global float64, worst string) {
	t.Helper()
	var maxErr, maxRef float64
	for i, s := range r.specs {
		ref, err := r.grads.Float64(prefix + s.Name)
		if err != nil {
			t.Fatalf("reference %s%s: %v", prefix, s.Name, err)
		}
		if len(ref) != len(got[i]) {
			t.Fatalf("%s: %d values, reference %d", s.Name, len(got[i]), len(ref))
		}
		var e, m float64
		for j, v := range ref {
			e = math.Max(e, math.Abs(float64(got[i][j])-v))
			m = math.Max(m, math.Abs(v))
		}
		if m > 0 && e/m > perTensor {
			perTensor, worst = e/m, s.Name
		}
		maxErr, maxRef = math.Max(maxErr, e), math.Max(maxRef, m)
	}
	return perTensor, maxErr / maxRef, worst
}

// TestLargeGradFloat32 holds the float32 trainer to the official float32
// loss and gradients: max|g − ref| ≤ 1e-4·max|ref| over all tensors.
func TestLargeGradFloat32(t *testing.T) {
	r := loadLGRef(t)
	p, err := ReadParams(r.cfg, r.model)
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{1, 3} {
		tr, err := NewTrainer(r.cfg, threads)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := NewParams(r.cfg)
		loss, err := tr.LossAndGrad(p, r.batch, g)
		tr.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := refScalar(t, r.grads, "loss")
		if math.Abs(loss-want) > 1e-5*math.Abs(want) {
			t.Errorf("threads %d: loss %.8f, official %.8f", threads, loss, want)
		}
		per, global, worst := gradErrors(t, r, "grad.", g.Data)
		t.Logf("threads %d: loss %.8f (official %.8f); gradient error %.2e of max|grad| (worst tensor %s: %.2e of its max)",
			threads, loss, want, global, worst, per)
		if global > 1e-4 {
			t.Errorf("threads %d: gradient error %.2e of max|grad|, want ≤ 1e-4", threads, global)
		}
	}
}

// TestLargeGradFloat64 holds the float64 port to the official float64 run
// (norm_reduction_force_float32=False): 1e-9 relative, per tensor.
func TestLargeGradFloat64(t *testing.T) {
	r := loadLGRef(t)
	cfg := *r.cfg
	cfg.Large.NormReductionForceFloat32 = false
	data := make([][]float64, len(r.specs))
	grad := make([][]float64, len(r.specs))
	for i, s := range r.specs {
		data[i] = make([]float64, numel(s.Shape))
		grad[i] = make([]float64, numel(s.Shape))
		if err := r.model.ReadFloat64(s.Name, data[i]); err != nil {
			t.Fatal(err)
		}
	}
	net := newLGNet[float64](&cfg, 2)
	loss, err := lgLossAndGrad(net, r.specs, data, grad, r.batch)
	if err != nil {
		t.Fatal(err)
	}
	want := refScalar(t, r.grads, "loss_f64")
	if math.Abs(loss-want) > 1e-12*math.Abs(want) {
		t.Errorf("loss %.15f, official %.15f", loss, want)
	}
	per, global, worst := gradErrors(t, r, "grad_f64.", grad)
	t.Logf("loss %.15f (official %.15f); gradient error %.2e of max|grad|, worst tensor %s %.2e of its max",
		loss, want, global, worst, per)
	if per > 1e-9 {
		t.Errorf("gradient error %.2e of %s's max|grad|, want ≤ 1e-9", per, worst)
	}
}

// TestLargeForwardMatchesModel checks the training forward against
// runtime/model's chunkwise Forward on the reference weights: the logits
// of every position of both sequences.
func TestLargeForwardMatchesModel(t *testing.T) {
	r := loadLGRef(t)
	t.Run("float64", func(t *testing.T) { lgForwardParity[float64](t, r, 1e-12) })
	t.Run("float32", func(t *testing.T) { lgForwardParity[float32](t, r, 1e-4) })
}

func lgForwardParity[F model.Float](t *testing.T, r *lgRef, tol float64) {
	m, err := model.New[F](r.cfg, r.model)
	if err != nil {
		t.Fatal(err)
	}
	data := make([][]F, len(r.specs))
	for i, s := range r.specs {
		v, err := r.model.Float64(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		data[i] = make([]F, len(v))
		for j, x := range v {
			data[i][j] = F(x)
		}
	}
	net := newLGNet[F](r.cfg, 2)
	if _, err := lgLossAndGrad(net, r.specs, data, nil, r.batch); err != nil {
		t.Fatal(err)
	}
	var worst float64
	for b, seq := range r.batch {
		want, err := m.Forward(seq)
		if err != nil {
			t.Fatal(err)
		}
		got := net.logits[b*len(seq)*r.cfg.VocabSize:]
		for j, w := range want {
			worst = math.Max(worst, math.Abs(float64(got[j])-float64(w)))
		}
	}
	t.Logf("max |logit difference| %.2e", worst)
	if worst > tol {
		t.Errorf("logits differ from model.Forward by %.2e, want ≤ %.0e", worst, tol)
	}
}
