package train

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// slstmW is one sLSTM block's weights (or gradients), by role; iW is the
// module named fgate and fW the one named igate (the official swap, SPEC §5.1).
type slstmW[F model.Float] struct {
	norm, convW, convB []F
	iW, fW, zW, oW     []F // (NH, DH, DH)
	r, bias, gn        []F // (NH, 4DH, DH) vanilla layout, (4D) gate-major, (D) or nil
	ffnNorm            []F
	ffnUp, ffnUpB      []F
	ffnDn, ffnDnB      []F
}

// slstmTape is one sLSTM block's forward record over n = nseq·s rows.
type slstmTape[F model.Float] struct {
	xin, mean, rstd, xn []F
	xcp, xc             []F // conv output before silu (nil without conv), the gates' input
	raw                 []F // Wx + R·y_prev + b per row (4D)
	c, nn, m, y         []F // cell state after each step (D each per row)
	gmean, grstd        []F
	// FFN
	fin, fmean, frstd, fxn, u, a []F
}

type slstmDims struct{ d, nh, dh, k, p int }

func slstmDimsOf(cfg *model.Config) slstmDims {
	sc := cfg.LM.SLSTM
	dm := slstmDims{d: cfg.EmbeddingDim, nh: sc.NumHeads, dh: sc.HeadDim, k: sc.ConvKernelSize}
	if cfg.LM.FFN != nil {
		dm.p = cfg.LM.FFN.Up
	}
	return dm
}

// slstmBlockForward runs the block on x (n × D) in place (SPEC §5):
// x += groupnorm(sLSTM(gates)); x += FFN(LN(x)).
func slstmBlockForward[F model.Float](ws, tws *scratch[F], w *slstmW[F], dm slstmDims, act func(F) F, x []F, nseq, s int, tp *slstmTape[F]) {
	defer ws.release(ws.mark())
	n := nseq * s
	d, nh, dh := dm.d, dm.nh, dm.dh
	tp.xin = tws.takeDirty(n * d)
	copy(tp.xin, x)
	tp.mean, tp.rstd, tp.xn = tws.takeDirty(n), tws.takeDirty(n), tws.takeDirty(n*d)
	layerNormForward(tp.xn, x, w.norm, tp.mean, tp.rstd, n, d, 1e-5)
	tp.xc = tp.xn
	if w.convW != nil {
		tp.xcp, tp.xc = tws.takeDirty(n*d), tws.takeDirty(n*d)
		convForward(tp.xcp, tp.xn, w.convW, w.convB, nseq, s, d, d, dm.k)
		for i, v := range tp.xcp {
			tp.xc[i] = silu(v)
		}
	}
	tp.raw = tws.takeDirty(n * 4 * d)
	headwiseForward(ws, tp.raw, 4*d, 0, tp.xc, d, 0, w.iW, nil, n, nh, d)
	headwiseForward(ws, tp.raw, 4*d, d, tp.xc, d, 0, w.fW, nil, n, nh, d)
	headwiseForward(ws, tp.raw, 4*d, 2*d, tp.xn, d, 0, w.zW, nil, n, nh, d)
	headwiseForward(ws, tp.raw, 4*d, 3*d, tp.xn, d, 0, w.oW, nil, n, nh, d)
	tp.c, tp.nn, tp.m, tp.y = tws.takeDirty(n*d), tws.takeDirty(n*d), tws.takeDirty(n*d), tws.takeDirty(n*d)
	ry := ws.takeDirty(4 * dh)
	zero := ws.take(d)
	for q := 0; q < nseq; q++ {
		for t := 0; t < s; t++ {
			r := q*s + t
			raw := tp.raw[r*4*d : (r+1)*4*d]
			yp, cp, np, mp := zero, zero, zero, zero
			if t > 0 {
				yp, cp, np, mp = tp.y[(r-1)*d:r*d], tp.c[(r-1)*d:r*d], tp.nn[(r-1)*d:r*d], tp.m[(r-1)*d:r*d]
			}
			for h := 0; h < nh; h++ {
				matmulT(ry, w.r[h*4*dh*dh:(h+1)*4*dh*dh], yp[h*dh:(h+1)*dh], 4*dh, dh)
				for g := 0; g < 4; g++ {
					for j := 0; j < dh; j++ {
						idx := g*d + h*dh + j
						raw[idx] += ry[g*dh+j] + w.bias[idx]
					}
				}
			}
			c, nn, m, y := tp.c[r*d:(r+1)*d], tp.nn[r*d:(r+1)*d], tp.m[r*d:(r+1)*d], tp.y[r*d:(r+1)*d]
			for j := 0; j < d; j++ {
				iraw, fraw, zraw, oraw := raw[j], raw[d+j], raw[2*d+j], raw[3*d+j]
				logfm := mp[j] + logsigmoid(fraw)
				mNew := iraw
				if t > 0 { // n is all zero exactly at the start (SPEC §5.2)
					mNew = max(iraw, logfm)
				}
				ig := min(expF(iraw-mNew), 1)
				fg := min(expF(logfm-mNew), 1)
				c[j] = fg*cp[j] + ig*tanhF(zraw)
				nn[j] = fg*np[j] + ig
				m[j] = mNew
				y[j] = sigmoid(oraw) * c[j] / nn[j]
			}
		}
	}
	tp.gmean, tp.grstd = tws.takeDirty(n*nh), tws.takeDirty(n*nh)
	out := ws.takeDirty(n * d)
	groupNormForward(out, tp.y, w.gn, tp.gmean, tp.grstd, n, nh, dh, 1e-5)
	addTo(x[:n*d], out)
	if w.ffnUp == nil {
		return
	}
	p := dm.p
	tp.fin = tws.takeDirty(n * d)
	copy(tp.fin, x)
	tp.fmean, tp.frstd, tp.fxn = tws.takeDirty(n), tws.takeDirty(n), tws.takeDirty(n*d)
	layerNormForward(tp.fxn, x, w.ffnNorm, tp.fmean, tp.frstd, n, d, 1e-5)
	tp.u, tp.a = tws.takeDirty(n*2*p), tws.takeDirty(n*p)
	linearForward(tp.u, tp.fxn, w.ffnUp, w.ffnUpB, n, d, 2*p)
	for t := 0; t < n; t++ {
		u, a := tp.u[t*2*p:(t+1)*2*p], tp.a[t*p:(t+1)*p]
		for j := range a {
			a[j] = act(u[j]) * u[p+j]
		}
	}
	y := ws.takeDirty(n * d)
	linearForward(y, tp.a, w.ffnDn, w.ffnDnB, n, p, d)
	addTo(x[:n*d], y)
}

// slstmBlockBackward turns dx (gradient of the block output) into the
// gradient of its input in place and adds the weight gradients into gw.
func slstmBlockBackward[F model.Float](ws *scratch[F], w, gw *slstmW[F], dm slstmDims, act, dact func(F) F, dx []F, nseq, s int, tp *slstmTape[F]) {
	defer ws.release(ws.mark())
	n := nseq * s
	d, nh, dh := dm.d, dm.nh, dm.dh
	if w.ffnUp != nil {
		p := dm.p
		da := ws.take(n * p)
		linearBackward(ws, da, gw.ffnDn, gw.ffnDnB, dx, tp.a, w.ffnDn, n, p, d)
		du := ws.takeDirty(n * 2 * p)
		for t := 0; t < n; t++ {
			u, dar, dur := tp.u[t*2*p:(t+1)*2*p], da[t*p:(t+1)*p], du[t*2*p:(t+1)*2*p]
			for j, g := range dar {
				dur[j] = g * u[p+j] * dact(u[j])
				dur[p+j] = g * act(u[j])
			}
		}
		dxn := ws.take(n * d)
		linearBackward(ws, dxn, gw.ffnUp, gw.ffnUpB, du, tp.fxn, w.ffnUp, n, d, 2*p)
		layerNormBackward(dx, gw.ffnNorm, dxn, tp.fin, w.ffnNorm, tp.fmean, tp.frstd, n, d)
	}
	dy := ws.take(n * d)
	groupNormBackward(dy, gw.gn, dx, tp.y, w.gn, tp.gmean, tp.grstd, n, nh, dh)

	// Back through time, per sequence.
	draw := ws.takeDirty(n * 4 * d)
	rT := ws.takeDirty(len(w.r)) // per head (DH × 4DH)
	for h := 0; h < nh; h++ {
		transpose(rT[h*4*dh*dh:], w.r[h*4*dh*dh:(h+1)*4*dh*dh], 4*dh, dh)
	}
	dc, dn, dmc, dyr := ws.take(d), ws.take(d), ws.take(d), ws.take(d)
	gh, tmp := ws.takeDirty(4*dh), ws.takeDirty(dh)
	zero := ws.take(d)
	for q := 0; q < nseq; q++ {
		clear(dc)
		clear(dn)
		clear(dmc)
		clear(dyr)
		for t := s - 1; t >= 0; t-- {
			r := q*s + t
			raw, dr := tp.raw[r*4*d:(r+1)*4*d], draw[r*4*d:(r+1)*4*d]
			c, nn, m := tp.c[r*d:(r+1)*d], tp.nn[r*d:(r+1)*d], tp.m[r*d:(r+1)*d]
			cp, np, mp := zero, zero, zero
			if t > 0 {
				cp, np, mp = tp.c[(r-1)*d:r*d], tp.nn[(r-1)*d:r*d], tp.m[(r-1)*d:r*d]
			}
			dyt := dy[r*d : (r+1)*d]
			for j := 0; j < d; j++ {
				iraw, fraw, zraw, oraw := float64(raw[j]), float64(raw[d+j]), float64(raw[2*d+j]), float64(raw[3*d+j])
				mt := float64(m[j])
				lf := float64(logsigmoid(F(fraw)))
				logfm := float64(mp[j]) + lf
				ig := math.Min(expAny[F](iraw-mt), 1)
				fg := math.Min(expAny[F](logfm-mt), 1)
				o := 1 / (1 + expAny[F](-oraw))
				zt := float64(tanhF(F(zraw)))
				ct, nt := float64(c[j]), float64(nn[j])
				g := float64(dyt[j] + dyr[j])
				do := g * ct / nt
				dct := float64(dc[j]) + g*o/nt
				dnt := float64(dn[j]) - g*o*ct/(nt*nt)
				df := dct*float64(cp[j]) + dnt*float64(np[j])
				di := dct*zt + dnt
				dz := dct * ig
				dc[j] = F(dct * fg)
				dn[j] = F(dnt * fg)
				dai := di * ig
				daf := df * fg
				dmt := float64(dmc[j]) - dai - daf
				diraw, dlogfm := dai, daf
				switch {
				case t == 0 || iraw > logfm:
					diraw += dmt
				case iraw < logfm:
					dlogfm += dmt
				default: // torch.max splits ties
					diraw += dmt / 2
					dlogfm += dmt / 2
				}
				dmc[j] = F(dlogfm)
				dr[j] = F(diraw)
				dr[d+j] = F(dlogfm / (1 + expAny[F](fraw))) // logσ'(x) = σ(−x)
				dr[2*d+j] = F(dz * (1 - zt*zt))
				dr[3*d+j] = F(do * o * (1 - o))
			}
			// dy_{t−1} from R·y_{t−1}.
			for h := 0; h < nh; h++ {
				for g := 0; g < 4; g++ {
					copy(gh[g*dh:(g+1)*dh], dr[g*d+h*dh:g*d+(h+1)*dh])
				}
				matmulT(tmp, rT[h*4*dh*dh:(h+1)*4*dh*dh], gh, dh, 4*dh)
				copy(dyr[h*dh:(h+1)*dh], tmp)
			}
		}
	}
	// Bias and recurrent kernel: db = Σ draw; dR_h = draw_hᵀ·y_prev_h.
	for r := 0; r < n; r++ {
		addTo(gw.bias, draw[r*4*d:(r+1)*4*d])
	}
	ah, yh := ws.takeDirty(n*4*dh), ws.takeDirty(n*dh)
	for h := 0; h < nh; h++ {
		for r := 0; r < n; r++ {
			for g := 0; g < 4; g++ {
				copy(ah[r*4*dh+g*dh:r*4*dh+(g+1)*dh], draw[r*4*d+g*d+h*dh:r*4*d+g*d+(h+1)*dh])
			}
			yr := yh[r*dh : (r+1)*dh]
			if r%s == 0 {
				clear(yr)
			} else {
				copy(yr, tp.y[(r-1)*d+h*dh:(r-1)*d+(h+1)*dh])
			}
		}
		linearBackward(ws, nil, gw.r[h*4*dh*dh:(h+1)*4*dh*dh], nil, ah, yh, nil, n, dh, 4*dh)
	}
	// Gate inputs: i, f from the conv path, z, o from xn.
	dxn := ws.take(n * d)
	dxc := dxn
	if w.convW != nil {
		dxc = ws.take(n * d)
	}
	headwiseBackward(ws, dxc, d, 0, draw, 4*d, 0, tp.xc, d, 0, w.iW, gw.iW, nil, n, nh, d)
	headwiseBackward(ws, dxc, d, 0, draw, 4*d, d, tp.xc, d, 0, w.fW, gw.fW, nil, n, nh, d)
	headwiseBackward(ws, dxn, d, 0, draw, 4*d, 2*d, tp.xn, d, 0, w.zW, gw.zW, nil, n, nh, d)
	headwiseBackward(ws, dxn, d, 0, draw, 4*d, 3*d, tp.xn, d, 0, w.oW, gw.oW, nil, n, nh, d)
	if w.convW != nil {
		for i, v := range tp.xcp {
			dxc[i] *= siluGrad(v)
		}
		convBackward(dxn, gw.convW, gw.convB, dxc, tp.xn, w.convW, nseq, s, d, d, dm.k)
	}
	layerNormBackward(dx, gw.norm, dxn, tp.xin, w.norm, tp.mean, tp.rstd, n, d)
}
