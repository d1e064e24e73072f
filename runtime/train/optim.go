package train

import (
	"math"
)

// AdamW is torch.optim.AdamW (decoupled weight decay, bias-corrected
// moments, amsgrad off), evaluated in float32 in torch's operation order so
// that one step matches the official optimiser to rounding.
type AdamW struct {
	Beta1, Beta2, Eps, WeightDecay float64
	// Decay says which tensors get weight decay; nil means all of them.
	Decay func(name string, shape []int) bool
	M, V  *Params // first and second moments (saved in checkpoints)
	Step  int     // steps taken
}

// NewAdamW returns an optimiser for parameters shaped like p, with zero
// moments and weight decay on every tensor.
func NewAdamW(p *Params, beta1, beta2, eps, weightDecay float64) *AdamW {
	m := p.Clone()
	m.Zero()
	v := m.Clone()
	return &AdamW{Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: weightDecay, M: m, V: v}
}

// Update takes one step: p ← p·(1 − lr·wd) − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
// with m, v the running moments of g.
func (o *AdamW) Update(p, g *Params, lr float64) {
	o.Step++
	t := float64(o.Step)
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	c1, c2 := float32(1-o.Beta1), float32(1-o.Beta2)
	stepSize := float32(lr / (1 - math.Pow(o.Beta1, t)))
	bc2 := float32(math.Sqrt(1 - math.Pow(o.Beta2, t)))
	eps := float32(o.Eps)
	for i, w := range p.Data {
		gr, m, v := g.Data[i][:len(w)], o.M.Data[i][:len(w)], o.V.Data[i][:len(w)]
		if o.Decay == nil || o.Decay(p.Specs[i].Name, p.Specs[i].Shape) {
			keep := float32(1 - lr*o.WeightDecay)
			for j := range w {
				w[j] *= keep
			}
		}
		for j := range w {
			m[j] = m[j]*b1 + gr[j]*c1
			v[j] = v[j]*b2 + gr[j]*gr[j]*c2
			den := float32(math.Sqrt(float64(v[j])))/bc2 + eps
			w[j] -= stepSize * (m[j] / den)
		}
	}
}

// ClipGradNorm scales g so that its global L2 norm is at most maxNorm (as
// torch.nn.utils.clip_grad_norm_, with its 1e-6 guard) and returns the norm
// before clipping. maxNorm ≤ 0 only measures.
func ClipGradNorm(g *Params, maxNorm float64) (norm float64) {
	var ss float64
	for _, d := range g.Data {
		for _, v := range d {
			ss += float64(v) * float64(v)
		}
	}
	norm = math.Sqrt(ss)
	if maxNorm > 0 {
		if c := maxNorm / (norm + 1e-6); c < 1 {
			g.Scale(float32(c))
		}
	}
	return norm
}

// CosineLR is the learning rate at step (counted from 0): a linear warm-up
// peak·(step+1)/warmup over the first warmup steps, then a cosine decay from
// peak to floor reached at step total, and floor afterwards.
func CosineLR(step, warmup, total int, peak, floor float64) float64 {
	if step < warmup {
		return peak * float64(step+1) / float64(warmup)
	}
	if step >= total || total <= warmup {
		return floor
	}
	progress := float64(step-warmup) / float64(total-warmup)
	return floor + (peak-floor)*0.5*(1+math.Cos(math.Pi*progress))
}
