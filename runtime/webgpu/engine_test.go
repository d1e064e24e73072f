package webgpu

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/engine"
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/sample"
)

// tolCPU bounds max |logit difference| against the CPU path on the same
// random weights (float32 on both sides, different summation orders).
const tolCPU = 1e-4

// variants are random-weight configs with odd ("ragged") sizes and every
// optional part on and off.
var variants = []struct{ name, yaml string }{
	{"tiny-lm", modeltest.TinyLM},
	{"tiny-large", modeltest.TinyLarge},
	{"lm-bias-tied-relu-noconv", strings.NewReplacer(
		"num_blocks: 3", "num_blocks: 2\nbias: true\ntie_weights: true",
		"conv1d_kernel_size: 4\n    qkv", "conv1d_kernel_size: 0\n    qkv",
		"act_fn: gelu", "act_fn: relu").Replace(modeltest.TinyLM)},
	{"lm-ragged-selu", strings.NewReplacer(
		"embedding_dim: 32", "embedding_dim: 24",
		"vocab_size: 260", "vocab_size: 1037",
		"num_heads: 2\nslstm", "num_heads: 4\nslstm",
		"backend: vanilla\n    num_heads: 2", "backend: vanilla\n    num_heads: 3",
		"qkv_proj_blocksize: 4", "qkv_proj_blocksize: 2",
		"conv1d_kernel_size: 4\n  feedforward", "conv1d_kernel_size: 3\n  feedforward",
		"act_fn: gelu", "act_fn: selu").Replace(modeltest.TinyLM)},
	{"large-bias-nocap", strings.NewReplacer(
		"gate_soft_cap: 15.0", "gate_soft_cap: null\nuse_bias: true",
		"output_logit_soft_cap: 30.0", "output_logit_soft_cap: null",
		"vocab_size: 260", "vocab_size: 517",
		"embedding_dim: 64", "embedding_dim: 48").Replace(modeltest.TinyLarge)},
}

// sessionLogits runs tokens on s: PrefillLogits of the first n, then Step
// with Logits for the rest.
func sessionLogits(t *testing.T, s *Session, toks []int, n int) []float32 {
	t.Helper()
	var out []float32
	if n > 0 {
		l, err := s.PrefillLogits(context.Background(), toks[:n])
		if err != nil {
			t.Fatal(err)
		}
		out = l
	}
	for _, tok := range toks[n:] {
		if err := s.Step(tok); err != nil {
			t.Fatal(err)
		}
		l, err := s.Logits()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l...)
	}
	return out
}

// cpuLogits is sessionLogits on the reference model, prefilling in calls
// of chunk tokens as the engine does (chunk boundaries change the rounding).
func cpuLogits[F float32 | float64](t *testing.T, m *model.Model[F], toks []int, n, chunk int) []F {
	t.Helper()
	v := m.Config().VocabSize
	st := m.NewState()
	out := make([]F, len(toks)*v)
	for i := 0; i < n; i += chunk {
		j := min(i+chunk, n)
		if err := m.Prefill(st, toks[i:j], out[i*v:j*v]); err != nil {
			t.Fatal(err)
		}
	}
	for i := n; i < len(toks); i++ {
		if err := m.Step(st, toks[i], out[i*v:(i+1)*v]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func testTokens(n, vocab int) []int {
	toks := make([]int, n)
	for i := range toks {
		toks[i] = (i*7919 + 13) % vocab
	}
	return toks
}

// TestVariants checks the device against the float64 reference on random
// weights, for prefill (spanning several chunks), step, and both, with
// matrices whole and split across bindings. The bound is tolCPU or twice
// the float32 CPU path's own error, whichever is larger. Random weights can
// make a model ill-conditioned: with seed 7, lm-ragged-selu turns float32
// rounding differences into logit errors up to 5e-4 at one position, in
// either form and on either backend.
func TestVariants(t *testing.T) {
	dev := testDevice(t)
	for _, vc := range variants {
		cfg, err := model.ParseConfigYAML([]byte(vc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", vc.name, err)
		}
		src, err := modeltest.Random(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.New[float32](cfg, src)
		if err != nil {
			t.Fatal(err)
		}
		m64, err := model.New[float64](cfg, src)
		if err != nil {
			t.Fatal(err)
		}
		v := m.Config().VocabSize
		toks := testTokens(29, v)
		for _, c := range []struct {
			split  uint64
			linear string
		}{{0, "gpu"}, {0, "cpu"}, {2048, "gpu"}, {2048, "cpu"}} {
			split := c.split
			t.Run(fmt.Sprintf("%s/split%d/%s", vc.name, split, c.linear), func(t *testing.T) {
				e, err := NewEngineModel(dev, m, Options{PrefillChunk: 8, MaxBinding: split, Linear: c.linear})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				if split > 0 && len(e.w.embed.parts) < 2 {
					t.Fatalf("embedding in %d part(s) with a %d-byte limit", len(e.w.embed.parts), split)
				}
				for _, n := range []int{len(toks), 0, 11} {
					s, err := e.NewSession()
					if err != nil {
						t.Fatal(err)
					}
					got := sessionLogits(t, s.(*Session), toks, n)
					s.Close()
					ref := cpuLogits(t, m64, toks, n, 8)
					cpu := maxAbs(cpuLogits(t, m, toks, n, 8), ref)
					if d := maxAbs(got, ref); d > max(tolCPU, 2*cpu) {
						t.Errorf("prefill %d then step: max abs %.3e from float64 (float32 CPU: %.3e)", n, d, cpu)
					}
				}
			})
		}
	}
}

// TestStateTransfer moves states between the device and the CPU engine
// both ways and continues on the other side.
func TestStateTransfer(t *testing.T) {
	dev := testDevice(t)
	for _, vc := range variants[:2] {
		t.Run(vc.name, func(t *testing.T) {
			m, err := modeltest.Model(vc.yaml, 11)
			if err != nil {
				t.Fatal(err)
			}
			e, err := NewEngineModel(dev, m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			cpu := engine.NewCPU(m)
			toks := testTokens(12, m.Config().VocabSize)
			gs, _ := e.NewSession()
			cs, _ := cpu.NewSession()
			ctx := context.Background()
			if err := gs.Prefill(ctx, toks[:9]); err != nil {
				t.Fatal(err)
			}
			if err := gs.Step(toks[9]); err != nil {
				t.Fatal(err)
			}
			data, err := gs.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.RestoreState(data); err != nil {
				t.Fatal(err)
			}
			if gs.Pos() != 10 || cs.Pos() != 10 {
				t.Fatalf("positions %d (device), %d (cpu), want 10", gs.Pos(), cs.Pos())
			}
			for _, s := range []engine.Session{gs, cs} {
				if err := s.Step(toks[10]); err != nil {
					t.Fatal(err)
				}
			}
			lg, _ := gs.Logits()
			lc, _ := cs.Logits()
			if d := maxAbs(lg, lc); d > tolCPU {
				t.Errorf("device → cpu: max abs %.3e", d)
			}
			// And back: the CPU state into a fresh device session.
			data, _ = cs.MarshalState()
			gs2, _ := e.NewSession()
			if err := gs2.RestoreState(data); err != nil {
				t.Fatal(err)
			}
			if _, err := gs2.Logits(); err == nil {
				t.Error("Logits after RestoreState: want an error (unknown until the next token)")
			}
			for _, s := range []engine.Session{gs2, cs} {
				if err := s.Step(toks[11]); err != nil {
					t.Fatal(err)
				}
			}
			lg, _ = gs2.Logits()
			lc, _ = cs.Logits()
			if d := maxAbs(lg, lc); d > tolCPU {
				t.Errorf("cpu → device: max abs %.3e", d)
			}
			// Reset gives the zero state again.
			gs2.Reset()
			if err := gs2.Step(toks[0]); err != nil {
				t.Fatal(err)
			}
			lg, _ = gs2.Logits()
			if d := maxAbs(lg, cpuLogits(t, m, toks[:1], 0, 1)); d > tolCPU {
				t.Errorf("after Reset: max abs %.3e", d)
			}
		})
	}
}

// TestSampleAndGenerate checks that Sample gives what sample.Next gives on
// the same logits (greedy on the device, seeded draws on the host), and that
// engine.Generate yields the CPU engine's tokens.
func TestSampleAndGenerate(t *testing.T) {
	dev := testDevice(t)
	m, err := modeltest.Model(modeltest.TinyLM, 5)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngineModel(dev, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	v := m.Config().VocabSize
	prompt := testTokens(6, v)
	for _, p := range []sample.Params{
		{}, {Temperature: 0.9, Seed: 4}, {Temperature: 1.3, TopK: 20, TopP: 0.9, Seed: 8},
		{Temperature: 2, TopK: 1, Seed: 1}, {Temperature: 3, TopK: 7, Seed: 2}, {Temperature: 1, TopK: 259, Seed: 3},
		{Temperature: 1, TopK: 300, TopP: 0.5, Seed: 5}, {Temperature: 5, TopK: 2000, Seed: 6},
	} {
		t.Run(fmt.Sprintf("T%.1f-k%d-p%.1f", p.Temperature, p.TopK, p.TopP), func(t *testing.T) {
			s, _ := e.NewSession()
			defer s.Close()
			a, _ := sample.New(p, v)
			b, _ := sample.New(p, v)
			if err := s.Prefill(context.Background(), prompt); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 8; i++ {
				// Sample first (on the device where it can), then the logits.
				got, err := s.Sample(a)
				if err != nil {
					t.Fatal(err)
				}
				l, err := s.Logits()
				if err != nil {
					t.Fatal(err)
				}
				want, _ := b.Next(l)
				if got != want {
					t.Fatalf("token %d: Sample gave %d, sample.Next on the logits %d", i, got, want)
				}
				if err := s.Step(got); err != nil {
					t.Fatal(err)
				}
			}
			// Generate on both engines.
			run := func(en engine.Engine) []int {
				s, _ := en.NewSession()
				defer s.Close()
				var ids []int
				_, err := engine.Generate(context.Background(), s, prompt, engine.Options{MaxTokens: 12, Params: p, EOS: -1},
					func(id int) error { ids = append(ids, id); return nil })
				if err != nil {
					t.Fatal(err)
				}
				return ids
			}
			g, c := run(e), run(engine.NewCPU(m))
			if fmt.Sprint(g) != fmt.Sprint(c) {
				t.Errorf("Generate: device %v, cpu %v", g, c)
			}
		})
	}
}

// TestErrors checks that bad input gets an error naming it.
func TestErrors(t *testing.T) {
	dev := testDevice(t)
	m, err := modeltest.Model(modeltest.TinyLarge, 1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngineModel(dev, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, _ := e.NewSession()
	other, _ := modeltest.Model(modeltest.TinyLM, 1)
	otherState, _ := other.NewState().MarshalBinary()
	smp, _ := sample.New(sample.Params{}, 7)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"logits first", func() error { _, err := s.Logits(); return err }(), "no token consumed"},
		{"step bad token", s.Step(260), "outside the vocabulary"},
		{"prefill bad token", s.Prefill(context.Background(), []int{1, -1}), "position 1"},
		{"prefill empty", s.Prefill(context.Background(), nil), "no tokens"},
		{"restore other model", s.RestoreState(otherState), "another model"},
		{"restore garbage", s.RestoreState([]byte("nope")), "bad magic"},
		{"sampler size", func() error { s.Step(1); _, err := s.Sample(smp); return err }(), "sampler for 7"},
		{"nil engine input", func() error { _, err := NewEngine(dev, nil, Options{}); return err }(), "bundle without a model"},
		{"bad linear option", func() error { _, err := NewEngineModel(dev, m, Options{Linear: "fast"}); return err }(), `Options.Linear "fast"`},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	s.Close()
	if err := s.Step(1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("step after close: %v", err)
	}
}
