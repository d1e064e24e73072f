package train

import (
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// ExampleTrainer_LossAndGrad trains a tiny xLSTM Large model (chunkwise
// mLSTM, chunk 4) on one batch for a few steps.
func ExampleTrainer_LossAndGrad() {
	cfg, err := model.ParseConfigYAML([]byte(`
embedding_dim: 16
num_heads: 2
num_blocks: 2
vocab_size: 16
chunk_size: 4
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := InitParams(cfg, 1)
	g, _ := NewParams(cfg)
	tr, err := NewTrainer(cfg, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	opt := NewAdamW(p, 0.9, 0.95, 1e-8, 0.1)
	batch := [][]int{{1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1}}
	first, _ := tr.Loss(p, batch)
	for step := 0; step < 30; step++ {
		if _, err := tr.LossAndGrad(p, batch, g); err != nil {
			fmt.Println(err)
			return
		}
		ClipGradNorm(g, 1)
		opt.Update(p, g, CosineLR(step, 3, 30, 1e-2, 1e-3))
	}
	last, _ := tr.Loss(p, batch)
	fmt.Println(last < first/2)
	// Output: true
}
