package train

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// The mLSTM cell of xLSTM Large in the chunkwise form the official training
// mode differentiates (mlstm_kernels chunkwise--native_autograd, SPEC §8.1),
// with its backward written out. Autograd differentiates that graph through
// the stabiliser too (the max states are not detached, and they change the
// result through the exp(−m) branch and the eps of the denominator), so the
// backward below routes gradients through every max: to the larger input,
// half to each on a tie, as torch.maximum does.
//
// Per chunk of length L starting from the state (C, n, m) with b the
// cumulative logσ(f̃) within the chunk and s = DQK^-½:
//
//	m_t   = max(b_t + m, max_{j≤t}(b_t − b_j + ĩ_j))
//	D_tj  = exp(b_t − b_j + ĩ_j − m_t),  β_t = exp(b_t + m − m_t)
//	num_t = s β_t q_tᵀC + Σ_j D_tj s(q_t·k_j) v_j
//	dl_t  = s β_t q_t·n + Σ_j D_tj s(q_t·k_j)
//	h_t   = num_t / (max(|dl_t|, exp(−m_t)) + eps)
//
// and the state moves to the chunk end with a_j = b_L − b_j + ĩ_j:
//
//	m' = max(b_L + m, max_j a_j),  C' = e^{b_L+m−m'} C + Σ_j e^{a_j−m'} k_j v_jᵀ,  n' likewise with k_j.

// lgView is a strided window on a row-major matrix: row t starts at
// data[t*stride+off].
type lgView[F model.Float] struct {
	data        []F
	stride, off int
}

func (v lgView[F]) row(t, width int) []F {
	i := t*v.stride + v.off
	return v.data[i : i+width]
}

func (v lgView[F]) at(t int) *F { return &v.data[t*v.stride+v.off] }

func (v lgView[F]) val(t int) F { return v.data[t*v.stride+v.off] }

// lgHeadTape is what one head's forward keeps for its backward: the state
// entering each chunk and, per position, the stabiliser and denominator.
type lgHeadTape[F model.Float] struct {
	c, n, m     []F // per chunk: C (DQK×DV), n (DQK); m has one more (the final state)
	mt, dl, den []F // per position: m_t, dl_t, max(|dl_t|, exp(−m_t))
}

// lgHead is one (sequence, head) pair's inputs, output and sizes.
type lgHead[F model.Float] struct {
	q, k, v, i, f, h lgView[F]
	dk, dv, chunk    int
	qs               F // DQK^-½
	eps              float64
}

// lgCellScratch is one goroutine's working memory for the cell.
type lgCellScratch[F model.Float] struct {
	c, dc             []F // DQK×DV
	n, dn, dcv, qbar  []F // DQK
	dqbar             []F // DQK
	dnum, dck         []F // DV
	cum, db, di, dlog []F // chunk
}

func newLGCellScratch[F model.Float](dk, dv, chunk int) *lgCellScratch[F] {
	return &lgCellScratch[F]{
		c: make([]F, dk*dv), dc: make([]F, dk*dv),
		n: make([]F, dk), dn: make([]F, dk), dcv: make([]F, dk), qbar: make([]F, dk), dqbar: make([]F, dk),
		dnum: make([]F, dv), dck: make([]F, dv),
		cum: make([]F, chunk), db: make([]F, chunk), di: make([]F, chunk), dlog: make([]F, chunk),
	}
}

// cumLogSig fills cum[:l] with the running sum of logσ(f̃) from start.
func (hd *lgHead[F]) cumLogSig(cum []F, start, l int) {
	var acc F
	for t := 0; t < l; t++ {
		acc += logsigmoid(hd.f.val(start + t))
		cum[t] = acc
	}
}

// forward runs the cell over s positions from the zero state, writing h
// and the tape.
func (hd *lgHead[F]) forward(s int, tp *lgHeadTape[F], sc *lgCellScratch[F]) {
	dk, dv, L := hd.dk, hd.dv, hd.chunk
	c, n := sc.c, sc.n
	clear(c)
	clear(n)
	var m F
	for k, start := 0, 0; start < s; k, start = k+1, start+L {
		l := min(L, s-start)
		copy(tp.c[k*dk*dv:(k+1)*dk*dv], c)
		copy(tp.n[k*dk:(k+1)*dk], n)
		tp.m[k] = m
		cum := sc.cum[:l]
		hd.cumLogSig(cum, start, l)
		for t := 0; t < l; t++ {
			mt := cum[t] + m
			for j := 0; j <= t; j++ {
				mt = max(mt, cum[t]-cum[j]+hd.i.val(start+j))
			}
			beta := expF(cum[t] + m - mt)
			q, h := hd.q.row(start+t, dk), hd.h.row(start+t, dv)
			clear(h)
			var dl F
			for a := 0; a < dk; a++ {
				qa := q[a] * beta * hd.qs
				dl += qa * n[a]
				lgAxpy(qa, c[a*dv:(a+1)*dv], h)
			}
			for j := 0; j <= t; j++ {
				w := expF(cum[t]-cum[j]+hd.i.val(start+j)-mt) * (lgDot(q, hd.k.row(start+j, dk)) * hd.qs)
				dl += w
				lgAxpy(w, hd.v.row(start+j, dv), h)
			}
			den := F(math.Max(math.Abs(float64(dl)), math.Exp(-float64(mt))))
			inv := 1 / (den + F(hd.eps))
			for b := range h {
				h[b] *= inv
			}
			tp.mt[start+t], tp.dl[start+t], tp.den[start+t] = mt, dl, den
		}
		last := cum[l-1]
		mk := last + m
		for j := 0; j < l; j++ {
			mk = max(mk, last-cum[j]+hd.i.val(start+j))
		}
		g := expF(last + m - mk)
		for a := range n {
			n[a] *= g
		}
		for a := range c {
			c[a] *= g
		}
		for j := 0; j < l; j++ {
			ab := expF(last - cum[j] + hd.i.val(start+j) - mk)
			kj, vj := hd.k.row(start+j, dk), hd.v.row(start+j, dv)
			for a := 0; a < dk; a++ {
				ka := ab * kj[a]
				n[a] += ka
				lgAxpy(ka, vj, c[a*dv:(a+1)*dv])
			}
		}
		m = mk
	}
	tp.m[(s+L-1)/L] = m
}

// lgRoute splits the gradient g of max(x, y) as torch.maximum does: all to
// the larger input, half to each on a tie.
func lgRoute[F model.Float](g, x, y F) (gx, gy F) {
	switch {
	case x > y:
		return g, 0
	case x < y:
		return 0, g
	}
	return g / 2, g / 2
}

// backward takes dh (the loss gradient of h) and writes the gradients of
// q, k, v and of the (capped) gate pre-activations ĩ, f̃ into the views dq,
// dk, dv, di, df (overwritten). The final state's gradient is zero (the
// loss does not use it).
func (hd *lgHead[F]) backward(s int, tp *lgHeadTape[F], dh, dq, dkv, dvv, di, df lgView[F], sc *lgCellScratch[F]) {
	dk, dv, L := hd.dk, hd.dv, hd.chunk
	for t := 0; t < s; t++ {
		clear(dq.row(t, dk))
		clear(dkv.row(t, dk))
		clear(dvv.row(t, dv))
	}
	dc, dn := sc.dc, sc.dn
	clear(dc)
	clear(dn)
	var dmk F // gradient of the state m leaving the current chunk
	nc := (s + L - 1) / L
	for k := nc - 1; k >= 0; k-- {
		start := k * L
		l := min(L, s-start)
		cp, np := tp.c[k*dk*dv:(k+1)*dk*dv], tp.n[k*dk:(k+1)*dk]
		mp, mk := tp.m[k], tp.m[k+1]
		cum, db, dil, dlog := sc.cum[:l], sc.db[:l], sc.di[:l], sc.dlog[:l]
		hd.cumLogSig(cum, start, l)
		clear(db)
		clear(dil)
		var dmp F // gradient of the state m entering the chunk

		// The move of the state to the chunk end.
		last := cum[l-1]
		g := expF(last + mp - mk)
		dg := lgDot(dc, cp) + lgDot(dn, np) // d/d(gbar)
		amax, ja := F(math.Inf(-1)), 0
		dmkTot := dmk
		for j := 0; j < l; j++ {
			aj := last - cum[j] + hd.i.val(start+j)
			if aj > amax {
				amax, ja = aj, j
			}
			ab := expF(aj - mk)
			kj, vj := hd.k.row(start+j, dk), hd.v.row(start+j, dv)
			dcv := sc.dcv
			for a := 0; a < dk; a++ {
				dcv[a] = lgDot(dc[a*dv:(a+1)*dv], vj)
			}
			dab := lgDot(kj, dcv) + lgDot(dn, kj)
			dkj, dvj := dkv.row(start+j, dk), dvv.row(start+j, dv)
			lgAxpy(ab, dcv, dkj)
			lgAxpy(ab, dn, dkj)
			for a := 0; a < dk; a++ {
				lgAxpy(ab*kj[a], dc[a*dv:(a+1)*dv], dvj)
			}
			da := dab * ab
			dlog[j] = da
			dmkTot -= da
		}
		dlg := dg * g
		dbL := dlg // gradient of b_L
		dmp += dlg
		dmkTot -= dlg
		gx, gy := lgRoute(dmkTot, last+mp, amax)
		dbL += gx
		dmp += gx
		dlog[ja] += gy
		for j := 0; j < l; j++ {
			dbL += dlog[j]
			db[j] -= dlog[j]
			dil[j] += dlog[j]
		}
		db[l-1] += dbL
		for a := range dc {
			dc[a] *= g
		}
		for a := range dn {
			dn[a] *= g
		}

		// The outputs within the chunk; dc, dn collect the gradient of the
		// entering state.
		for t := 0; t < l; t++ {
			pos := start + t
			mt, dl, den := tp.mt[pos], tp.dl[pos], tp.den[pos]
			q, h, dht := hd.q.row(pos, dk), hd.h.row(pos, dv), dh.row(pos, dv)
			minter := cum[t] + mp
			mintra, jt := F(math.Inf(-1)), 0
			for j := 0; j <= t; j++ {
				if x := cum[t] - cum[j] + hd.i.val(start+j); x > mintra {
					mintra, jt = x, j
				}
			}
			beta := expF(minter - mt)
			inv := 1 / (den + F(hd.eps))
			dnum := sc.dnum
			for b := range dnum {
				dnum[b] = dht[b] * inv
			}
			dden := -lgDot(dht, h) * inv
			e := expF(-mt)
			sign := F(0)
			if dl > 0 {
				sign = 1
			} else if dl < 0 {
				sign = -1
			}
			gAbs, gE := lgRoute(dden, F(math.Abs(float64(dl))), e)
			ddl := gAbs * sign
			dmt := -gE * e
			qbar, dqbar := sc.qbar, sc.dqbar
			for a := 0; a < dk; a++ {
				qbar[a] = q[a] * beta * hd.qs
				dqbar[a] = lgDot(cp[a*dv:(a+1)*dv], dnum) + ddl*np[a]
				lgAxpy(qbar[a], dnum, dc[a*dv:(a+1)*dv])
				dn[a] += ddl * qbar[a]
			}
			dbeta := hd.qs * lgDot(q, dqbar)
			dqt := dq.row(pos, dk)
			lgAxpy(beta*hd.qs, dqbar, dqt)
			dminter := dbeta * beta
			dmt -= dbeta * beta
			for j := 0; j <= t; j++ {
				kj, vj := hd.k.row(start+j, dk), hd.v.row(start+j, dv)
				dd := expF(cum[t] - cum[j] + hd.i.val(start+j) - mt)
				sqk := lgDot(q, kj) * hd.qs
				dm := lgDot(dnum, vj) + ddl
				lgAxpy(sqk*dd, dnum, dvv.row(start+j, dv))
				ds := dm * dd
				lgAxpy(hd.qs*ds, kj, dqt)
				lgAxpy(hd.qs*ds, q, dkv.row(start+j, dk))
				dlog[j] = dm * sqk * dd
				dmt -= dlog[j]
			}
			gx, gy := lgRoute(dmt, minter, mintra)
			dminter += gx
			dlog[jt] += gy
			for j := 0; j <= t; j++ {
				db[t] += dlog[j]
				db[j] -= dlog[j]
				dil[j] += dlog[j]
			}
			db[t] += dminter
			dmp += dminter
		}
		var acc F
		for j := l - 1; j >= 0; j-- {
			acc += db[j]
			*df.at(start + j) = acc * sigmoid(-hd.f.val(start+j))
			*di.at(start + j) = dil[j]
		}
		dmk = dmp
	}
}
