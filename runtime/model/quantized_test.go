package model_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// TestQuantizedMatchesDequantized: a Q8/Q4 bundle loads with its matrices
// kept quantised, and the model gives the same logits as the float32 model
// built from the same bundle dequantised at load — bit for bit, since the
// quantised kernels round exactly as the float32 ones (modeltest bundles
// use group 32). Covered: both families, tied LM embeddings (the Q8
// embedding is then the head) and fused xLSTM Large tensors (split by
// rows), all three forms, one and two threads.
func TestQuantizedMatchesDequantized(t *testing.T) {
	cases := []struct{ name, yaml string }{
		{"lm", modeltest.TinyLM},
		{"lm-tied", modeltest.TinyLM + "tie_weights: true\n"},
		{"large", modeltest.TinyLarge},
		{"large-fused", strings.Replace(modeltest.TinyLarge, "weight_mode: single", "weight_mode: fused", 1)},
	}
	toks := []int{1, 200, 7, 42, 99, 3, 250, 0, 17, 5, 64, 128}
	for _, tc := range cases {
		for _, dt := range []string{"Q8", "Q4"} {
			t.Run(tc.name+"/"+dt, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "b")
				if err := modeltest.WriteBundle(dir, tc.yaml, 3, dt); err != nil {
					t.Fatal(err)
				}
				q, err := model.LoadBundle[float32](dir)
				if err != nil {
					t.Fatal(err)
				}
				defer q.Close()
				r, err := bundle.Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				f, err := model.New[float32](q.Config(), model.Dequantizing(r))
				if err != nil {
					t.Fatal(err)
				}
				if !q.Quantized() || f.Quantized() {
					t.Fatalf("Quantized() = %v for the bundle model, %v for the dequantised one; want true, false", q.Quantized(), f.Quantized())
				}
				for _, threads := range []int{1, 2} {
					q.SetThreads(threads)
					equalLogits(t, "forward", forward(t, q, toks), forward(t, f, toks))
					equalLogits(t, "prefill", prefill(t, q, toks), prefill(t, f, toks))
					equalLogits(t, "step", steps(t, q, toks), steps(t, f, toks))
				}
			})
		}
	}
}

func forward(t *testing.T, m *model.Model[float32], toks []int) []float32 {
	t.Helper()
	out, err := m.Forward(toks)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func prefill(t *testing.T, m *model.Model[float32], toks []int) []float32 {
	t.Helper()
	out := make([]float32, len(toks)*m.Config().VocabSize)
	if err := m.Prefill(m.NewState(), toks, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func steps(t *testing.T, m *model.Model[float32], toks []int) []float32 {
	t.Helper()
	v := m.Config().VocabSize
	out := make([]float32, len(toks)*v)
	st := m.NewState()
	for i, tok := range toks {
		if err := m.Step(st, tok, out[i*v:(i+1)*v]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func equalLogits(t *testing.T, form string, got, want []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: logit %d is %v quantised, %v dequantised at load", form, i, got[i], want[i])
		}
	}
}

// TestQuantizedStepAllocatesNothing: decode on kept-quantised weights
// allocates nothing per token after warm-up, on one and two threads.
func TestQuantizedStepAllocatesNothing(t *testing.T) {
	for _, dt := range []string{"Q8", "Q4"} {
		dir := filepath.Join(t.TempDir(), dt)
		if err := modeltest.WriteBundle(dir, modeltest.TinyLarge, 4, dt); err != nil {
			t.Fatal(err)
		}
		m, err := model.LoadBundle[float32](dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			m.SetThreads(threads)
			st := m.NewState()
			logits := make([]float32, m.Config().VocabSize)
			tok := 0
			step := func() {
				if err := m.Step(st, tok, logits); err != nil {
					t.Fatal(err)
				}
				tok = (tok + 7) % len(logits)
			}
			step()
			if a := testing.AllocsPerRun(50, step); a != 0 {
				t.Errorf("%s, %d threads: Step allocates %.1f times per token, want 0", dt, threads, a)
			}
		}
		m.Close()
	}
}
