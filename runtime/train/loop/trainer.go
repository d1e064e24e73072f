package loop

import (
	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/train"
)

// TrainerObjective is the Objective of a runtime/train Trainer.
type TrainerObjective struct {
	T     *train.Trainer
	Specs []model.TensorSpec
}

// LossAndGrad implements Objective.
func (o *TrainerObjective) LossAndGrad(params, grads [][]float32, batch [][]int) (float64, error) {
	return o.T.LossAndGrad(&train.Params{Specs: o.Specs, Data: params}, batch, &train.Params{Specs: o.Specs, Data: grads})
}

// Loss implements Objective.
func (o *TrainerObjective) Loss(params [][]float32, batch [][]int) (float64, error) {
	return o.T.Loss(&train.Params{Specs: o.Specs, Data: params}, batch)
}

// AdamW adapts runtime/train's AdamW to Optimizer; its slots are the
// moments M and V.
type AdamW struct {
	O     *train.AdamW
	Specs []model.TensorSpec
}

// NewAdamW returns AdamW (β = 0.9, 0.95, ε = 1e-8) with weight decay on
// the matrices only: norms, biases and gate biases are not decayed.
func NewAdamW(specs []model.TensorSpec, weightDecay float64) *AdamW {
	p := &train.Params{Specs: specs, Data: Zeros(specs)}
	o := train.NewAdamW(p, 0.9, 0.95, 1e-8, weightDecay)
	o.Decay = func(_ string, shape []int) bool { return len(shape) >= 2 }
	return &AdamW{O: o, Specs: specs}
}

// Update implements Optimizer.
func (a *AdamW) Update(params, grads [][]float32, lr float64) {
	a.O.Update(&train.Params{Specs: a.Specs, Data: params}, &train.Params{Specs: a.Specs, Data: grads}, lr)
}

// Slots implements Optimizer.
func (a *AdamW) Slots() [][][]float32 { return [][][]float32{a.O.M.Data, a.O.V.Data} }

// Steps implements Optimizer.
func (a *AdamW) Steps() int { return a.O.Step }

// SetSteps implements Optimizer.
func (a *AdamW) SetSteps(n int) { a.O.Step = n }
