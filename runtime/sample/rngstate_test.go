package sample

import (
	"math"
	"slices"
	"testing"
)

func TestRNGStateContinues(t *testing.T) {
	logits := make([]float32, 50)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i)))
	}
	tests := []struct {
		name   string
		p      Params
		before int
	}{
		{"plain", Params{Temperature: 1, Seed: 7}, 5},
		{"top-k", Params{Temperature: 0.8, TopK: 10, Seed: 1}, 1},
		{"top-p", Params{Temperature: 1.3, TopP: 0.9, Seed: 99}, 17},
		{"at start", Params{Temperature: 1, Seed: 3}, 0},
		{"greedy", Params{}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole, _ := New(tt.p, len(logits))
			var want []int
			for range tt.before + 20 {
				id, err := whole.Next(logits)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, id)
			}

			first, _ := New(tt.p, len(logits))
			var got []int
			for range tt.before {
				id, _ := first.Next(logits)
				got = append(got, id)
			}
			st, err := first.RNGState()
			if err != nil {
				t.Fatal(err)
			}
			// A fresh sampler with another seed, moved to the saved position.
			second, _ := New(Params{Temperature: tt.p.Temperature, TopK: tt.p.TopK, TopP: tt.p.TopP, Seed: 12345}, len(logits))
			if err := second.SetRNGState(st); err != nil {
				t.Fatal(err)
			}
			for range 20 {
				id, _ := second.Next(logits)
				got = append(got, id)
			}
			if !slices.Equal(got, want) {
				t.Errorf("split at %d:\n got %v\nwant %v", tt.before, got, want)
			}
		})
	}
}

func TestSetRNGStateRejectsBadInput(t *testing.T) {
	s, _ := New(Params{Temperature: 1, Seed: 5}, 10)
	before, _ := s.RNGState()
	for _, b := range [][]byte{nil, []byte("pcg:"), []byte("not a pcg state at all.....")} {
		if err := s.SetRNGState(b); err == nil {
			t.Errorf("SetRNGState(%q): no error", b)
		}
	}
	after, _ := s.RNGState()
	if !slices.Equal(before, after) {
		t.Error("a rejected state changed the stream")
	}
}
