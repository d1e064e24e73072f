package train

import (
	"github.com/xlstm-go/xlstm/runtime/model"
)

// mlstmW is one mLSTM block's weights (or their gradients), by role.
type mlstmW[F model.Float] struct {
	norm, projUp, projUpB, convW, convB []F
	qW, kW, vW, qB, kB, vB              []F
	igW, igB, fgW, fgB, skip, outNorm   []F
	projDown, projDownB                 []F
}

// mlstmTape is one mLSTM block's forward record over n = nseq·s rows.
type mlstmTape[F model.Float] struct {
	xin, mean, rstd, xn []F // block input, its LN statistics and output
	up, xc, xa, gin     []F // proj_up output, conv output, silu(conv), [q|k|v]
	gates               []F // per row: ĩ (NH) then f̃ (NH)
	cells               []cellTape[F]
	ht, gmean, grstd    []F // cell output and its group-norm statistics
	hs                  []F // (gn(h̃) + skip·xa)·silu(z), proj_down's input
	sa, sz              []F // σ of xa's pre-activation and of z, so the backward needs no exp
}

// mlstmDims are the sizes of the original LM's mLSTM block.
type mlstmDims struct{ d, in, nh, dh, nph, k int }

func mlstmDimsOf(cfg *model.Config) mlstmDims {
	mc := cfg.LM.MLSTM
	dm := mlstmDims{cfg.EmbeddingDim, mc.Inner, mc.NumHeads, mc.HeadDim, 0, mc.ConvKernelSize}
	if mc.QKVProjBlockSize > 0 { // zero in configs without mLSTM blocks
		dm.nph = mc.Inner / mc.QKVProjBlockSize
	}
	return dm
}

// mlstmBlockForward runs the block on x (nseq sequences × s rows × D) in
// place, x += proj_down((cell + skip·xa)·silu(z)) (SPEC §3, §4), recording
// what the backward needs into tp (taken from tws, which lives until the
// backward) .
func mlstmBlockForward[F model.Float](ws, tws *scratch[F], w *mlstmW[F], dm mlstmDims, x []F, nseq, s int, tp *mlstmTape[F]) {
	defer ws.release(ws.mark())
	n := nseq * s
	d, in, nh, dh := dm.d, dm.in, dm.nh, dm.dh
	tp.xin = tws.takeDirty(n * d)
	copy(tp.xin, x)
	tp.mean, tp.rstd, tp.xn = tws.takeDirty(n), tws.takeDirty(n), tws.takeDirty(n*d)
	layerNormForward(tp.xn, x, w.norm, tp.mean, tp.rstd, n, d, 1e-5)
	tp.up = tws.takeDirty(n * 2 * in)
	linearForward(tp.up, tp.xn, w.projUp, w.projUpB, n, d, 2*in)
	tp.xa, tp.sa = tws.takeDirty(n*in), tws.takeDirty(n*in)
	if w.convW != nil {
		tp.xc = tws.takeDirty(n * in)
		convForward(tp.xc, tp.up, w.convW, w.convB, nseq, s, in, 2*in, dm.k)
		sigmoidTo(tp.sa, tp.xc)
		for i, v := range tp.xc {
			tp.xa[i] = v * tp.sa[i]
		}
	} else {
		for t := 0; t < n; t++ {
			for j, v := range tp.up[t*2*in : t*2*in+in] {
				tp.sa[t*in+j] = sigmoid(v)
				tp.xa[t*in+j] = v * tp.sa[t*in+j]
			}
		}
	}
	tp.gin = tws.takeDirty(n * 3 * in)
	headwiseForward(ws, tp.gin, 3*in, 0, tp.xa, in, 0, w.qW, w.qB, n, dm.nph, in)
	headwiseForward(ws, tp.gin, 3*in, in, tp.xa, in, 0, w.kW, w.kB, n, dm.nph, in)
	headwiseForward(ws, tp.gin, 3*in, 2*in, tp.up, 2*in, 0, w.vW, w.vB, n, dm.nph, in) // v from xm
	tp.gates = tws.takeDirty(n * 2 * nh)
	gw, gb := ws.takeDirty(2*nh*3*in), ws.takeDirty(2*nh)
	copy(gw, w.igW)
	copy(gw[nh*3*in:], w.fgW)
	copy(gb, w.igB)
	copy(gb[nh:], w.fgB)
	linearForward(tp.gates, tp.gin, gw, gb, n, 3*in, 2*nh)

	tp.ht = tws.takeDirty(n * in)
	if cap(tp.cells) < nseq*nh {
		tp.cells = make([]cellTape[F], nseq*nh)
	}
	tp.cells = tp.cells[:nseq*nh]
	q, k, v, h := ws.takeDirty(s*dh), ws.takeDirty(s*dh), ws.takeDirty(s*dh), ws.takeDirty(s*dh)
	ig, fg := ws.takeDirty(s), ws.takeDirty(s)
	for b := 0; b < nseq; b++ {
		for hh := 0; hh < nh; hh++ {
			r0 := b * s
			gatherCols(q, tp.gin[r0*3*in:], 3*in, hh*dh, s, dh)
			gatherCols(k, tp.gin[r0*3*in:], 3*in, in+hh*dh, s, dh)
			gatherCols(v, tp.gin[r0*3*in:], 3*in, 2*in+hh*dh, s, dh)
			gatherCols(ig, tp.gates[r0*2*nh:], 2*nh, hh, s, 1)
			gatherCols(fg, tp.gates[r0*2*nh:], 2*nh, nh+hh, s, 1)
			ct := newCellTape(tws, s)
			mlstmParallelForward(ws, &ct, q, k, v, ig, fg, h, s, dh)
			tp.cells[b*nh+hh] = ct
			scatterCols(tp.ht[r0*in:], in, hh*dh, h, s, dh, false)
		}
	}
	tp.gmean, tp.grstd = tws.takeDirty(n*nh), tws.takeDirty(n*nh)
	gn := ws.takeDirty(n * in)
	groupNormForward(gn, tp.ht, w.outNorm, tp.gmean, tp.grstd, n, nh, dh, 1e-5)
	tp.hs, tp.sz = tws.takeDirty(n*in), tws.takeDirty(n*in)
	for t := 0; t < n; t++ {
		a, z, g, o := tp.xa[t*in:(t+1)*in], tp.up[t*2*in+in:(t+1)*2*in], gn[t*in:(t+1)*in], tp.hs[t*in:(t+1)*in]
		sz := tp.sz[t*in : (t+1)*in]
		sigmoidTo(sz, z)
		for j := range o {
			o[j] = (g[j] + w.skip[j]*a[j]) * (z[j] * sz[j])
		}
	}
	y := ws.takeDirty(n * d)
	linearForward(y, tp.hs, w.projDown, w.projDownB, n, in, d)
	addTo(x[:n*d], y)
}

// mlstmBlockBackward takes dx (the gradient of the block's output, n × D)
// and adds the gradient of its input to it in place (the residual passes
// dx through), and the weight gradients into gw.
func mlstmBlockBackward[F model.Float](ws *scratch[F], w, gw *mlstmW[F], dm mlstmDims, dx []F, nseq, s int, tp *mlstmTape[F]) {
	defer ws.release(ws.mark())
	n := nseq * s
	d, in, nh, dh := dm.d, dm.in, dm.nh, dm.dh
	dhs := ws.take(n * in)
	linearBackward(ws, dhs, gw.projDown, gw.projDownB, dx, tp.hs, w.projDown, n, in, d)

	// Recompute the group-norm output; dhs → d(gn), dskip, dxa, dz.
	gn := ws.takeDirty(n * in)
	groupNormForward(gn, tp.ht, w.outNorm, ws.takeDirty(n*nh), ws.takeDirty(n*nh), n, nh, dh, 1e-5)
	dgn, dxa, dup := ws.takeDirty(n*in), ws.takeDirty(n*in), ws.takeDirty(n*2*in)
	for t := 0; t < n; t++ {
		a, z, g := tp.xa[t*in:(t+1)*in], tp.up[t*2*in+in:(t+1)*2*in], gn[t*in:(t+1)*in]
		dhr, dgr, dar, dzr := dhs[t*in:(t+1)*in], dgn[t*in:(t+1)*in], dxa[t*in:(t+1)*in], dup[t*2*in+in:(t+1)*2*in]
		clear(dup[t*2*in : t*2*in+in]) // the xm half accumulates below
		sz := tp.sz[t*in : (t+1)*in]
		for j := range dhr {
			pre := g[j] + w.skip[j]*a[j]
			dp := dhr[j] * (z[j] * sz[j])
			dzr[j] = dhr[j] * pre * (sz[j] * (1 + z[j]*(1-sz[j]))) // silu'(z)
			dgr[j] = dp
			gw.skip[j] += dp * a[j]
			dar[j] = dp * w.skip[j]
		}
	}
	dht := ws.take(n * in)
	groupNormBackward(dht, gw.outNorm, dgn, tp.ht, w.outNorm, tp.gmean, tp.grstd, n, nh, dh)

	// The cell, head by head.
	dgin, dgates := ws.take(n*3*in), ws.take(n*2*nh)
	q, k, v, h := ws.takeDirty(s*dh), ws.takeDirty(s*dh), ws.takeDirty(s*dh), ws.takeDirty(s*dh)
	ig, fg, dhh := ws.takeDirty(s), ws.takeDirty(s), ws.takeDirty(s*dh)
	dq, dk, dv, dig, dfg := ws.takeDirty(s*dh), ws.takeDirty(s*dh), ws.takeDirty(s*dh), ws.takeDirty(s), ws.takeDirty(s)
	for b := 0; b < nseq; b++ {
		for hh := 0; hh < nh; hh++ {
			r0 := b * s
			gatherCols(q, tp.gin[r0*3*in:], 3*in, hh*dh, s, dh)
			gatherCols(k, tp.gin[r0*3*in:], 3*in, in+hh*dh, s, dh)
			gatherCols(v, tp.gin[r0*3*in:], 3*in, 2*in+hh*dh, s, dh)
			gatherCols(ig, tp.gates[r0*2*nh:], 2*nh, hh, s, 1)
			gatherCols(fg, tp.gates[r0*2*nh:], 2*nh, nh+hh, s, 1)
			gatherCols(h, tp.ht[r0*in:], in, hh*dh, s, dh)
			gatherCols(dhh, dht[r0*in:], in, hh*dh, s, dh)
			clear(dq)
			clear(dk)
			clear(dv)
			clear(dig)
			clear(dfg)
			mlstmParallelBackward(ws, &tp.cells[b*nh+hh], q, k, v, ig, fg, h, dhh, dq, dk, dv, dig, dfg, s, dh)
			scatterCols(dgin[r0*3*in:], 3*in, hh*dh, dq, s, dh, true)
			scatterCols(dgin[r0*3*in:], 3*in, in+hh*dh, dk, s, dh, true)
			scatterCols(dgin[r0*3*in:], 3*in, 2*in+hh*dh, dv, s, dh, true)
			scatterCols(dgates[r0*2*nh:], 2*nh, hh, dig, s, 1, true)
			scatterCols(dgates[r0*2*nh:], 2*nh, nh+hh, dfg, s, 1, true)
		}
	}
	// Gates read [q|k|v].
	gwt, gbt := ws.take(2*nh*3*in), ws.take(2*nh)
	gwCat := ws.takeDirty(2 * nh * 3 * in)
	copy(gwCat, w.igW)
	copy(gwCat[nh*3*in:], w.fgW)
	linearBackward(ws, dgin, gwt, gbt, dgates, tp.gin, gwCat, n, 3*in, 2*nh)
	addTo(gw.igW, gwt[:nh*3*in])
	addTo(gw.fgW, gwt[nh*3*in:])
	addTo(gw.igB, gbt[:nh])
	addTo(gw.fgB, gbt[nh:])
	// q, k from xa; v from xm (the first half of up).
	headwiseBackward(ws, dxa, in, 0, dgin, 3*in, 0, tp.xa, in, 0, w.qW, gw.qW, gw.qB, n, dm.nph, in)
	headwiseBackward(ws, dxa, in, 0, dgin, 3*in, in, tp.xa, in, 0, w.kW, gw.kW, gw.kB, n, dm.nph, in)
	headwiseBackward(ws, dup, 2*in, 0, dgin, 3*in, 2*in, tp.up, 2*in, 0, w.vW, gw.vW, gw.vB, n, dm.nph, in)
	// xa = silu(conv(xm)) (or silu(xm) without conv).
	if w.convW != nil {
		dxc := dxa
		for i, v := range tp.xc {
			sg := tp.sa[i]
			dxc[i] *= sg * (1 + v*(1-sg))
		}
		convBackward(dup, gw.convW, gw.convB, dxc, tp.up, w.convW, nseq, s, in, 2*in, dm.k)
	} else {
		for t := 0; t < n; t++ {
			for j, v := range tp.up[t*2*in : t*2*in+in] {
				sg := tp.sa[t*in+j]
				dup[t*2*in+j] += dxa[t*in+j] * sg * (1 + v*(1-sg))
			}
		}
	}
	dxn := ws.take(n * d)
	linearBackward(ws, dxn, gw.projUp, gw.projUpB, dup, tp.xn, w.projUp, n, d, 2*in)
	layerNormBackward(dx, gw.norm, dxn, tp.xin, w.norm, tp.mean, tp.rstd, n, d)
}
