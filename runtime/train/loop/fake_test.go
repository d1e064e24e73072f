package loop

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// bigramObjective is a stand-in model for the loop's tests: a table of
// next-token logits per token, with the exact softmax cross-entropy
// gradient, so the loop is tested apart from the xLSTM backward pass.
type bigramObjective struct{ vocab int }

func bigramSpecs(v int) []model.TensorSpec {
	return []model.TensorSpec{{Name: "bigram", Shape: []int{v, v}}}
}

func (b *bigramObjective) run(params, grads [][]float32, batch [][]int) (float64, error) {
	v := b.vocab
	w := params[0]
	if grads != nil {
		clear(grads[0])
	}
	n := 0
	for _, seq := range batch {
		n += len(seq) - 1
	}
	var loss float64
	p := make([]float64, v)
	for _, seq := range batch {
		for t := 0; t+1 < len(seq); t++ {
			row := w[seq[t]*v : (seq[t]+1)*v]
			mx := math.Inf(-1)
			for _, x := range row {
				mx = math.Max(mx, float64(x))
			}
			var z float64
			for j, x := range row {
				p[j] = math.Exp(float64(x) - mx)
				z += p[j]
			}
			loss -= math.Log(p[seq[t+1]] / z)
			if grads != nil {
				g := grads[0][seq[t]*v : (seq[t]+1)*v]
				for j := range g {
					d := p[j] / z
					if j == seq[t+1] {
						d--
					}
					g[j] += float32(d / float64(n))
				}
			}
		}
	}
	return loss / float64(n), nil
}

func (b *bigramObjective) LossAndGrad(params, grads [][]float32, batch [][]int) (float64, error) {
	return b.run(params, grads, batch)
}

func (b *bigramObjective) Loss(params [][]float32, batch [][]int) (float64, error) {
	return b.run(params, nil, batch)
}
