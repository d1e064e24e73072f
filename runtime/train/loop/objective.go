// Package loop is the training loop behind cmd/train: seeded batches,
// gradient clipping, the learning-rate schedule, evaluation, metrics
// (metrics.jsonl, loss.png) and checkpoints (a weight bundle plus the
// optimizer state) that resume bit-identically.
//
// The loop works on parameters as [][]float32 in the order of
// model.Tensors, the layout of runtime/train's Params; the model's loss and
// gradients come from an Objective and the update from an Optimizer, so that
// the loop is independent of how they are computed.
package loop

import (
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/train"
)

// Objective computes a model's mean next-token loss over a batch of equal
// length sequences and, for LossAndGrad, its gradient (grads is
// overwritten). Results must be deterministic.
type Objective interface {
	LossAndGrad(params, grads [][]float32, batch [][]int) (float64, error)
	Loss(params [][]float32, batch [][]int) (float64, error)
}

// Optimizer updates parameters in place from gradients. Its state (the
// step count and its slots, e.g. AdamW's first and second moments, each
// shaped like the parameters) is saved in checkpoints.
type Optimizer interface {
	Update(params, grads [][]float32, lr float64)
	// Slots returns the optimizer's state tensors, each a [][]float32 shaped
	// like the parameters; a checkpoint writes them and restores into them.
	Slots() [][][]float32
	// Steps is the number of updates taken; SetSteps restores it.
	Steps() int
	SetSteps(n int)
}

// Schedule gives the learning rate of a 1-based step.
type Schedule func(step int) float64

// Cosine is runtime/train's CosineLR (linear warm-up to peak over warmup
// steps, then a cosine decay to floor at step total) for 1-based steps.
func Cosine(warmup, total int, peak, floor float64) Schedule {
	return func(step int) float64 { return train.CosineLR(step-1, warmup, total, peak, floor) }
}

// ClipNorm scales grads so that their global L2 norm is at most max (max ≤
// 0: no clipping) and returns the norm before clipping (runtime/train's
// ClipGradNorm: a fixed summation order, so deterministic).
func ClipNorm(grads [][]float32, max float64) float64 {
	return train.ClipGradNorm(&train.Params{Data: grads}, max)
}

// Zeros returns zero tensors shaped like specs.
func Zeros(specs []model.TensorSpec) [][]float32 {
	out := make([][]float32, len(specs))
	for i, s := range specs {
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		out[i] = make([]float32, n)
	}
	return out
}
