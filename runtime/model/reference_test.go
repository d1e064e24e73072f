package model

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/internal/testref/refio"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// Tolerances, from the reference README: a float32 port against the float32
// references, and the float64 build against the *_f64 references.
const (
	tol32 = 1e-4
	tol64 = 1e-9
)

// refSet is one reference directory: the model plus its recorded inputs and outputs.
type refSet struct {
	name string
	dir  string
	io   *safetensors.File
	b, s int
	toks [][]int
}

func openRef(t *testing.T, name string) *refSet {
	t.Helper()
	dir := testref.Dir(t, filepath.Join("xlstm", "reference", name))
	io := refio.Open(t, filepath.Join(dir, "io.safetensors"))
	r := &refSet{name: name, dir: dir, io: io, toks: refio.Tokens(t, io)}
	r.b, r.s = len(r.toks), len(r.toks[0])
	return r
}

// want returns reference tensor key of the io file as float64.
func (r *refSet) want(t *testing.T, key string) []float64 {
	t.Helper()
	v, err := r.io.Float64(key)
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	return v
}

func loadRef[F Float](t *testing.T, r *refSet) *Model[F] {
	t.Helper()
	m, err := Load[F](r.dir)
	if err != nil {
		t.Fatalf("load %s: %v", r.name, err)
	}
	return m
}

// maxAbs returns max |got[i] - want[i]|, failing on a length mismatch.
func maxAbs[F Float](t *testing.T, got []F, want []float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("length %d, want %d", len(got), len(want))
	}
	var e float64
	for i := range got {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		e = max(e, d)
	}
	return e
}

// logitsOf runs fn for every sequence of the set and concatenates (B, S, V).
func logitsOf[F Float](t *testing.T, r *refSet, fn func(tokens []int) []F) []F {
	var out []F
	for _, toks := range r.toks {
		out = append(out, fn(toks)...)
	}
	return out
}

func forwardAll[F Float](t *testing.T, m *Model[F], r *refSet) []F {
	return logitsOf(t, r, func(toks []int) []F {
		l, err := m.Forward(toks)
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func stepAll[F Float](t *testing.T, m *Model[F], r *refSet, states []*State[F]) []F {
	v := m.cfg.VocabSize
	b := 0
	return logitsOf(t, r, func(toks []int) []F {
		st := m.NewState()
		out := make([]F, len(toks)*v)
		for i, tok := range toks {
			if err := m.Step(st, tok, out[i*v:(i+1)*v]); err != nil {
				t.Fatal(err)
			}
		}
		if states != nil {
			states[b] = st
		}
		b++
		return out
	})
}

// prefillThenStep prefills n tokens (all logits) and steps the rest.
func prefillThenStep[F Float](t *testing.T, m *Model[F], r *refSet, n int) []F {
	v := m.cfg.VocabSize
	return logitsOf(t, r, func(toks []int) []F {
		st := m.NewState()
		out := make([]F, len(toks)*v)
		if err := m.Prefill(st, toks[:n], out[:n*v]); err != nil {
			t.Fatal(err)
		}
		for i := n; i < len(toks); i++ {
			if err := m.Step(st, toks[i], out[i*v:(i+1)*v]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	})
}

// TestReferenceLogits compares every form's logits with the official ones,
// in float32 and in float64. It logs the measured errors for the closing note.
func TestReferenceLogits(t *testing.T) {
	for _, name := range testref.ReferenceSets() {
		t.Run(name, func(t *testing.T) {
			r := openRef(t, name)
			m32, m64 := loadRef[float32](t, r), loadRef[float64](t, r)
			large := m32.cfg.Family == FamilyLarge
			// The official full-sequence reference, and the recurrent one.
			full, rec := "logits_parallel", "logits_step"
			if large {
				full = "logits_chunkwise"
			}
			type check struct {
				form  string
				got32 func() []float32
				got64 func() []float64
				ref   string
			}
			n := r.s * 2 / 3
			checks := []check{
				{"full", func() []float32 { return forwardAll(t, m32, r) }, func() []float64 { return forwardAll(t, m64, r) }, full},
				{"step", func() []float32 { return stepAll(t, m32, r, nil) }, func() []float64 { return stepAll(t, m64, r, nil) }, rec},
				{"prefill-all", func() []float32 { return prefillThenStep(t, m32, r, r.s) }, func() []float64 { return prefillThenStep(t, m64, r, r.s) }, rec},
				{fmt.Sprintf("prefill%d+step", n), func() []float32 { return prefillThenStep(t, m32, r, n) }, func() []float64 { return prefillThenStep(t, m64, r, n) }, rec},
			}
			if large {
				checks = append(checks, check{"prefill21+step(official)", func() []float32 { return prefillThenStep(t, m32, r, 21) }, nil, "logits_prefill21_then_step"})
			}
			for _, c := range checks {
				e32 := maxAbs(t, c.got32(), r.want(t, c.ref))
				t.Logf("%-12s %-26s float32 vs %-28s max abs %.2e", name, c.form, c.ref, e32)
				if e32 > tol32 {
					t.Errorf("%s %s float32: max abs %.3e > %.0e against %s", name, c.form, e32, tol32, c.ref)
				}
				if c.got64 == nil {
					continue
				}
				e64 := maxAbs(t, c.got64(), r.want(t, c.ref+"_f64"))
				t.Logf("%-12s %-26s float64 vs %-28s max abs %.2e", name, c.form, c.ref+"_f64", e64)
				if e64 > tol64 {
					t.Errorf("%s %s float64: max abs %.3e > %.0e against %s_f64", name, c.form, e64, tol64, c.ref)
				}
			}
		})
	}
}

// TestReferenceFused loads xLSTM Large's fused-weight checkpoint and
// compares it with the official fused logits.
func TestReferenceFused(t *testing.T) {
	r := openRef(t, "xlstm_large")
	cfg, err := LoadConfig(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(r.dir, "model_fused.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := New[float32](cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	e := maxAbs(t, forwardAll(t, m, r), r.want(t, "logits_fused_chunkwise"))
	t.Logf("xlstm_large fused full float32 vs logits_fused_chunkwise max abs %.2e", e)
	if e > tol32 {
		t.Errorf("fused: max abs %.3e > %.0e", e, tol32)
	}
}

// TestReferenceStates compares the final recurrent states after the step
// loop (and, for xLSTM Large, after the full-sequence form) with the official ones.
func TestReferenceStates(t *testing.T) {
	for _, name := range testref.ReferenceSets() {
		t.Run(name, func(t *testing.T) {
			r := openRef(t, name)
			m := loadRef[float32](t, r)
			states := make([]*State[float32], r.b)
			stepAll(t, m, r, states)
			large := m.cfg.Family == FamilyLarge
			file := "step_final_state.safetensors"
			if large {
				file = "final_states.safetensors"
			}
			ref, err := safetensors.Open(filepath.Join(r.dir, file))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			cmp := func(key string, all []float32) {
				want, err := ref.Float64(key)
				if err != nil {
					t.Fatal(err)
				}
				scale := 1.0
				for _, w := range want {
					scale = max(scale, math.Abs(w))
				}
				e := maxAbs(t, all, want)
				if e > tol32*scale {
					t.Errorf("%s %s: max abs %.3e > %.0e × %.3g", name, key, e, tol32, scale)
				}
				t.Logf("%-12s %-40s max abs %.2e (max |ref| %.3g)", name, key, e, scale)
			}
			// batched concatenates one field of every sequence's block i
			// state: the (B, ...) layout of the official tensors.
			batched := func(i int, get func(*blockState[float32]) []float32) []float32 {
				var out []float32
				for b := 0; b < r.b; b++ {
					out = append(out, get(&states[b].blocks[i])...)
				}
				return out
			}
			c := func(s *blockState[float32]) []float32 { return s.c }
			n := func(s *blockState[float32]) []float32 { return s.n }
			mm := func(s *blockState[float32]) []float32 { return s.m }
			conv := func(s *blockState[float32]) []float32 { return s.conv }
			for i := 0; i < m.cfg.NumBlocks; i++ {
				switch {
				case large:
					cmp(fmt.Sprintf("state_step.%d.0", i), batched(i, c))
					cmp(fmt.Sprintf("state_step.%d.1", i), batched(i, n))
					cmp(fmt.Sprintf("state_step.%d.2", i), batched(i, mm))
				case m.cfg.LM.BlockIsSLSTM[i]:
					p := fmt.Sprintf("state.block_%d.", i)
					// (4, B, H): y, c, n, m, each over the batch.
					var all []float32
					for _, get := range []func(*blockState[float32]) []float32{
						func(s *blockState[float32]) []float32 { return s.sy },
						func(s *blockState[float32]) []float32 { return s.sc },
						func(s *blockState[float32]) []float32 { return s.sn },
						func(s *blockState[float32]) []float32 { return s.sm },
					} {
						all = append(all, batched(i, get)...)
					}
					cmp(p+"slstm_state", all)
					if states[0].blocks[i].conv != nil {
						cmp(p+"conv_state.0", batched(i, conv))
					}
				default:
					p := fmt.Sprintf("state.block_%d.", i)
					cmp(p+"mlstm_state.0", batched(i, c))
					cmp(p+"mlstm_state.1", batched(i, n))
					cmp(p+"mlstm_state.2", batched(i, mm))
					if states[0].blocks[i].conv != nil {
						cmp(p+"conv_state.0", batched(i, conv))
					}
				}
			}
			if large {
				// The full-sequence (chunkwise) form's final state.
				for b := range states {
					states[b] = m.NewState()
					if err := m.Prefill(states[b], r.toks[b], nil); err != nil {
						t.Fatal(err)
					}
				}
				for i := 0; i < m.cfg.NumBlocks; i++ {
					cmp(fmt.Sprintf("state_chunkwise.%d.0", i), batched(i, c))
					cmp(fmt.Sprintf("state_chunkwise.%d.1", i), batched(i, n))
					cmp(fmt.Sprintf("state_chunkwise.%d.2", i), batched(i, mm))
				}
			}
		})
	}
}

// TestReferenceIntermediates compares per-block activations of the
// full-sequence form with the official module outputs.
func TestReferenceIntermediates(t *testing.T) {
	for _, name := range testref.ReferenceSets() {
		t.Run(name, func(t *testing.T) {
			r := openRef(t, name)
			m := loadRef[float32](t, r)
			inter, err := safetensors.Open(filepath.Join(r.dir, "intermediates.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer inter.Close()
			got := map[string][]float32{}
			m.trace = func(n string, data []float32, rows, cols int) {
				got[n] = append(got[n], data...)
			}
			for _, toks := range r.toks {
				if _, err := m.Forward(toks); err != nil {
					t.Fatal(err)
				}
			}
			m.trace = nil
			pairs := intermediateNames(m.cfg)
			for ours, theirs := range pairs {
				want, err := inter.Float64(theirs)
				if err != nil {
					t.Fatalf("%s: %v", theirs, err)
				}
				g, ok := got[ours]
				if !ok {
					t.Fatalf("trace has no %s", ours)
				}
				e := maxAbs(t, g, want)
				if e > tol32 {
					t.Errorf("%s %s vs %s: max abs %.3e > %.0e", name, ours, theirs, e, tol32)
				}
			}
			t.Logf("%s: %d intermediates within %.0e", name, len(pairs), tol32)
		})
	}
}

// intermediateNames maps trace names to the official module names whose
// outputs have the same (B, S, X) layout.
func intermediateNames(c *Config) map[string]string {
	out := map[string]string{}
	if c.Family == FamilyLarge {
		out["embedding"] = "embedding.out"
		out["out_norm"] = "backbone.out_norm.out"
		out["lm_head"] = "lm_head.out"
		for i := 0; i < c.NumBlocks; i++ {
			p, o := fmt.Sprintf("blocks.%d.", i), fmt.Sprintf("backbone.blocks.%d.", i)
			out[p+"norm_mlstm"] = o + "norm_mlstm.out"
			out[p+"q"] = o + "mlstm_layer.q.out"
			out[p+"k"] = o + "mlstm_layer.k.out"
			out[p+"v"] = o + "mlstm_layer.v.out"
			out[p+"out_proj"] = o + "mlstm_layer.out_proj.out"
			out[p+"ffn"] = o + "ffn.out"
			out[p+"out"] = o + "out.0"
		}
		return out
	}
	out["embedding"] = "token_embedding.out"
	out["lm_head"] = "lm_head.out"
	if c.LM.AddPostBlocksNorm {
		out["out_norm"] = "xlstm_block_stack.post_blocks_norm.out"
	}
	for i := 0; i < c.NumBlocks; i++ {
		p, o := fmt.Sprintf("blocks.%d.", i), fmt.Sprintf("xlstm_block_stack.blocks.%d.", i)
		out[p+"xlstm_norm"] = o + "xlstm_norm.out"
		out[p+"xlstm"] = o + "xlstm.out"
		out[p+"out"] = o + "out"
		if c.LM.BlockIsSLSTM[i] {
			out[p+"slstm_cell.in"] = o + "xlstm.slstm_cell.in"
			continue
		}
		out[p+"proj_up"] = o + "xlstm.proj_up.out"
		if c.LM.MLSTM.ConvKernelSize > 0 {
			out[p+"conv1d"] = o + "xlstm.conv1d.out"
		}
	}
	return out
}

// TestIntermediateNamesExist guards the name table against typos: every
// official name it uses must be in the reference file.
func TestIntermediateNamesExist(t *testing.T) {
	for _, name := range testref.ReferenceSets() {
		r := openRef(t, name)
		cfg, err := LoadConfig(r.dir)
		if err != nil {
			t.Fatal(err)
		}
		inter, err := safetensors.Open(filepath.Join(r.dir, "intermediates.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		for _, theirs := range intermediateNames(cfg) {
			if _, ok := inter.Info(theirs); !ok {
				t.Errorf("%s: no intermediate %q", name, theirs)
			}
		}
		inter.Close()
	}
}
