package train

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// cellTape is what one (sequence, head) of the mLSTM parallel form keeps
// for its backward (SPEC §4.1): the cumulative log forget gates, the row
// stabiliser m, the raw row sums and denominators, D = exp(logD − m) and
// the scaled scores S = q·k/√DH (both S × S, lower triangle used).
type cellTape[F model.Float] struct {
	cum, m, sum, den []F
	d, sc            []F
}

func newCellTape[F model.Float](ws *scratch[F], s int) cellTape[F] {
	return cellTape[F]{
		cum: ws.takeDirty(s), m: ws.takeDirty(s), sum: ws.takeDirty(s), den: ws.takeDirty(s),
		d: ws.takeDirty(s * s), sc: ws.takeDirty(s * s),
	}
}

// cellBlock is the row block of the cell's products: row block [t0, t1)
// only needs columns j < t1 (causal), which saves nearly half the work.
const cellBlock = 64

// mlstmParallelForward is parallel_stabilized_simple for one head: q, k, v
// (s × dh, contiguous), gate pre-activations ig, fg (s) → h (s × dh):
//
//	logD_tj = L_t − L_j + ĩ_j (j ≤ t), m_t = max_j logD_tj, D = exp(logD − m)
//	C = (q·k/√dh)·D, den_t = max(|Σ_j C_tj|, e^{−m_t}) + 1e-6, h_t = Σ_j C_tj v_j / den_t
//
// Entries j > t of the tape's matrices are left undefined.
func mlstmParallelForward[F model.Float](ws *scratch[F], tp *cellTape[F], q, k, v, ig, fg, h []F, s, dh int) {
	defer ws.release(ws.mark())
	ks := F(1 / math.Sqrt(float64(dh)))
	var acc F
	for t := 0; t < s; t++ {
		acc += logsigmoid(fg[t])
		tp.cum[t] = acc
	}
	kT := ws.takeDirty(dh * s)
	transpose(kT, k, s, dh)
	p := ws.takeDirty(s * s)
	// logD_tj = L_t + (ĩ_j − L_j): m_t is L_t plus a running maximum.
	lg, best := ws.takeDirty(s), F(math.Inf(-1))
	for j := 0; j < s; j++ {
		lg[j] = ig[j] - tp.cum[j]
	}
	for t0 := 0; t0 < s; t0 += cellBlock {
		t1 := min(t0+cellBlock, s)
		mm(ws, t1-t0, t1, dh, q[t0*dh:], dh, 1, kT, s, tp.sc[t0*s:], s, false) // sc[t,j] = q_t·k_j
		for t := t0; t < t1; t++ {
			ct := tp.cum[t]
			best = max(best, lg[t])
			mt := ct + best
			dr, sr, pr := tp.d[t*s:(t+1)*s], tp.sc[t*s:(t+1)*s], p[t*s:(t+1)*s]
			var sum F
			for j := 0; j <= t; j++ {
				dr[j] = expF(ct + lg[j] - mt)
				sr[j] *= ks
				pr[j] = sr[j] * dr[j]
				sum += pr[j]
			}
			den := F(math.Max(math.Abs(float64(sum)), math.Exp(-float64(mt))) + 1e-6)
			for j := 0; j <= t; j++ {
				pr[j] /= den
			}
			clear(pr[t+1 : t1])
			tp.m[t], tp.sum[t], tp.den[t] = mt, sum, den
		}
		mm(ws, t1-t0, dh, t1, p[t0*s:], s, 1, v, dh, h[t0*dh:], dh, false)
	}
}

// mlstmParallelBackward adds the gradients of mlstmParallelForward given
// dh: into dq, dk, dv (s × dh) and dig, dfg (s). h is the forward output.
func mlstmParallelBackward[F model.Float](ws *scratch[F], tp *cellTape[F], q, k, v, ig, fg, h, dh_, dq, dk, dv, dig, dfg []F, s, dh int) {
	defer ws.release(ws.mark())
	ks := F(1 / math.Sqrt(float64(dh)))
	vT := ws.takeDirty(dh * s)
	transpose(vT, v, s, dh)
	g, p, dsc := ws.takeDirty(s*s), ws.takeDirty(s*s), ws.takeDirty(s*s)
	dL, col := ws.take(s), ws.take(s)
	// The arg-max of logD_t· is the first maximum of ĩ_j − L_j over j ≤ t.
	lg, am := ws.takeDirty(s), 0
	for j := 0; j < s; j++ {
		lg[j] = ig[j] - tp.cum[j]
	}
	for t0 := 0; t0 < s; t0 += cellBlock {
		t1 := min(t0+cellBlock, s)
		mm(ws, t1-t0, t1, dh, dh_[t0*dh:], dh, 1, vT, s, g[t0*s:], s, false) // g[t,j] = dh_t·v_j
		for t := t0; t < t1; t++ {
			den, mt, sum := tp.den[t], tp.m[t], tp.sum[t]
			dr, sr, gr := tp.d[t*s:(t+1)*s], tp.sc[t*s:(t+1)*s], g[t*s:(t+1)*s]
			pr, dsr := p[t*s:(t+1)*s], dsc[t*s:(t+1)*s]
			// d den = −Σ_j g_tj·C_tj/den² = −(dh_t·h_t)/den.
			var hd float64
			for j, x := range h[t*dh : (t+1)*dh] {
				hd += float64(x) * float64(dh_[t*dh+j])
			}
			dden := -hd / float64(den)
			// den = maximum(|sum|, e^{−m}) + eps: torch splits ties evenly.
			a, b := math.Abs(float64(sum)), math.Exp(-float64(mt))
			wa, wb := 0.0, 0.0
			switch {
			case a > b:
				wa = 1
			case a < b:
				wb = 1
			default:
				wa, wb = 0.5, 0.5
			}
			sign := 0.0
			if sum > 0 {
				sign = 1
			} else if sum < 0 {
				sign = -1
			}
			dsum := F(dden * wa * sign)
			dm := -b * dden * wb
			// Row t: dC = g/den + dsum; dS = dC·D; dlogD = dC·S·D.
			var rowLog float64
			if lg[t] > lg[am] {
				am = t
			}
			for j := 0; j <= t; j++ {
				dc := gr[j]/den + dsum
				dsr[j] = dc * dr[j] * ks
				pr[j] = sr[j] * dr[j] / den
				dl := dc * sr[j] * dr[j]
				gr[j] = dl // gr now holds dlogD
				rowLog += float64(dl)
			}
			// D = exp(logD − m): dm −= Σ_j dlogD; m = max_j logD routes dm to
			// the arg-max.
			dm -= rowLog
			gr[am] += F(dm)
			rowLog += dm
			dL[t] += F(rowLog)
			clear(dsr[t+1 : t1])
			clear(pr[t+1 : t1])
		}
		mm(ws, t1-t0, dh, t1, dsc[t0*s:], s, 1, k, dh, dq[t0*dh:], dh, true) // dq = dS·k
	}
	// dk = dSᵀ·q and dv = Pᵀ·dh, by column blocks: column j needs rows t ≥ j.
	for j0 := 0; j0 < s; j0 += cellBlock {
		j1 := min(j0+cellBlock, s)
		mm(ws, j1-j0, dh, s-j0, dsc[j0*s+j0:], 1, s, q[j0*dh:], dh, dk[j0*dh:], dh, true)
		mm(ws, j1-j0, dh, s-j0, p[j0*s+j0:], 1, s, dh_[j0*dh:], dh, dv[j0*dh:], dh, true)
	}
	// Column sums: dĩ_j += Σ_t dlogD_tj; dL_j −= the same.
	for t := 0; t < s; t++ {
		for j, x := range g[t*s : t*s+t+1] {
			col[j] += x
		}
	}
	for j := 0; j < s; j++ {
		dig[j] += col[j]
		dL[j] -= col[j]
	}
	// L_t = Σ_{u≤t} logσ(f̃_u): dlogσ(f̃_u) = Σ_{t≥u} dL_t; logσ' = σ(−x).
	var racc F
	for u := s - 1; u >= 0; u-- {
		racc += dL[u]
		dfg[u] += racc * sigmoid(-fg[u])
	}
}
