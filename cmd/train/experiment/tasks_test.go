package main

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestParityExamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := parity{maxTrain: 40}
	for b := range p.buckets() {
		for range 50 {
			toks, answers := p.example(rng, b)
			n := len(toks) - 3
			if lo, hi := parityBuckets[b][0], parityBuckets[b][1]; n < lo || n > hi {
				t.Fatalf("bucket %d: %d bits, want %d–%d", b, n, lo, hi)
			}
			x := 0
			for _, bit := range toks[1 : n+1] {
				x ^= bit
			}
			if toks[0] != parBOS || toks[n+1] != parEq || !slices.Equal(answers, []int{n + 1}) || toks[n+2] != x {
				t.Fatalf("bad example %v (answers %v)", toks, answers)
			}
		}
	}
	for range 20 {
		batch := p.batch(rng, 4, rng.Float64())
		for _, seq := range batch {
			if len(seq) > 43 || len(seq) != len(batch[0]) {
				t.Fatalf("training batch of %d and %d tokens: want equal lengths of at most 40 bits", len(seq), len(batch[0]))
			}
		}
	}
}

func TestMQARExamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := mqar{keys: 64, pairs: []int{2, 4, 8, 16}}
	for b, n := range m.pairs {
		toks, answers := m.example(rng, b)
		if len(toks) != 4*n || len(answers) != n {
			t.Fatalf("N=%d: %d tokens, %d answers", n, len(toks), len(answers))
		}
		value := map[int]int{}
		for i := 0; i < 2*n; i += 2 {
			if toks[i] >= m.keys || toks[i+1] < m.keys || toks[i+1] >= 2*m.keys {
				t.Fatalf("pair %d: key %d value %d out of range", i/2, toks[i], toks[i+1])
			}
			if _, dup := value[toks[i]]; dup {
				t.Fatalf("key %d twice", toks[i])
			}
			value[toks[i]] = toks[i+1]
		}
		for _, a := range answers {
			if a < 2*n || value[toks[a]] != toks[a+1] {
				t.Fatalf("answer at %d: key %d then %d, want %d", a, toks[a], toks[a+1], value[toks[a]])
			}
		}
	}
	batch := m.batch(rng, 3, 0)
	for _, s := range batch {
		if len(s) != len(batch[0]) || len(s) > 4*16 {
			t.Fatalf("batch of unequal or too long sequences: %d, %d", len(s), len(batch[0]))
		}
	}
}

func TestConfigsParse(t *testing.T) {
	for _, v := range variants {
		if _, err := runVariantConfig(v); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
	}
}
