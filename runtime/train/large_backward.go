package train

import (
	"github.com/xlstm-go/xlstm/runtime/model"
)

// allocBackward makes the backward's scratch for the current batch shape.
func (nt *lgNet[F]) allocBackward() {
	if nt.dx != nil {
		return
	}
	n, d, p, vd, ff, v := nt.n, nt.d, nt.p, nt.vd, nt.ff, nt.v
	nt.dx, nt.dx1, nt.dxn, nt.dy = make([]F, n*d), make([]F, n*d), make([]F, n*d), make([]F, n*d)
	nt.dz, nt.dup, nt.dzf = make([]F, n*p), make([]F, n*2*ff), make([]F, n*ff)
	nt.da, nt.dh = make([]F, n*vd), make([]F, n*vd)
	maxW := max(v*d, p*d, 2*ff*d, d*vd)
	nt.wT = make([]F, maxW)
	nt.xT = make([]F, max(d, vd, ff)*n)
	nt.dwCat = make([]F, max(p, 2*ff)*d)
	nt.bufs = make([][]F, nt.wk.n)
	for i := range nt.bufs {
		nt.bufs[i] = make([]F, lgGradBlock*n)
	}
}

// linearBack sets dw (out×in) = dyᵀx, db (if not nil) = Σ_t dy and dx
// (n×in) = dy·w for the linear layer y = x wᵀ (+ b). dx may be nil.
func (nt *lgNet[F]) linearBack(dx, dw, db, dy, x, w []F, in, out int) {
	lgMatTN(nt.wk, dw, dy, x, nt.xT, nt.bufs, nt.n, out, in)
	if db != nil {
		lgColSums(db, dy, nt.n, out)
	}
	if dx != nil {
		lgMatNN(nt.wk, dx, dy, w, nt.wT, nt.n, out, in)
	}
}

// splitRows copies the rows of a concatenated gradient back to the role
// tensors (nil roles are skipped).
func splitRows[F model.Float](src []F, parts [6][]F, sizes [6]int) {
	o := 0
	for i, pt := range parts {
		if pt != nil {
			copy(pt, src[o:o+sizes[i]])
		}
		o += sizes[i]
	}
}

// backward writes the gradient of the loss of the last forward (run with
// grad) into gw, which must alias no parameter.
func (nt *lgNet[F]) backward(w, gw *lgWeights[F], batch [][]int) {
	nt.allocBackward()
	n, d, p, vd, ff, nh := nt.n, nt.d, nt.p, nt.vd, nt.ff, nt.nh
	cfg := nt.cfg.Large
	dx := nt.dx

	// Head and out norm. A tied head's gradient is the embedding's, which
	// the token rows are added to at the end.
	if w.outNorm != nil {
		nt.linearBack(nt.dy, gw.head, nil, nt.logits, nt.xf, w.head, d, nt.v)
		clear(dx)
		lgRMSNormBack(dx, gw.outNorm, nt.dy, nt.rO, nt.xL, w.outNorm, n, d)
	} else {
		nt.linearBack(dx, gw.head, nil, nt.logits, nt.xf, w.head, d, nt.v)
	}

	wsz := [6]int{nt.qk * d, nt.qk * d, vd * d, vd * d, nh * d, nh * d}
	bsz := [6]int{nt.qk, nt.qk, vd, vd, nh, nh}
	for i := len(nt.blocks) - 1; i >= 0; i-- {
		bt, bw, gb := &nt.blocks[i], &w.blocks[i], &gw.blocks[i]

		// SwiGLU feed-forward: x_out = x1 + (silu(ug)·u) W_downᵀ.
		nt.linearBack(nt.dzf, gb.down, gb.downB, dx, bt.zf, bw.down, ff, d)
		for t := 0; t < n; t++ {
			ut, dut := bt.up[t*2*ff:(t+1)*2*ff], nt.dup[t*2*ff:(t+1)*2*ff]
			dzt := nt.dzf[t*ff : (t+1)*ff]
			for j, gz := range dzt {
				ug, u := ut[j], ut[ff+j]
				dut[ff+j] = gz * silu(ug)
				dut[j] = gz * u * siluGrad(ug)
			}
		}
		if gb.upGateB != nil {
			lgColSums(nt.dwCat[:2*ff], nt.dup, n, 2*ff)
			copy(gb.upGateB, nt.dwCat[:ff])
			copy(gb.upB, nt.dwCat[ff:2*ff])
		}
		nt.linearBack(nt.dxn, nt.dwCat[:2*ff*d], nil, nt.dup, bt.xn2, bt.wUp, d, 2*ff)
		copy(gb.upGate, nt.dwCat[:ff*d])
		copy(gb.up, nt.dwCat[ff*d:2*ff*d])
		copy(nt.dx1, dx)
		lgRMSNormBack(nt.dx1, gb.normF, nt.dxn, bt.rF, bt.x1, bw.normF, n, d)

		// mLSTM layer: x1 = x + (σ(o)·MHNorm(h̃)) W_outᵀ.
		nt.linearBack(nt.da, gb.outProj, gb.outProjB, nt.dx1, bt.a, bw.outProj, vd, d)
		oOff := 2*nt.qk + vd
		for t := 0; t < n; t++ {
			zt, dzt := bt.z[t*p:(t+1)*p], nt.dz[t*p:(t+1)*p]
			for j := 0; j < vd; j++ {
				r := t*vd + j
				so := sigmoid(zt[oOff+j])
				dzt[oOff+j] = nt.da[r] * bt.hn[r] * so * (1 - so)
				nt.da[r] *= so // now the gradient of hn
			}
		}
		lgHeadNormBack(nt.dh, gb.mhNorm, nt.da, bt.mean, bt.rstd, bt.h, bw.mhNorm, n, nh, nt.dv)
		nt.wk.run(nt.b*nh, 1, func(part, lo, hi int) {
			for j := lo; j < hi; j++ {
				bi, hh := j/nh, j%nh
				hd := nt.head(bt, bi, hh)
				dz := nt.dz[bi*nt.s*p:]
				gates := 2*nt.qk + 2*vd
				hd.backward(nt.s, &bt.heads[j],
					lgView[F]{nt.dh[bi*nt.s*vd:], vd, hh * nt.dv},
					lgView[F]{dz, p, hh * nt.dk},
					lgView[F]{dz, p, nt.qk + hh*nt.dk},
					lgView[F]{dz, p, 2*nt.qk + hh*nt.dv},
					lgView[F]{dz, p, gates + hh},
					lgView[F]{dz, p, gates + nh + hh},
					nt.cells[part])
			}
		})
		gates := 2*nt.qk + 2*vd
		for t := 0; t < n; t++ {
			for j := gates; j < p; j++ {
				nt.dz[t*p+j] *= lgSoftCapGrad(bt.z[t*p+j], cfg.GateSoftCap)
			}
		}
		rows, biases := gb.inRows()
		nt.linearBack(nt.dxn, nt.dwCat[:p*d], nil, nt.dz, bt.xn, bt.wCat, d, p)
		splitRows(nt.dwCat, rows, wsz)
		lgColSums(nt.dwCat[:p], nt.dz, n, p)
		splitRows(nt.dwCat, biases, bsz)
		copy(dx, nt.dx1)
		lgRMSNormBack(dx, gb.normM, nt.dxn, bt.rM, bt.x, bw.normM, n, d)
	}

	// Embedding rows (after the head, which wrote a tied embedding's
	// gradient first).
	if &gw.embed[0] != &gw.head[0] {
		clear(gw.embed)
	}
	for bi, seq := range batch {
		embeddingBackward(gw.embed, dx[bi*nt.s*d:], seq, d)
	}
}
