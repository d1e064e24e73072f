package train

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/runtime/model"
)

// BenchmarkTrainBenchLarge times one LossAndGrad (forward, loss and full
// backward) of bench-large (../shared/bench/bench-large.yaml, 70.8M
// parameters, random init) on one sequence of 512 tokens, for 1 and 2
// threads; tok/s counts the tokens of the batch.
func BenchmarkTrainBenchLarge(b *testing.B) {
	dir := testref.Dir(b, "bench")
	text, err := os.ReadFile(filepath.Join(dir, "bench-large.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := model.ParseConfigYAML(text)
	if err != nil {
		b.Fatal(err)
	}
	p, err := InitParams(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	g, err := NewParams(cfg)
	if err != nil {
		b.Fatal(err)
	}
	const seqLen = 512
	batch := [][]int{make([]int, seqLen)}
	for i := range batch[0] {
		batch[0][i] = (i * 7919) % cfg.VocabSize
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			tr, err := NewTrainer(cfg, threads)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			if _, err := tr.LossAndGrad(p, batch, g); err != nil { // warm-up: buffers
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := tr.LossAndGrad(p, batch, g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*seqLen)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
