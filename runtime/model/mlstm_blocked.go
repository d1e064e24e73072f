package model

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/kernels"
)

// causalBlock is the number of query positions parallelBlocked scores at a
// time: a block needs keys only up to its last position, so the masked
// upper triangle is skipped but for the block diagonal.
const causalBlock = 64

// parallelBlocked is parallel for float32 with the pairwise work done as
// two blocked matrix products, like attention: S = Q Kᵀ, then the decay
// weights per row (vectorised exp), then H = C V, one block of query rows
// at a time against the keys up to the block's end. The masked pairs
// inside a block are computed and zeroed, which the blocked kernels still
// do far faster than one dot and one axpy per causal pair; the zeros add
// nothing, so the sums equal the full-width ones. ws supplies
// s·(s + 2·dk + 2·dv + 2) scratch values.
func parallelBlocked(hd *mlstmHead[float32], s int, ws *arena[float32]) {
	dk, dv := hd.q.width, hd.v.width
	defer ws.release(ws.mark()) // the next head reuses this scratch
	q, k := ws.take(s*dk), ws.take(s*dk)
	vt, vb := ws.take(dv*s), ws.take(dv*s) // Vᵀ (dv × s) and a block's prefix of it
	h := ws.take(s * dv)
	c := ws.take(s * s)
	cum, lws := ws.take(s), ws.take(s)
	for t := 0; t < s; t++ {
		copy(q[t*dk:(t+1)*dk], hd.q.row(t))
		copy(k[t*dk:(t+1)*dk], hd.k.row(t))
		for b, x := range hd.v.row(t) {
			vt[b*s+t] = x
		}
	}
	var acc float32
	for t := 0; t < s; t++ {
		acc += logsigmoid(hd.f.at(t))
		cum[t] = acc
	}
	scale := hd.qs * hd.ks
	for t0 := 0; t0 < s; t0 += causalBlock {
		t1 := min(t0+causalBlock, s) // rows t0..t1-1 see keys 0..t1-1
		cb := c[:(t1-t0)*t1]
		kernels.MatMul(cb, k[:t1*dk], q[t0*dk:t1*dk], t1, dk) // cb[t-t0][j] = q_t · k_j
		for t := t0; t < t1; t++ {
			row := cb[(t-t0)*t1 : (t-t0+1)*t1]
			w := row[:t+1]
			// The decay weights cum_t − cum_j + ĩ_j, their max as
			// stabiliser, then the stabilised weights times the scaled scores.
			lw := lws[:t+1]
			mt := float32(math.Inf(-1))
			for j := range lw {
				lw[j] = cum[t] - cum[j] + hd.i.at(j)
				mt = max(mt, lw[j])
			}
			for j := range lw {
				lw[j] -= mt
			}
			kernels.Exp(lw, lw)
			var sum float32
			for j := range w {
				w[j] *= scale * lw[j]
				sum += w[j]
			}
			den := float32(math.Max(math.Abs(float64(sum)), math.Exp(-float64(mt))) + hd.eps)
			for j := range w {
				w[j] /= den
			}
			clear(row[t+1:])
		}
		vbt := vb[:dv*t1]
		for b := 0; b < dv; b++ {
			copy(vbt[b*t1:(b+1)*t1], vt[b*s:b*s+t1])
		}
		kernels.MatMul(h[t0*dv:t1*dv], vbt, cb, dv, t1) // h[t][b] = Σ_j c[t][j] v_j[b]
	}
	for t := 0; t < s; t++ {
		copy(hd.h.row(t), h[t*dv:(t+1)*dv])
	}
}
