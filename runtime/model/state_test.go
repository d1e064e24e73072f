package model

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestPrefillThenStepEqualsStep: prefilling N tokens then stepping gives the
// same logits and state as stepping from scratch (float64, so only rounding
// separates the chunkwise and recurrent forms).
func TestPrefillThenStepEqualsStep(t *testing.T) {
	for name, y := range testConfigs {
		t.Run(name, func(t *testing.T) {
			cfg := mustParseYAML(t, y)
			m := mustModel[float64](t, cfg, randomSource(t, cfg, 1))
			v := cfg.VocabSize
			toks := randomTokens(37, v, 2)
			ref := m.NewState()
			want := make([]float64, len(toks)*v)
			for i, tok := range toks {
				if err := m.Step(ref, tok, want[i*v:(i+1)*v]); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range []int{1, 5, 16, 23, 37} {
				st := m.NewState()
				got := make([]float64, len(toks)*v)
				if err := m.Prefill(st, toks[:n], got[:n*v]); err != nil {
					t.Fatal(err)
				}
				for i := n; i < len(toks); i++ {
					if err := m.Step(st, toks[i], got[i*v:(i+1)*v]); err != nil {
						t.Fatal(err)
					}
				}
				if e := maxAbs(t, got, want); e > 1e-10 {
					t.Errorf("prefill %d then step: max abs %.3e from step-only", n, e)
				}
				if st.Pos() != len(toks) {
					t.Errorf("pos %d, want %d", st.Pos(), len(toks))
				}
				a, _ := st.MarshalBinary()
				b, _ := ref.MarshalBinary()
				if e := maxAbsBytes(a, b); e > 1e-10 {
					t.Errorf("prefill %d then step: final state differs by %.3e", n, e)
				}
			}
			// The full-sequence form agrees too (the LM's parallel form only up
			// to its eps·e^m term, SPEC §4.3).
			full, err := m.Forward(toks)
			if err != nil {
				t.Fatal(err)
			}
			if e := maxAbs(t, full, want); e > 1e-4 {
				t.Errorf("full vs step: max abs %.3e", e)
			}
		})
	}
}

// maxAbsBytes compares two float64 marshalled states value by value.
func maxAbsBytes(a, b []byte) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var e float64
	for i := 64; i+8 <= len(a); i += 8 {
		x := math.Float64frombits(leU64(a[i:]))
		y := math.Float64frombits(leU64(b[i:]))
		e = max(e, math.Abs(x-y))
	}
	if !bytes.Equal(a[:64], b[:64]) {
		return math.Inf(1)
	}
	return e
}

func leU64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// TestStateMarshalContinues: a state saved mid-sequence and restored into a
// fresh state continues bit-identically, for float32 and float64.
func TestStateMarshalContinues(t *testing.T) {
	for name, y := range testConfigs {
		t.Run(name, func(t *testing.T) {
			cfg := mustParseYAML(t, y)
			src := randomSource(t, cfg, 3)
			testMarshal(t, mustModel[float32](t, cfg, src))
			testMarshal(t, mustModel[float64](t, cfg, src))
		})
	}
}

func testMarshal[F Float](t *testing.T, m *Model[F]) {
	v := m.cfg.VocabSize
	toks := randomTokens(20, v, 4)
	a := m.NewState()
	if err := m.Prefill(a, toks[:11], nil); err != nil {
		t.Fatal(err)
	}
	data, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b := m.NewState()
	if err := b.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if b.Pos() != 11 {
		t.Errorf("restored pos %d, want 11", b.Pos())
	}
	la, lb := make([]F, v), make([]F, v)
	for _, tok := range toks[11:] {
		if err := m.Step(a, tok, la); err != nil {
			t.Fatal(err)
		}
		if err := m.Step(b, tok, lb); err != nil {
			t.Fatal(err)
		}
		for i := range la {
			if la[i] != lb[i] {
				t.Fatalf("restored state diverges at logit %d: %v vs %v", i, la[i], lb[i])
			}
		}
	}
}

// TestStateRefusesOtherModel: a state saved by one model is refused by a
// model of another config, and corrupt data is an error, not a panic.
func TestStateRefusesOtherModel(t *testing.T) {
	c1 := mustParseYAML(t, testConfigs["large-odd-chunk"])
	c2 := mustParseYAML(t, testConfigs["large-fused"])
	m1 := mustModel[float32](t, c1, randomSource(t, c1, 5))
	m2 := mustModel[float32](t, c2, randomSource(t, c2, 5))
	st := m1.NewState()
	if err := m1.Prefill(st, []int{1, 2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	data, _ := st.MarshalBinary()
	if err := m2.NewState().UnmarshalBinary(data); err == nil || !strings.Contains(err.Error(), "another model") {
		t.Errorf("restoring into another model: err = %v, want 'another model'", err)
	}
	if err := m2.Step(st, 1, make([]float32, c2.VocabSize)); err == nil {
		t.Error("stepping another model's state: no error")
	}
	for _, bad := range [][]byte{nil, []byte("XLSTMST"), data[:len(data)-1], append(bytes.Clone(data), 0), append([]byte("NOTSTATE"), data[8:]...)} {
		if err := m1.NewState().UnmarshalBinary(bad); err == nil {
			t.Errorf("corrupt state of %d bytes accepted", len(bad))
		}
	}
	// A float32 state restores into the float64 build of the same model.
	m64 := mustModel[float64](t, c1, randomSource(t, c1, 5))
	if err := m64.NewState().UnmarshalBinary(data); err != nil {
		t.Errorf("float32 state into float64 model: %v", err)
	}
}

// TestStepAllocatesNothing: decode allocates nothing per token after warm-up.
func TestStepAllocatesNothing(t *testing.T) {
	for name, y := range testConfigs {
		t.Run(name, func(t *testing.T) {
			cfg := mustParseYAML(t, y)
			m := mustModel[float32](t, cfg, randomSource(t, cfg, 6))
			st := m.NewState()
			logits := make([]float32, cfg.VocabSize)
			tok := 0
			step := func() {
				if err := m.Step(st, tok, logits); err != nil {
					t.Fatal(err)
				}
				tok = (tok + 7) % cfg.VocabSize
			}
			step()
			if a := testing.AllocsPerRun(50, step); a != 0 {
				t.Errorf("Step allocates %.1f times per token, want 0", a)
			}
		})
	}
}

// TestBadInput: wrong tokens and buffers are errors naming the problem.
func TestBadInput(t *testing.T) {
	cfg := mustParseYAML(t, testConfigs["lm-noconv-onehead"])
	m := mustModel[float32](t, cfg, randomSource(t, cfg, 7))
	st := m.NewState()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"token too big", m.Step(st, cfg.VocabSize, make([]float32, cfg.VocabSize)), "outside the vocabulary"},
		{"negative token", m.Step(st, -1, make([]float32, cfg.VocabSize)), "outside the vocabulary"},
		{"short logits", m.Step(st, 0, make([]float32, 3)), "logits buffer"},
		{"nil state", m.Step(nil, 0, make([]float32, cfg.VocabSize)), "nil state"},
		{"empty prefill", m.Prefill(st, nil, nil), "no tokens"},
		{"prefill logits", m.Prefill(st, []int{1, 2}, make([]float32, 5)), "logits buffer"},
		{"forward token", func() error { _, err := m.Forward([]int{0, 99}); return err }(), "position 1"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, c.err, c.want)
		}
	}
	if st.Pos() != 0 {
		t.Errorf("failed calls moved the state to %d", st.Pos())
	}
}

// TestThreadsSameLogits: splitting the products across threads changes no
// bit of the logits, and decode still allocates nothing.
func TestThreadsSameLogits(t *testing.T) {
	// vocab × D ≥ 2^20, so the head is split across the threads.
	cfg := mustParseYAML(t, "embedding_dim: 64\nnum_heads: 2\nnum_blocks: 1\nvocab_size: 17000\nchunk_size: 8\n")
	src := randomSource(t, cfg, 8)
	one, two := mustModel[float32](t, cfg, src), mustModel[float32](t, cfg, src)
	two.SetThreads(2)
	defer two.Close()
	if two.Threads() != 2 || one.Threads() != 1 {
		t.Fatalf("threads %d and %d, want 1 and 2", one.Threads(), two.Threads())
	}
	toks := randomTokens(20, cfg.VocabSize, 9)
	a, _ := one.Forward(toks)
	b, _ := two.Forward(toks)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("logit %d: 1 thread %v, 2 threads %v", i, a[i], b[i])
		}
	}
	st, logits := two.NewState(), make([]float32, cfg.VocabSize)
	step := func() {
		if err := two.Step(st, 3, logits); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(50, step); n != 0 {
		t.Errorf("Step with 2 threads allocates %.1f times per token", n)
	}
}
