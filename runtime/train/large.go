package train

import (
	"errors"
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// largeTrainer is the xLSTM Large family's loss and gradient (float32).
type largeTrainer struct {
	cfg *model.Config
	net *lgNet[float32]
}

// newLargeTrainer prepares the xLSTM Large trainer for cfg on threads
// goroutines. The full-sequence form is the chunkwise one of the official
// train mode (chunk_size from cfg); sequences need not be a multiple of it.
func newLargeTrainer(cfg *model.Config, threads int) (familyTrainer, error) {
	if cfg == nil || cfg.Family != model.FamilyLarge {
		return nil, errors.New("xLSTM Large trainer: config is not an xLSTM Large config")
	}
	if cfg.Large.ChunkSize < 1 {
		return nil, fmt.Errorf("xLSTM Large trainer: chunk_size %d, need ≥ 1", cfg.Large.ChunkSize)
	}
	return &largeTrainer{cfg: cfg, net: newLGNet[float32](cfg, threads)}, nil
}

func (t *largeTrainer) lossAndGrad(p *Params, batch [][]int, g *Params, wantGrad bool) (float64, error) {
	var gd [][]float32
	if wantGrad {
		gd = g.Data
	}
	return lgLossAndGrad(t.net, p.Specs, p.Data, gd, batch)
}

func (t *largeTrainer) close() {}

// lgLossAndGrad binds data (laid out as specs) and runs net on batch; when
// grad is not nil the gradient is written to its tensors (same layout).
func lgLossAndGrad[F model.Float](net *lgNet[F], specs []model.TensorSpec, data, grad [][]F, batch [][]int) (float64, error) {
	w, err := lgBind(net.cfg, specs, data)
	if err != nil {
		return 0, fmt.Errorf("xLSTM Large params: %w", err)
	}
	loss := net.forward(w, batch, grad != nil)
	if grad == nil {
		return loss, nil
	}
	gw, err := lgBind(net.cfg, specs, grad)
	if err != nil {
		return 0, fmt.Errorf("xLSTM Large gradient: %w", err)
	}
	net.backward(w, gw, batch)
	return loss, nil
}
