package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// tinyLargeBatch returns TinyLarge with seeded random weights and a batch
// of b random sequences of length s.
func tinyLargeBatch(t testing.TB, b, s int) (*model.Config, *Params, [][]int) {
	t.Helper()
	cfg, err := model.ParseConfigYAML([]byte(modeltest.TinyLarge))
	if err != nil {
		t.Fatal(err)
	}
	src, err := modeltest.Random(cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadParams(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	batch := make([][]int, b)
	for i := range batch {
		for range s {
			batch[i] = append(batch[i], rng.IntN(cfg.VocabSize))
		}
	}
	return cfg, p, batch
}

// TestLargeThreadsBitIdentical: the loss and every gradient value are the
// same bits for any thread count.
func TestLargeThreadsBitIdentical(t *testing.T) {
	cfg, p, batch := tinyLargeBatch(t, 3, 21)
	var ref *Params
	var refLoss float64
	for _, threads := range []int{1, 2, 5} {
		tr, err := NewTrainer(cfg, threads)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := NewParams(cfg)
		loss, err := tr.LossAndGrad(p, batch, g)
		tr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, refLoss = g, loss
			continue
		}
		if math.Float64bits(loss) != math.Float64bits(refLoss) {
			t.Errorf("threads %d: loss %v, 1 thread %v", threads, loss, refLoss)
		}
		for i := range g.Data {
			for j, v := range g.Data[i] {
				if math.Float32bits(v) != math.Float32bits(ref.Data[i][j]) {
					t.Fatalf("threads %d: %s[%d] = %v, 1 thread %v", threads, g.Specs[i].Name, j, v, ref.Data[i][j])
				}
			}
		}
	}
}

// TestLargeLossMatchesLossAndGrad: Loss (no gradient) gives the same value
// as LossAndGrad, and a second call reuses the buffers with the same result.
func TestLargeLossMatchesLossAndGrad(t *testing.T) {
	cfg, p, batch := tinyLargeBatch(t, 2, 17)
	tr, err := NewTrainer(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	g, _ := NewParams(cfg)
	l1, err := tr.LossAndGrad(p, batch, g)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := tr.Loss(p, batch)
	if err != nil {
		t.Fatal(err)
	}
	l3, err := tr.LossAndGrad(p, batch, g)
	if err != nil {
		t.Fatal(err)
	}
	if l1 != l2 || l1 != l3 {
		t.Errorf("LossAndGrad %v, Loss %v, LossAndGrad again %v", l1, l2, l3)
	}
	if math.IsNaN(l1) || l1 <= 0 {
		t.Errorf("loss %v", l1)
	}
}

// TestLargeFusedMatchesSingle: fused weight mode gives the single mode's
// loss and gradients, rows concatenated (SPEC §8.3).
func TestLargeFusedMatchesSingle(t *testing.T) {
	cfg, p, batch := tinyLargeBatch(t, 2, 16)
	fcfg := *cfg
	fcfg.Large.WeightMode = "fused"
	fp, err := NewParams(&fcfg)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := lgBind(cfg, p.Specs, p.Data)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := lgBind(&fcfg, fp.Specs, fp.Data)
	if err != nil {
		t.Fatal(err)
	}
	copyRoles(fw, sw)
	run := func(c *model.Config, q *Params) (float64, *lgWeights[float32]) {
		tr, err := NewTrainer(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		g, _ := NewParams(c)
		loss, err := tr.LossAndGrad(q, batch, g)
		if err != nil {
			t.Fatal(err)
		}
		gw, err := lgBind(c, g.Specs, g.Data)
		if err != nil {
			t.Fatal(err)
		}
		return loss, gw
	}
	ls, gs := run(cfg, p)
	lf, gf := run(&fcfg, fp)
	if ls != lf {
		t.Errorf("loss: single %v, fused %v", ls, lf)
	}
	for i := range gs.blocks {
		a, b := gs.blocks[i], gf.blocks[i]
		for _, pair := range [][2][]float32{{a.q, b.q}, {a.k, b.k}, {a.v, b.v}, {a.o, b.o}, {a.ig, b.ig}, {a.fg, b.fg},
			{a.igB, b.igB}, {a.fgB, b.fgB}, {a.upGate, b.upGate}, {a.up, b.up}, {a.down, b.down}} {
			for j := range pair[0] {
				if pair[0][j] != pair[1][j] {
					t.Fatalf("block %d: gradients differ at %d: %v vs %v", i, j, pair[0][j], pair[1][j])
				}
			}
		}
	}
}

// copyRoles copies every role of src into dst (same config but weight mode).
func copyRoles(dst, src *lgWeights[float32]) {
	copy(dst.embed, src.embed)
	copy(dst.head, src.head)
	copy(dst.outNorm, src.outNorm)
	for i := range src.blocks {
		d, s := &dst.blocks[i], &src.blocks[i]
		for _, pair := range [][2][]float32{{d.normM, s.normM}, {d.normF, s.normF}, {d.mhNorm, s.mhNorm},
			{d.q, s.q}, {d.k, s.k}, {d.v, s.v}, {d.o, s.o}, {d.ig, s.ig}, {d.fg, s.fg}, {d.igB, s.igB}, {d.fgB, s.fgB},
			{d.outProj, s.outProj}, {d.upGate, s.upGate}, {d.up, s.up}, {d.down, s.down}} {
			copy(pair[0], pair[1])
		}
	}
}

// TestLargeTrainerErrors: a wrong family is refused with a clear error.
func TestLargeTrainerErrors(t *testing.T) {
	lm, err := model.ParseConfigYAML([]byte(modeltest.TinyLM))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newLargeTrainer(lm, 1); err == nil {
		t.Error("newLargeTrainer accepted an original-LM config")
	}
	if _, err := newLargeTrainer(nil, 1); err == nil {
		t.Error("newLargeTrainer accepted a nil config")
	}
}
