package train

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// lgNet computes the xLSTM Large training loss (SPEC §8; the chunkwise
// train-mode forward, see large_mlstm.go) and its gradient, generic over
// float32 (the Trainer) and float64 (the 1e-9 checks). Position-wise layers
// run on all B×S rows of a batch at once; the cell runs per (sequence,
// head). Buffers are kept between calls and grown when the batch grows.
type lgNet[F model.Float] struct {
	cfg                                   *model.Config
	wk                                    lgWorkers
	d, qk, vd, nh, dk, dv, ff, p, v, chnk int

	b, s, n int // batch shape of the current buffers (n = b·s)
	blocks  []lgBlockTape[F]
	xL, rO  []F // the last block's output (N×D) and the out norm's r
	xf      []F // head input (N×D)
	logits  []F // N×V; holds the gradient of the un-capped logits after the loss
	rowLoss []float64
	targets []int // next token per row, −1 for the last position
	ceBufs  [][]F // per goroutine: one row of the capped logits' gradient

	// Backward scratch.
	dx, dx1, dxn, dy []F
	dz, dup, dzf     []F
	da, dh           []F
	wT, xT, dwCat    []F
	bufs             [][]F
	cells            []*lgCellScratch[F]
}

// lgBlockTape is what one block's forward keeps for the backward.
type lgBlockTape[F model.Float] struct {
	x, xn, rM   []F // block input, its RMSNorm and r
	wCat, bCat  []F // input projections by rows (q, k, v, o, ĩ, f̃) and their biases
	z           []F // N×P projections; the gate columns hold the capped values
	h, hn, a    []F // cell output h̃, its head norm, σ(o)·hn (N×V)
	mean, rstd  []F // head-norm statistics (N×NH)
	x1, xn2, rF []F
	wUp, bUp    []F // [up_gate; up] (2F×D) and biases
	up, zf      []F // N×2F, N×F
	heads       []lgHeadTape[F]
}

func newLGNet[F model.Float](cfg *model.Config, threads int) *lgNet[F] {
	g := cfg.Large
	nt := &lgNet[F]{cfg: cfg, wk: lgWorkers{n: max(threads, 1)},
		d: cfg.EmbeddingDim, qk: g.QKDim, vd: g.VDim, nh: g.NumHeads, dk: g.DHQK, dv: g.DHV,
		ff: g.FFNDim, v: cfg.VocabSize, chnk: g.ChunkSize}
	nt.p = 2*nt.qk + 2*nt.vd + 2*nt.nh
	nt.blocks = make([]lgBlockTape[F], cfg.NumBlocks)
	for i := range nt.blocks {
		bt := &nt.blocks[i]
		bt.wCat, bt.bCat = make([]F, nt.p*nt.d), make([]F, nt.p)
		bt.wUp, bt.bUp = make([]F, 2*nt.ff*nt.d), make([]F, 2*nt.ff)
	}
	nt.ceBufs = make([][]F, nt.wk.n)
	for i := range nt.ceBufs {
		nt.ceBufs[i] = make([]F, nt.v)
	}
	nt.cells = make([]*lgCellScratch[F], nt.wk.n)
	for i := range nt.cells {
		nt.cells[i] = newLGCellScratch[F](nt.dk, nt.dv, nt.chnk)
	}
	return nt
}

// resize makes the buffers fit a batch of b sequences of length s.
func (nt *lgNet[F]) resize(b, s int) {
	if nt.b == b && nt.s == s {
		return
	}
	nt.b, nt.s, nt.n = b, s, b*s
	n, d, p, vd, nh, ff := nt.n, nt.d, nt.p, nt.vd, nt.nh, nt.ff
	nc := (s + nt.chnk - 1) / nt.chnk
	for i := range nt.blocks {
		bt := &nt.blocks[i]
		bt.x, bt.xn, bt.rM = make([]F, n*d), make([]F, n*d), make([]F, n)
		bt.z = make([]F, n*p)
		bt.h, bt.hn, bt.a = make([]F, n*vd), make([]F, n*vd), make([]F, n*vd)
		bt.mean, bt.rstd = make([]F, n*nh), make([]F, n*nh)
		bt.x1, bt.xn2, bt.rF = make([]F, n*d), make([]F, n*d), make([]F, n)
		bt.up, bt.zf = make([]F, n*2*ff), make([]F, n*ff)
		bt.heads = make([]lgHeadTape[F], b*nh)
		for j := range bt.heads {
			bt.heads[j] = lgHeadTape[F]{
				c: make([]F, nc*nt.dk*nt.dv), n: make([]F, nc*nt.dk), m: make([]F, nc+1),
				mt: make([]F, s), dl: make([]F, s), den: make([]F, s),
			}
		}
	}
	nt.xL, nt.rO, nt.xf = make([]F, n*d), make([]F, n), make([]F, n*d)
	nt.logits = make([]F, n*nt.v)
	nt.rowLoss, nt.targets = make([]float64, n), make([]int, n)
	// The backward's buffers are made on first use (eval needs none).
	nt.dx = nil
}

// head returns the cell inputs of sequence bi, head hh in block tape bt.
func (nt *lgNet[F]) head(bt *lgBlockTape[F], bi, hh int) lgHead[F] {
	p, off := nt.p, bi*nt.s*nt.p
	z := bt.z[off:]
	gates := 2*nt.qk + 2*nt.vd
	return lgHead[F]{
		q:     lgView[F]{z, p, hh * nt.dk},
		k:     lgView[F]{z, p, nt.qk + hh*nt.dk},
		v:     lgView[F]{z, p, 2*nt.qk + hh*nt.dv},
		i:     lgView[F]{z, p, gates + hh},
		f:     lgView[F]{z, p, gates + nt.nh + hh},
		h:     lgView[F]{bt.h[bi*nt.s*nt.vd:], nt.vd, hh * nt.dv},
		dk:    nt.dk,
		dv:    nt.dv,
		chunk: nt.chnk,
		qs:    F(1 / math.Sqrt(float64(nt.dk))),
		eps:   nt.cfg.Large.Eps,
	}
}

// concatRows copies parts (row blocks of width d) one after the other into
// dst; a nil part (an absent bias) is written as zeros of length sizes[i].
func concatRows[F model.Float](dst []F, parts [6][]F, sizes [6]int) {
	o := 0
	for i, pt := range parts {
		if pt == nil {
			clear(dst[o : o+sizes[i]])
		} else {
			copy(dst[o:o+sizes[i]], pt)
		}
		o += sizes[i]
	}
}

// forward runs the model on batch (already checked) and returns the mean
// next-token cross-entropy; with grad it leaves in nt.logits the loss
// gradient of the un-capped logits.
func (nt *lgNet[F]) forward(w *lgWeights[F], batch [][]int, grad bool) float64 {
	nt.resize(len(batch), len(batch[0]))
	n, d, p, vd, ff := nt.n, nt.d, nt.p, nt.vd, nt.ff
	g := nt.cfg.Large
	for bi, seq := range batch {
		embeddingForward(nt.blocks[0].x[bi*nt.s*d:], w.embed, seq, d)
	}
	wsz := [6]int{nt.qk * d, nt.qk * d, vd * d, vd * d, nt.nh * d, nt.nh * d}
	bsz := [6]int{nt.qk, nt.qk, vd, vd, nt.nh, nt.nh}
	for i := range nt.blocks {
		bt, bw := &nt.blocks[i], &w.blocks[i]
		lgRMSNorm(bt.xn, bt.rM, bt.x, bw.normM, n, d, g.NormEps)
		rows, biases := bw.inRows()
		concatRows(bt.wCat, rows, wsz)
		concatRows(bt.bCat, biases, bsz)
		lgMatNT(nt.wk, bt.z, bt.xn, bt.wCat, n, d, p)
		gates := 2*nt.qk + 2*vd
		for t := 0; t < n; t++ {
			zt := bt.z[t*p : (t+1)*p]
			for j := range zt {
				zt[j] += bt.bCat[j]
			}
			for j := gates; j < p; j++ {
				zt[j] = lgSoftCap(zt[j], g.GateSoftCap)
			}
		}
		nt.wk.run(nt.b*nt.nh, 1, func(part, lo, hi int) {
			for j := lo; j < hi; j++ {
				hd := nt.head(bt, j/nt.nh, j%nt.nh)
				hd.forward(nt.s, &bt.heads[j], nt.cells[part])
			}
		})
		lgHeadNorm(bt.hn, bt.mean, bt.rstd, bt.h, bw.mhNorm, n, nt.nh, nt.dv, g.NormEps)
		for t := 0; t < n; t++ {
			o := bt.z[t*p+2*nt.qk+vd : t*p+2*nt.qk+2*vd]
			for j, ov := range o {
				bt.a[t*vd+j] = sigmoid(ov) * bt.hn[t*vd+j]
			}
		}
		lgMatNT(nt.wk, bt.x1, bt.a, bw.outProj, n, vd, d)
		addResidual(bt.x1, bt.x, bw.outProjB, n, d)

		lgRMSNorm(bt.xn2, bt.rF, bt.x1, bw.normF, n, d, g.NormEps)
		copy(bt.wUp, bw.upGate)
		copy(bt.wUp[ff*d:], bw.up)
		concatRows(bt.bUp, [6][]F{bw.upGateB, bw.upB}, [6]int{ff, ff})
		lgMatNT(nt.wk, bt.up, bt.xn2, bt.wUp, n, d, 2*ff)
		for t := 0; t < n; t++ {
			ut := bt.up[t*2*ff : (t+1)*2*ff]
			for j := range ut {
				ut[j] += bt.bUp[j]
			}
			zt := bt.zf[t*ff : (t+1)*ff]
			for j := range zt {
				zt[j] = silu(ut[j]) * ut[ff+j]
			}
		}
		next := nt.xL
		if i+1 < len(nt.blocks) {
			next = nt.blocks[i+1].x
		}
		lgMatNT(nt.wk, next, bt.zf, bw.down, n, ff, d)
		addResidual(next, bt.x1, bw.downB, n, d)
	}
	if w.outNorm != nil {
		lgRMSNorm(nt.xf, nt.rO, nt.xL, w.outNorm, n, d, g.NormEps)
	} else {
		copy(nt.xf, nt.xL)
	}
	lgMatNT(nt.wk, nt.logits, nt.xf, w.head, n, d, nt.v)
	return nt.crossEntropy(batch, grad)
}

// addResidual sets y = y + x (+ bias per row).
func addResidual[F model.Float](y, x, bias []F, n, d int) {
	for t := 0; t < n; t++ {
		yt, xt := y[t*d:(t+1)*d], x[t*d:(t+1)*d]
		for j := range yt {
			yt[j] += xt[j]
		}
		if bias != nil {
			for j := range yt {
				yt[j] += bias[j]
			}
		}
	}
}

// crossEntropy soft-caps the logits and returns the mean of
// −log softmax(logits[b,t])[tokens[b,t+1]] over t < S−1. With grad it
// replaces each row of nt.logits by the loss gradient of the un-capped
// logits (zero for the last position of each sequence).
func (nt *lgNet[F]) crossEntropy(batch [][]int, grad bool) float64 {
	v, s, c := nt.v, nt.s, nt.cfg.Large.OutputLogitSoftCap
	count := float64(nt.b * (s - 1))
	for r := range nt.targets {
		if t := r % s; t < s-1 {
			nt.targets[r] = batch[r/s][t+1]
		} else {
			nt.targets[r] = -1
		}
	}
	nt.wk.run(nt.n, 1, func(part, lo, hi int) {
		var drow []F
		if grad {
			drow = nt.ceBufs[part]
		}
		for r := lo; r < hi; r++ {
			row := nt.logits[r*v : (r+1)*v]
			for j, z := range row {
				row[j] = lgSoftCap(z, c)
			}
			// One row at a time, so the sum below has the same order for
			// any thread count.
			nt.rowLoss[r] = crossEntropy(row, drow, nt.targets[r:r+1], v, 1/count)
			if grad {
				for j, z := range row {
					row[j] = drow[j] * lgSoftCapGrad(z, c)
				}
			}
		}
	})
	var loss float64
	for _, l := range nt.rowLoss {
		loss += l
	}
	return loss / count
}
