package model

import "math"

// mlstmBlock runs original-LM mLSTM block i on x (s × D) in place:
// x += proj_down((mLSTM(q,k,v) + skip·xa) · silu(z)) (SPEC §2, §3, §4).
func (m *Model[F]) mlstmBlock(i int, x []F, s int, st *blockState[F], ws *arena[F], f form) {
	w, mc := m.lm[i].m, m.cfg.LM.MLSTM
	d, in, nh, dh := m.cfg.EmbeddingDim, mc.Inner, mc.NumHeads, mc.HeadDim
	nph := in / mc.QKVProjBlockSize

	xn := ws.take(s * d)
	for t := 0; t < s; t++ {
		layerNorm(xn[t*d:(t+1)*d], x[t*d:(t+1)*d], w.norm, 1e-5, true)
	}
	m.emitBlock(i, "xlstm_norm", xn, s, d)
	up := ws.take(s * 2 * in)
	m.linearSeq(up, w.projUp, w.projUpQ, w.projUpB, xn, d, 2*in, ws)
	m.emitBlock(i, "proj_up", up, s, 2*in)

	// xm is the first half of up, z the second (SPEC §3).
	xa := ws.take(s * in)
	for t := 0; t < s; t++ {
		xm, out := up[t*2*in:t*2*in+in], xa[t*in:(t+1)*in]
		if w.convW != nil {
			convStep(out, xm, st.conv, w.convW, w.convB)
		} else {
			copy(out, xm)
		}
	}
	m.emitBlock(i, "conv1d", xa, s, in)
	siluAll(xa)
	// gin = cat(q, k, v) per position: the gates read all three (SPEC §4).
	gin := ws.take(s * 3 * in)
	for t := 0; t < s; t++ {
		g, a := gin[t*3*in:(t+1)*3*in], xa[t*in:(t+1)*in]
		headwise(g[:in], w.qW, w.qB, a, nph)
		headwise(g[in:2*in], w.kW, w.kB, a, nph)
		headwise(g[2*in:], w.vW, w.vB, up[t*2*in:t*2*in+in], nph) // v from xm, not the conv path
	}
	m.emitBlock(i, "qkv", gin, s, 3*in)
	gates := ws.take(s * 2 * nh) // per position: ĩ (NH) then f̃ (NH)
	for t := 0; t < s; t++ {
		g := gates[t*2*nh : (t+1)*2*nh]
		m.linear(g[:nh], w.igW, nil, w.igB, gin[t*3*in:(t+1)*3*in])
		m.linear(g[nh:], w.fgW, nil, w.fgB, gin[t*3*in:(t+1)*3*in])
	}
	m.emitBlock(i, "gates", gates, s, 2*nh)

	h := ws.take(s * in)
	scratch, rscratch := ws.take(2*max(s, lmChunkSize)), ws.take(2*dh)
	for hh := 0; hh < nh; hh++ {
		hd := mlstmHead[F]{
			q:   view[F]{gin, 3 * in, hh * dh, dh},
			k:   view[F]{gin, 3 * in, in + hh*dh, dh},
			v:   view[F]{gin, 3 * in, 2*in + hh*dh, dh},
			i:   view[F]{gates, 2 * nh, hh, 1},
			f:   view[F]{gates, 2 * nh, nh + hh, 1},
			h:   view[F]{h, in, hh * dh, dh},
			qs:  1,
			ks:  F(1 / math.Sqrt(float64(dh))),
			eps: 1e-6,
			c:   st.c[hh*dh*dh : (hh+1)*dh*dh],
			n:   st.n[hh*dh : (hh+1)*dh],
			m:   &st.m[hh],
		}
		switch f {
		case formParallel:
			if h32, ok := any(&hd).(*mlstmHead[float32]); ok && s > 1 {
				parallelBlocked(h32, s, any(ws).(*arena[float32]))
			} else {
				hd.parallel(s, scratch)
			}
		case formChunkwise:
			hd.chunkwise(s, lmChunkSize, scratch)
		default:
			hd.recurrent(s, rscratch)
		}
	}
	m.emitBlock(i, "h_tilde", h, s, in)

	y := ws.take(s * d)
	for t := 0; t < s; t++ {
		ht := h[t*in : (t+1)*in]
		groupNorm(ht, ht, w.outNorm, nh, 1e-5, true)
		a, z := xa[t*in:(t+1)*in], up[t*2*in+in:(t+1)*2*in]
		siluAll(z) // z is not read again
		for j := range ht {
			ht[j] = (ht[j] + w.skip[j]*a[j]) * z[j]
		}
	}
	m.linearSeq(y, w.projDown, w.projDownQ, w.projDownB, h, in, d, ws)
	m.emitBlock(i, "xlstm", y, s, d)
	for j := range y {
		x[j] += y[j]
	}
	m.emitBlock(i, "out", x, s, d)
}

// slstmBlock runs original-LM sLSTM block i on x (s × D) in place
// (SPEC §5): x += groupnorm(sLSTM(gates)); x += FFN(LN(x)).
func (m *Model[F]) slstmBlock(i int, x []F, s int, st *blockState[F], ws *arena[F]) {
	w, sc := m.lm[i].s, m.cfg.LM.SLSTM
	d, nh, dh := m.cfg.EmbeddingDim, sc.NumHeads, sc.HeadDim

	xn := ws.take(s * d)
	for t := 0; t < s; t++ {
		layerNorm(xn[t*d:(t+1)*d], x[t*d:(t+1)*d], w.norm, 1e-5, true)
	}
	m.emitBlock(i, "xlstm_norm", xn, s, d)
	wx := ws.take(s * 4 * d) // per position [i, f, z, o], gate-major
	xc := ws.take(d)
	for t := 0; t < s; t++ {
		xt := xn[t*d : (t+1)*d]
		if w.convW != nil {
			convStep(xc, xt, st.conv, w.convW, w.convB)
			siluAll(xc)
		} else {
			copy(xc, xt)
		}
		g := wx[t*4*d : (t+1)*4*d]
		headwise(g[:d], w.iW, nil, xc, nh) // i and f read the conv path,
		headwise(g[d:2*d], w.fW, nil, xc, nh)
		headwise(g[2*d:3*d], w.zW, nil, xt, nh) // z and o the normed input
		headwise(g[3*d:], w.oW, nil, xt, nh)
	}
	m.emitBlock(i, "slstm_cell.in", wx, s, 4*d)

	y := ws.take(s * d)
	raw, rh := ws.take(4*d), ws.take(4*dh)
	for t := 0; t < s; t++ {
		slstmStep(y[t*d:(t+1)*d], wx[t*4*d:(t+1)*4*d], raw, rh, w.r, w.bias, st, nh, dh)
	}
	m.emitBlock(i, "slstm_cell.out", y, s, d)
	for t := 0; t < s; t++ {
		yt := y[t*d : (t+1)*d]
		groupNorm(yt, yt, w.groupNorm, nh, 1e-5, true)
	}
	m.emitBlock(i, "xlstm", y, s, d)
	for j := range y {
		x[j] += y[j]
	}
	if w.ffnUp != nil || w.ffnUpQ != nil {
		m.gatedFFN(i, x, s, w, ws)
	}
	m.emitBlock(i, "out", x, s, d)
}

// slstmStep advances the sLSTM cell by one position (vanilla backend,
// SPEC §5.2). wx is [i, f, z, o] (4H, gate-major); r is (NH, 4DH, DH); rh
// is scratch of 4DH.
func slstmStep[F Float](y, wx, raw, rh, r, bias []F, st *blockState[F], nh, dh int) {
	hsz := nh * dh
	// raw = Wx + R·y_prev + b, block-diagonal per head: one product per
	// head gives its 4DH recurrent terms, gate-major within the head.
	for h := 0; h < nh; h++ {
		linear(rh, r[h*4*dh*dh:(h+1)*4*dh*dh], nil, st.sy[h*dh:(h+1)*dh])
		for g := 0; g < 4; g++ {
			for j := 0; j < dh; j++ {
				idx := g*hsz + h*dh + j
				raw[idx] = wx[idx] + rh[g*dh+j] + bias[idx]
			}
		}
	}
	// At the start (n all zero) m takes the input pre-activation alone.
	fresh := true
	for _, v := range st.sn {
		if v != 0 {
			fresh = false
			break
		}
	}
	if raw32, ok := any(raw[:4*hsz]).([]float32); ok {
		slstmCell32(any(y[:hsz]).([]float32), raw32, any(st).(*blockState[float32]), fresh)
		return
	}
	slstmCell(y[:hsz], raw[:4*hsz], st, fresh)
}

// slstmCell is the exact scalar form of slstmCell32 (each nonlinearity in
// float64, rounded once): stabiliser, gates, c, n, m and y from raw.
func slstmCell[F Float](y, raw []F, st *blockState[F], fresh bool) {
	hsz := len(y)
	for j := 0; j < hsz; j++ {
		iraw, fraw, zraw, oraw := raw[j], raw[hsz+j], raw[2*hsz+j], raw[3*hsz+j]
		logfm := st.sm[j] + logsigmoid(fraw)
		mNew := iraw
		if !fresh {
			mNew = max(iraw, logfm)
		}
		ig := min(exp(iraw-mNew), 1)
		fg := min(exp(logfm-mNew), 1)
		o := sigmoid(oraw)
		c := fg*st.sc[j] + ig*F(math.Tanh(float64(zraw)))
		n := fg*st.sn[j] + ig
		st.sc[j], st.sn[j], st.sm[j] = c, n, mNew
		y[j] = o * c / n
		st.sy[j] = y[j]
	}
}

// gatedFFN adds the sLSTM block's feed-forward to x in place:
// x += proj_down(act(gate) · up) on LN(x), with [gate | up] = proj_up (SPEC §5.4).
func (m *Model[F]) gatedFFN(i int, x []F, s int, w *lmSLSTM[F], ws *arena[F]) {
	d, p := m.cfg.EmbeddingDim, m.cfg.LM.FFN.Up
	xn, u, g, y := ws.take(s*d), ws.take(s*2*p), ws.take(s*p), ws.take(s*d)
	for t := 0; t < s; t++ {
		layerNorm(xn[t*d:(t+1)*d], x[t*d:(t+1)*d], w.ffnNorm, 1e-5, true)
	}
	m.linearSeq(u, w.ffnUp, w.ffnUpQ, w.ffnUpB, xn, d, 2*p, ws)
	if u32, ok := any(u).([]float32); ok && m.cfg.LM.FFN.ActFn == "gelu" {
		geluGate32(any(g).([]float32), u32, s, p)
	} else {
		for t := 0; t < s; t++ {
			ut, gt := u[t*2*p:(t+1)*2*p], g[t*p:(t+1)*p]
			for j := range gt {
				gt[j] = m.act(ut[j]) * ut[p+j]
			}
		}
	}
	m.linearSeq(y, w.ffnDn, w.ffnDnQ, w.ffnDnB, g, p, d, ws)
	for j := range y {
		x[j] += y[j]
	}
}
