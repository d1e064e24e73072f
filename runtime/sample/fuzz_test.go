package sample

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzNext feeds arbitrary logits and settings: Next must never panic, and a
// token it returns must be in range with a finite logit.
func FuzzNext(f *testing.F) {
	f.Add(1.0, 0, 0.0, uint64(1), []byte{0, 0, 128, 63, 0, 0, 0, 64})
	f.Add(0.5, 3, 0.9, uint64(2), []byte{0, 0, 128, 255, 0, 0, 128, 127, 1, 2, 3, 4})
	f.Add(0.0, 0, 0.0, uint64(0), []byte{0, 0, 192, 127})
	f.Add(1e-300, 1, 1e-9, uint64(3), []byte{255, 255, 127, 127, 255, 255, 127, 255})
	f.Fuzz(func(t *testing.T, temp float64, topK int, topP float64, seed uint64, raw []byte) {
		n := len(raw) / 4
		if n == 0 || n > 4096 {
			return
		}
		logits := make([]float32, n)
		for i := range logits {
			logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		p := Params{Temperature: temp, TopK: topK, TopP: topP, Seed: seed}
		s, err := New(p, n)
		if err != nil {
			if p.Validate() == nil {
				t.Fatalf("New failed on valid params %+v: %v", p, err)
			}
			return
		}
		for range 3 {
			id, err := s.Next(logits)
			if err != nil {
				continue
			}
			if id < 0 || id >= n {
				t.Fatalf("token %d out of range [0, %d)", id, n)
			}
			v := float64(logits[id])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("token %d has logit %v", id, v)
			}
			if p.Greedy() && id != Argmax(logits) {
				t.Fatalf("greedy gave %d, Argmax %d", id, Argmax(logits))
			}
		}
	})
}
