package model

import "math"

// largeBlock runs xLSTM Large block i on x (s × D) in place (SPEC §8):
//
//	x += out_proj(σ(o) · MultiHeadNorm(mLSTM(q, k, v, cap(ĩ), cap(f̃))))
//	x += down(silu(up_gate(xn2)) · up(xn2)),  xn2 = RMSNorm(x)
//
// The full-sequence form is the chunkwise one, as the official inference
// and train modes use (SPEC §8.2).
func (m *Model[F]) largeBlock(i int, x []F, s int, st *blockState[F], ws *arena[F], f form) {
	w, g := &m.large[i], m.cfg.Large
	d, qk, vd, nh := m.cfg.EmbeddingDim, g.QKDim, g.VDim, g.NumHeads
	dk, dv := g.DHQK, g.DHV

	xn := ws.take(s * d)
	for t := 0; t < s; t++ {
		rmsNorm(xn[t*d:(t+1)*d], x[t*d:(t+1)*d], w.normM, g.NormEps)
	}
	m.emitBlock(i, "norm_mlstm", xn, s, d)
	q, k := ws.take(s*qk), ws.take(s*qk)
	v, o := ws.take(s*vd), ws.take(s*vd)
	m.linearSeq(q, w.q, w.qQ, w.qB, xn, d, qk, ws)
	m.linearSeq(k, w.k, w.kQ, w.kB, xn, d, qk, ws)
	m.linearSeq(v, w.v, w.vQ, w.vB, xn, d, vd, ws)
	m.linearSeq(o, w.o, w.oQ, w.oB, xn, d, vd, ws)
	m.emitBlock(i, "q", q, s, qk)
	m.emitBlock(i, "k", k, s, qk)
	m.emitBlock(i, "v", v, s, vd)
	gates := ws.take(s * 2 * nh) // per position: ĩ (NH) then f̃ (NH)
	for t := 0; t < s; t++ {
		gt := gates[t*2*nh : (t+1)*2*nh]
		m.linear(gt[:nh], w.igW, nil, w.igB, xn[t*d:(t+1)*d])
		m.linear(gt[nh:], w.fgW, nil, w.fgB, xn[t*d:(t+1)*d])
	}
	m.emitBlock(i, "gates_preact", gates, s, 2*nh)
	softcapAll(gates, g.GateSoftCap)

	h := ws.take(s * vd)
	scratch, rscratch := ws.take(2*g.ChunkSize), ws.take(2*dk)
	for hh := 0; hh < nh; hh++ {
		hd := mlstmHead[F]{
			q:   view[F]{q, qk, hh * dk, dk},
			k:   view[F]{k, qk, hh * dk, dk},
			v:   view[F]{v, vd, hh * dv, dv},
			i:   view[F]{gates, 2 * nh, hh, 1},
			f:   view[F]{gates, 2 * nh, nh + hh, 1},
			h:   view[F]{h, vd, hh * dv, dv},
			qs:  F(1 / math.Sqrt(float64(dk))),
			ks:  1,
			eps: g.Eps,
			c:   st.c[hh*dk*dv : (hh+1)*dk*dv],
			n:   st.n[hh*dk : (hh+1)*dk],
			m:   &st.m[hh],
		}
		if f == formRecurrent {
			hd.recurrent(s, rscratch)
		} else {
			hd.chunkwise(s, g.ChunkSize, scratch)
		}
	}
	m.emitBlock(i, "h_tilde", h, s, vd)

	y := ws.take(s * d)
	sigmoidAll(o)
	for t := 0; t < s; t++ {
		ht := h[t*vd : (t+1)*vd]
		groupNorm(ht, ht, w.mhNorm, nh, g.NormEps, false)
		ot := o[t*vd : (t+1)*vd]
		for j := range ht {
			ht[j] *= ot[j]
		}
	}
	m.linearSeq(y, w.outProj, w.outProjQ, w.outProjB, h, vd, d, ws)
	m.emitBlock(i, "out_proj", y, s, d)
	for j := range y {
		x[j] += y[j]
	}

	// SwiGLU feed-forward.
	ff := g.FFNDim
	xn2, ug, u := ws.take(s*d), ws.take(s*ff), ws.take(s*ff)
	for t := 0; t < s; t++ {
		rmsNorm(xn2[t*d:(t+1)*d], x[t*d:(t+1)*d], w.normF, g.NormEps)
	}
	m.linearSeq(ug, w.upGate, w.upGateQ, w.upGateB, xn2, d, ff, ws)
	m.linearSeq(u, w.up, w.upQ, w.upB, xn2, d, ff, ws)
	siluAll(ug)
	for j := range u {
		u[j] *= ug[j]
	}
	m.linearSeq(y, w.down, w.downQ, w.downB, u, ff, d, ws)
	for j := range y {
		x[j] += y[j]
	}
	m.emitBlock(i, "ffn", y, s, d)
	m.emitBlock(i, "out", x, s, d)
}
