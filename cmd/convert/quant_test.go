package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestQuantAgreement converts mixed and xlstm_large to f16, bf16, q8 and q4
// and compares their full-sequence logits with the f32 bundle's: top-1
// agreement and max abs error over every position of the two reference
// sequences, and over a wider sample of 64 random sequences (2048
// positions; the reference models are perturbed so that their gates are
// extreme, which makes 64 positions a noisy measure). Run with -v for the
// table.
//
// The floors are regression guards, set below the measured values: these
// perturbed models amplify weight errors so much that even bf16 (0.2%
// relative rounding) flips 1–2% of the top-1 tokens; q8's error is a few
// times larger.
func TestQuantAgreement(t *testing.T) {
	floors := map[string]float64{"f16": 0.98, "bf16": 0.93, "q8": 0.93, "q4": 0.35}
	for _, set := range []string{"mixed", "xlstm_large"} {
		ref := loadReference(t, set)
		wide := &reference{vocab: ref.vocab}
		r := rand.New(rand.NewPCG(7, 8))
		for i := 0; i < 64; i++ {
			seq := make([]int, 32)
			for j := range seq {
				seq[j] = r.IntN(ref.vocab)
			}
			wide.tokens = append(wide.tokens, seq)
		}
		in := filepath.Join(ref.dir, "state_dict.pt")
		f32 := mustConvert(t, in, "-dtype", "f32")
		base, baseWide := forward(t, f32, ref), forward(t, f32, wide)
		t.Logf("%s f32: bundle %d bytes, logits up to %.3g", set, dirSize(t, f32), maxLogit(base))
		for _, dt := range []string{"f16", "bf16", "q8", "q4"} {
			dir := mustConvert(t, in, "-dtype", dt)
			maxAbs, top1 := compare(forward(t, dir, ref), base, ref.vocab)
			wMaxAbs, wTop1 := compare(forward(t, dir, wide), baseWide, ref.vocab)
			t.Logf("%s %s: reference tokens top-1 %.2f%% max abs %.3g | 2048 random positions top-1 %.2f%% max abs %.3g | bundle %d bytes",
				set, dt, 100*top1, maxAbs, 100*wTop1, wMaxAbs, dirSize(t, dir))
			if top1 < floors[dt] || wTop1 < floors[dt] {
				t.Errorf("%s %s: top-1 agreement %.2f%% / %.2f%% below the %.0f%% floor", set, dt, 100*top1, 100*wTop1, 100*floors[dt])
			}
		}
	}
}

func maxLogit(a [][]float32) float64 {
	m := 0.0
	for _, x := range a {
		for _, v := range x {
			m = max(m, float64(v), -float64(v))
		}
	}
	return m
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		info, _ := e.Info()
		n += info.Size()
	}
	return n
}
