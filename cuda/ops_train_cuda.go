//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
)

// Optimizer runs AdamW with global-norm clipping on the device, in
// runtime/train's operation order: per step, the gradients' squares are
// summed into per-block partials, one kernel turns them into the norm and
// the clip factor (both kept on the device), then each tensor is updated.
type Optimizer struct {
	d                              *Device
	Beta1, Beta2, Eps, WeightDecay float64
	MaxNorm                        float64 // ≤ 0: no clipping
	Step                           int
	partial                        *Buffer // maxGrid doubles
	clip                           *Buffer // [norm, factor]
}

// Param is one trainable tensor with its gradient and moments (n values
// each) and whether weight decay applies to it.
type Param struct {
	W, G, M, V *Buffer
	N          int
	Decay      bool
}

// NewOptimizer returns an AdamW optimiser; Close frees its buffers.
func (d *Device) NewOptimizer(beta1, beta2, eps, weightDecay, maxNorm float64) (*Optimizer, error) {
	p, err := d.Alloc(8 * maxGrid)
	if err != nil {
		return nil, err
	}
	c, err := d.Floats(2)
	if err != nil {
		p.Free()
		return nil, err
	}
	return &Optimizer{d: d, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: weightDecay, MaxNorm: maxNorm, partial: p, clip: c}, nil
}

// Close frees the optimiser's buffers.
func (o *Optimizer) Close() error {
	return firstErr(o.partial.Free(), o.clip.Free())
}

// Update clips the gradients to MaxNorm (scaling them in place, as torch
// does) and takes one AdamW step at learning rate lr. It returns the
// gradient norm before clipping.
func (o *Optimizer) Update(params []Param, lr float64) (float64, error) {
	for i, p := range params {
		if err := firstErr(needF(p.W, p.N, "adamw w"), needF(p.G, p.N, "adamw g"), needF(p.M, p.N, "adamw m"), needF(p.V, p.N, "adamw v")); err != nil {
			return 0, fmt.Errorf("param %d: %w", i, err)
		}
	}
	d := o.d
	if err := d.Fill(o.partial, 0, 2*maxGrid); err != nil { // maxGrid doubles = 2·maxGrid floats of zero bits
		return 0, err
	}
	for _, p := range params {
		if err := d.Launch("xl_sumsq", Dim{X: maxGrid}, Dim{X: block}, o.partial, p.G, p.N); err != nil {
			return 0, err
		}
	}
	if err := d.Launch("xl_clip_scale", Dim{X: 1}, Dim{X: block}, o.clip, o.partial, maxGrid, o.MaxNorm); err != nil {
		return 0, err
	}
	o.Step++
	t := float64(o.Step)
	stepSize := lr / (1 - math.Pow(o.Beta1, t))
	bc2 := math.Sqrt(1 - math.Pow(o.Beta2, t))
	for _, p := range params {
		keep := 1.0
		if p.Decay {
			keep = 1 - lr*o.WeightDecay
		}
		if err := d.Launch("xl_adamw", grid1(p.N), Dim{X: block}, p.W, p.G, p.M, p.V, o.clip, p.N, keep, o.Beta1, o.Beta2, stepSize, bc2, o.Eps); err != nil {
			return 0, err
		}
	}
	var out [2]float32
	if err := o.clip.Download(out[:]); err != nil {
		return 0, err
	}
	return float64(out[0]), nil
}
