package webgpu

import (
	"context"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// tolRef is the bound on max |logit - official logit| for f32 weights.
const tolRef = 1e-3

// TestReferenceLogits runs every reference set on the device in each form
// (prefill of the whole sequence in chunks, step by step, prefill then
// step) and compares the logits with the official ones.
func TestReferenceLogits(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	for _, set := range testref.ReferenceSets() {
		for _, linear := range []string{"gpu", "cpu"} {
			name := set
			t.Run(set+"/"+linear, func(t *testing.T) {
				r := openRef(t, name)
				m, err := model.Load[float32](r.dir)
				if err != nil {
					t.Fatal(err)
				}
				// A small prefill chunk makes the sequences span several calls.
				e, err := NewEngineModel(dev, m, Options{PrefillChunk: 16, Linear: linear})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				v := m.Config().VocabSize
				large := m.Config().Family == model.FamilyLarge
				full := "logits_parallel"
				if large {
					full = "logits_chunkwise"
				}
				split := len(r.toks[0]) * 2 / 3
				forms := []struct {
					name, ref string
					run       func(s *Session, toks []int) []float32
				}{
					{"prefill", full, func(s *Session, toks []int) []float32 {
						out, err := s.PrefillLogits(ctx, toks)
						if err != nil {
							t.Fatal(err)
						}
						return out
					}},
					{"step", "logits_step", func(s *Session, toks []int) []float32 {
						var out []float32
						for _, tok := range toks {
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
					}},
					{"prefill+step", "logits_step", func(s *Session, toks []int) []float32 {
						out, err := s.PrefillLogits(ctx, toks[:split])
						if err != nil {
							t.Fatal(err)
						}
						for _, tok := range toks[split:] {
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
					}},
				}
				for _, f := range forms {
					var got []float32
					for _, toks := range r.toks {
						sess, err := e.NewSession()
						if err != nil {
							t.Fatal(err)
						}
						out := f.run(sess.(*Session), toks)
						if len(out) != len(toks)*v {
							t.Fatalf("%s: %d logits, want %d", f.name, len(out), len(toks)*v)
						}
						got = append(got, out...)
						sess.Close()
					}
					err := maxAbs(got, r.want(t, f.ref))
					t.Logf("%-12s %s %-13s vs %-17s max abs %.2e", name, linear, f.name, f.ref, err)
					if err > tolRef {
						t.Errorf("%s %s: max abs %.3e > %.0e against %s", name, f.name, err, tolRef, f.ref)
					}
				}
			})
		}
	}
}
