package model

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/kernels"
)

// parallelBlocked is parallel for float32 with the pairwise work done as
// two blocked matrix products, like attention: S = Q Kᵀ, then the decay
// weights per row (vectorised exp), then H = C V. It computes every pair
// (t, j), masked ones included, which the blocked kernels still do far
// faster than one dot and one axpy per causal pair. ws supplies
// s·(s + 2·dk + 2·dv + 2) scratch values.
func parallelBlocked(hd *mlstmHead[float32], s int, ws *arena[float32]) {
	dk, dv := hd.q.width, hd.v.width
	defer ws.release(ws.mark()) // the next head reuses this scratch
	q, k := ws.take(s*dk), ws.take(s*dk)
	vt, h := ws.take(dv*s), ws.take(s*dv) // vt is Vᵀ (dv × s)
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
	kernels.MatMul(c, k, q, s, dk) // c[t][j] = q_t · k_j
	scale := hd.qs * hd.ks
	for t := 0; t < s; t++ {
		row := c[t*s : (t+1)*s]
		w := row[:t+1]
		// The decay weights cum_t − cum_j + ĩ_j, their max as stabiliser,
		// then the stabilised weights times the scaled scores.
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
	kernels.MatMul(h, vt, c, dv, s) // h[t][b] = Σ_j c[t][j] v_j[b]
	for t := 0; t < s; t++ {
		copy(hd.h.row(t), h[t*dv:(t+1)*dv])
	}
}
