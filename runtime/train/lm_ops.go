package train

import "github.com/xlstm-go/xlstm/runtime/model"

// Ops of the original LM's blocks: column gathers, the causal depthwise
// conv and the head-wise (block-diagonal) projection, forward and backward.

// gatherCols copies columns [off, off+w) of rows rows of a (· × stride)
// matrix into dst (rows × w).
func gatherCols[F model.Float](dst, src []F, stride, off, rows, w int) {
	for t := 0; t < rows; t++ {
		copy(dst[t*w:(t+1)*w], src[t*stride+off:t*stride+off+w])
	}
}

// scatterCols writes (or, with add, adds) src (rows × w) into columns
// [off, off+w) of dst (· × stride).
func scatterCols[F model.Float](dst []F, stride, off int, src []F, rows, w int, add bool) {
	for t := 0; t < rows; t++ {
		d, s := dst[t*stride+off:t*stride+off+w], src[t*w:(t+1)*w]
		if add {
			for j := range d {
				d[j] += s[j]
			}
		} else {
			copy(d, s)
		}
	}
}

// convForward is the causal depthwise conv (SPEC §3.1) per sequence: y
// (n × c) from columns [0, c) of x (rows of stride xs), weight (c × k).
func convForward[F model.Float](y, x, w, b []F, nseq, s, c, xs, k int) {
	for q := 0; q < nseq; q++ {
		for t := 0; t < s; t++ {
			yr := y[(q*s+t)*c : (q*s+t+1)*c]
			copy(yr, b)
			for j := 0; j < k; j++ {
				tt := t - (k - 1) + j
				if tt < 0 {
					continue
				}
				xr := x[(q*s+tt)*xs : (q*s+tt)*xs+c]
				for ch := range yr {
					yr[ch] += w[ch*k+j] * xr[ch]
				}
			}
		}
	}
}

// convBackward adds the conv's gradients: into columns [0, c) of dx (rows
// of stride xs), dw (c × k) and db (c).
func convBackward[F model.Float](dx, dw, db, dy, x, w []F, nseq, s, c, xs, k int) {
	for q := 0; q < nseq; q++ {
		for t := 0; t < s; t++ {
			dyr := dy[(q*s+t)*c : (q*s+t+1)*c]
			for ch, g := range dyr {
				db[ch] += g
			}
			for j := 0; j < k; j++ {
				tt := t - (k - 1) + j
				if tt < 0 {
					continue
				}
				xr := x[(q*s+tt)*xs : (q*s+tt)*xs+c]
				dxr := dx[(q*s+tt)*xs : (q*s+tt)*xs+c]
				for ch, g := range dyr {
					dw[ch*k+j] += g * xr[ch]
					dxr[ch] += g * w[ch*k+j]
				}
			}
		}
	}
}

// headwiseForward is LinearHeadwiseExpand (SPEC §3.2) with square blocks:
// columns [yo, yo+width) of y (stride ys) = blockdiag(w)·(columns [xo, …)
// of x, stride xs) + b, for n rows; w is (nph, per, per), per = width/nph.
func headwiseForward[F model.Float](ws *scratch[F], y []F, ys, yo int, x []F, xs, xo int, w, b []F, n, nph, width int) {
	per := width / nph
	if per == 4 {
		headwise4Forward(y, ys, yo, x, xs, xo, w, b, n, nph)
		return
	}
	if per <= 8 {
		for t := 0; t < n; t++ {
			xr, yr := x[t*xs+xo:t*xs+xo+width], y[t*ys+yo:t*ys+yo+width]
			for h := 0; h < nph; h++ {
				wh := w[h*per*per : (h+1)*per*per]
				for o := 0; o < per; o++ {
					var acc F
					for i := 0; i < per; i++ {
						acc += wh[o*per+i] * xr[h*per+i]
					}
					if b != nil {
						acc += b[h*per+o]
					}
					yr[h*per+o] = acc
				}
			}
		}
		return
	}
	defer ws.release(ws.mark())
	xh, yh := ws.take(n*per), ws.take(n*per)
	for h := 0; h < nph; h++ {
		gatherCols(xh, x[xo+h*per:], xs, 0, n, per)
		var bh []F
		if b != nil {
			bh = b[h*per : (h+1)*per]
		}
		linearForward(yh, xh, w[h*per*per:(h+1)*per*per], bh, n, per, per)
		scatterCols(y[yo+h*per:], ys, 0, yh, n, per, false)
	}
}

// headwiseBackward adds headwiseForward's gradients: dx (columns at dxo,
// stride dxs) from dy (columns at dyo, stride dys); dw, db (db may be nil).
func headwiseBackward[F model.Float](ws *scratch[F], dx []F, dxs, dxo int, dy []F, dys, dyo int, x []F, xs, xo int, w, dw, db []F, n, nph, width int) {
	per := width / nph
	if per == 4 {
		headwise4Backward(dx, dxs, dxo, dy, dys, dyo, x, xs, xo, w, dw, db, n, nph)
		return
	}
	if per <= 8 {
		for t := 0; t < n; t++ {
			xr, dyr, dxr := x[t*xs+xo:t*xs+xo+width], dy[t*dys+dyo:t*dys+dyo+width], dx[t*dxs+dxo:t*dxs+dxo+width]
			for h := 0; h < nph; h++ {
				wh, dwh := w[h*per*per:(h+1)*per*per], dw[h*per*per:(h+1)*per*per]
				for o := 0; o < per; o++ {
					g := dyr[h*per+o]
					if db != nil {
						db[h*per+o] += g
					}
					for i := 0; i < per; i++ {
						dwh[o*per+i] += g * xr[h*per+i]
						dxr[h*per+i] += g * wh[o*per+i]
					}
				}
			}
		}
		return
	}
	defer ws.release(ws.mark())
	xh, dyh, dxh := ws.take(n*per), ws.take(n*per), ws.take(n*per)
	for h := 0; h < nph; h++ {
		gatherCols(xh, x[xo+h*per:], xs, 0, n, per)
		gatherCols(dyh, dy[dyo+h*per:], dys, 0, n, per)
		clear(dxh)
		var dbh []F
		if db != nil {
			dbh = db[h*per : (h+1)*per]
		}
		linearBackward(ws, dxh, dw[h*per*per:(h+1)*per*per], dbh, dyh, xh, w[h*per*per:(h+1)*per*per], n, per, per)
		scatterCols(dx[dxo+h*per:], dxs, 0, dxh, n, per, true)
	}
}

// headwise4Forward is headwiseForward for 4 × 4 blocks (the mLSTM's
// default qkv_proj_blocksize), unrolled: a block's weights stay in
// registers while the rows stream past.
func headwise4Forward[F model.Float](y []F, ys, yo int, x []F, xs, xo int, w, b []F, n, nph int) {
	for h := 0; h < nph; h++ {
		wh := w[h*16 : h*16+16]
		var b0, b1, b2, b3 F
		if b != nil {
			b0, b1, b2, b3 = b[h*4], b[h*4+1], b[h*4+2], b[h*4+3]
		}
		for t := 0; t < n; t++ {
			xr := x[t*xs+xo+h*4 : t*xs+xo+h*4+4]
			yr := y[t*ys+yo+h*4 : t*ys+yo+h*4+4]
			x0, x1, x2, x3 := xr[0], xr[1], xr[2], xr[3]
			yr[0] = wh[0]*x0 + wh[1]*x1 + wh[2]*x2 + wh[3]*x3 + b0
			yr[1] = wh[4]*x0 + wh[5]*x1 + wh[6]*x2 + wh[7]*x3 + b1
			yr[2] = wh[8]*x0 + wh[9]*x1 + wh[10]*x2 + wh[11]*x3 + b2
			yr[3] = wh[12]*x0 + wh[13]*x1 + wh[14]*x2 + wh[15]*x3 + b3
		}
	}
}

// headwise4Backward is headwiseBackward for 4 × 4 blocks, unrolled; the
// weight gradient of a block is summed over the rows in locals.
func headwise4Backward[F model.Float](dx []F, dxs, dxo int, dy []F, dys, dyo int, x []F, xs, xo int, w, dw, db []F, n, nph int) {
	for h := 0; h < nph; h++ {
		wh := w[h*16 : h*16+16]
		var g [16]F
		var gb [4]F
		for t := 0; t < n; t++ {
			xr := x[t*xs+xo+h*4 : t*xs+xo+h*4+4]
			dyr := dy[t*dys+dyo+h*4 : t*dys+dyo+h*4+4]
			dxr := dx[t*dxs+dxo+h*4 : t*dxs+dxo+h*4+4]
			x0, x1, x2, x3 := xr[0], xr[1], xr[2], xr[3]
			d0, d1, d2, d3 := dyr[0], dyr[1], dyr[2], dyr[3]
			gb[0] += d0
			gb[1] += d1
			gb[2] += d2
			gb[3] += d3
			g[0] += d0 * x0
			g[1] += d0 * x1
			g[2] += d0 * x2
			g[3] += d0 * x3
			g[4] += d1 * x0
			g[5] += d1 * x1
			g[6] += d1 * x2
			g[7] += d1 * x3
			g[8] += d2 * x0
			g[9] += d2 * x1
			g[10] += d2 * x2
			g[11] += d2 * x3
			g[12] += d3 * x0
			g[13] += d3 * x1
			g[14] += d3 * x2
			g[15] += d3 * x3
			dxr[0] += d0*wh[0] + d1*wh[4] + d2*wh[8] + d3*wh[12]
			dxr[1] += d0*wh[1] + d1*wh[5] + d2*wh[9] + d3*wh[13]
			dxr[2] += d0*wh[2] + d1*wh[6] + d2*wh[10] + d3*wh[14]
			dxr[3] += d0*wh[3] + d1*wh[7] + d2*wh[11] + d3*wh[15]
		}
		for i := range g {
			dw[h*16+i] += g[i]
		}
		if db != nil {
			for i := range gb {
				db[h*4+i] += gb[i]
			}
		}
	}
}
