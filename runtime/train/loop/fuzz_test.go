package loop

import (
	"testing"
)

// FuzzDecodeOptimizer feeds arbitrary bytes to the optimizer-state reader: it
// must return an error or fill the slots, never panic.
func FuzzDecodeOptimizer(f *testing.F) {
	specs := bigramSpecs(3)
	opt := NewAdamW(specs, 0)
	opt.O.M.Data[0][4] = 1.5
	opt.SetSteps(9)
	f.Add(encodeOptimizer(specs, opt))
	f.Add([]byte("XLSTMOPT1\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := NewAdamW(specs, 0)
		if err := decodeOptimizer(data, specs, o); err == nil {
			if got := encodeOptimizer(specs, o); string(got) != string(data) {
				t.Fatalf("accepted %d bytes that do not re-encode to themselves", len(data))
			}
		}
	})
}

func TestOptimizerRoundTrip(t *testing.T) {
	specs := bigramSpecs(3)
	a := NewAdamW(specs, 0)
	for i := range a.O.M.Data[0] {
		a.O.M.Data[0][i], a.O.V.Data[0][i] = float32(i)*0.5, float32(i)*0.25
	}
	a.SetSteps(17)
	data := encodeOptimizer(specs, a)
	b := NewAdamW(specs, 0)
	if err := decodeOptimizer(data, specs, b); err != nil {
		t.Fatal(err)
	}
	if b.Steps() != 17 || b.O.M.Data[0][8] != 4 || b.O.V.Data[0][8] != 2 {
		t.Fatalf("round trip: steps %d, m %v, v %v", b.Steps(), b.O.M.Data[0], b.O.V.Data[0])
	}
	for _, bad := range [][]byte{data[:len(data)-1], append(append([]byte{}, data...), 0), []byte("nope")} {
		if err := decodeOptimizer(bad, specs, NewAdamW(specs, 0)); err == nil {
			t.Errorf("%d bytes: no error", len(bad))
		}
	}
	if err := decodeOptimizer(data, bigramSpecs(4), NewAdamW(bigramSpecs(4), 0)); err == nil {
		t.Error("other shapes: no error")
	}
}
