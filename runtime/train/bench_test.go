package train

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// BenchmarkTrainBenchSmall is one training step (forward, backward, AdamW)
// of ../shared/bench/bench-small.yaml, random init, B=8, S=256, 2 threads;
// the official code does 860 tok/s on one thread, the target is ≥ 3,000.
func BenchmarkTrainBenchSmall(b *testing.B) {
	dir := testref.Dir(b, "bench")
	data, err := os.ReadFile(filepath.Join(dir, "bench-small.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := model.ParseConfigYAML(data)
	if err != nil {
		b.Fatal(err)
	}
	const batch, seq, threads = 8, 256, 2
	p, err := InitParams(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	g, _ := NewParams(cfg)
	tr, err := NewTrainer(cfg, threads)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	opt := NewAdamW(p, 0.9, 0.95, 1e-8, 0.1)
	rng := rand.New(rand.NewPCG(1, 2))
	tokens := make([][]int, batch)
	for i := range tokens {
		tokens[i] = make([]int, seq)
		for j := range tokens[i] {
			tokens[i][j] = rng.IntN(cfg.VocabSize)
		}
	}
	step := func() {
		if _, err := tr.LossAndGrad(p, tokens, g); err != nil {
			b.Fatal(err)
		}
		ClipGradNorm(g, 1)
		opt.Update(p, g, 1e-3)
	}
	step() // warm-up: scratch buffers reach their size
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.ReportMetric(float64(b.N*batch*seq)/b.Elapsed().Seconds(), "tok/s")
}
