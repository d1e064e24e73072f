package train

import (
	"math"

	"github.com/xlstm-go/xlstm/runtime/model"
)

// The xLSTM Large norms (SPEC §8) and soft-cap with their backwards. Every
// reduction is done in float64, which covers norm_reduction_force_float32
// for float32 weights (the official code reduces in float32 there).

// lgRMSNorm sets y = x·r·w row by row, r = 1/√(mean(x²)+eps), keeping r.
func lgRMSNorm[F model.Float](y, r, x, w []F, n, d int, eps float64) {
	for t := 0; t < n; t++ {
		xt, yt := x[t*d:(t+1)*d], y[t*d:(t+1)*d]
		var ss float64
		for _, v := range xt {
			ss += float64(v) * float64(v)
		}
		rt := F(1 / math.Sqrt(ss/float64(d)+eps))
		r[t] = rt
		for i, v := range xt {
			yt[i] = v * rt * w[i]
		}
	}
}

// lgRMSNormBack adds the input gradient of lgRMSNorm to dx and sets dw:
//
//	dx_i += r·w_i·dy_i − x_i·r³/d·Σ_j dy_j·w_j·x_j,  dw_i = Σ_t dy_i·x_i·r.
func lgRMSNormBack[F model.Float](dx, dw, dy, r, x, w []F, n, d int) {
	acc := make([]float64, d)
	for t := 0; t < n; t++ {
		xt, dyt, dxt := x[t*d:(t+1)*d], dy[t*d:(t+1)*d], dx[t*d:(t+1)*d]
		rt := float64(r[t])
		var s float64
		for i, v := range xt {
			g := float64(dyt[i])
			s += g * float64(w[i]) * float64(v)
			acc[i] += g * float64(v) * rt
		}
		c := rt * rt * rt * s / float64(d)
		for i, v := range xt {
			dxt[i] += F(rt*float64(w[i])*float64(dyt[i]) - float64(v)*c)
		}
	}
	for i, v := range acc {
		dw[i] = F(v)
	}
}

// lgHeadNorm is MultiHeadLayerNorm (SPEC §8): per row and head, a layer
// norm over the head's dh values (biased variance), then the flat weight w.
// It keeps each (row, head)'s mean and 1/σ.
func lgHeadNorm[F model.Float](y, mean, rstd, x, w []F, n, heads, dh int, eps float64) {
	for t := 0; t < n; t++ {
		for h := 0; h < heads; h++ {
			o := t*heads*dh + h*dh
			xs := x[o : o+dh]
			var sum float64
			for _, v := range xs {
				sum += float64(v)
			}
			mu := sum / float64(dh)
			var vs float64
			for _, v := range xs {
				e := float64(v) - mu
				vs += e * e
			}
			rs := 1 / math.Sqrt(vs/float64(dh)+eps)
			mean[t*heads+h], rstd[t*heads+h] = F(mu), F(rs)
			for i, v := range xs {
				y[o+i] = F((float64(v)-mu)*rs) * w[h*dh+i]
			}
		}
	}
}

// lgHeadNormBack sets dx (overwritten) and dw from dy:
//
//	x̂ = (x−μ)/σ,  g = dy·w,  dx = (g − mean(g) − x̂·mean(g·x̂))/σ,  dw = Σ_t dy·x̂.
func lgHeadNormBack[F model.Float](dx, dw, dy, mean, rstd, x, w []F, n, heads, dh int) {
	acc := make([]float64, heads*dh)
	for t := 0; t < n; t++ {
		for h := 0; h < heads; h++ {
			o := t*heads*dh + h*dh
			mu, rs := float64(mean[t*heads+h]), float64(rstd[t*heads+h])
			var sg, sgx float64
			for i := 0; i < dh; i++ {
				xh := (float64(x[o+i]) - mu) * rs
				g := float64(dy[o+i]) * float64(w[h*dh+i])
				sg += g
				sgx += g * xh
				acc[h*dh+i] += float64(dy[o+i]) * xh
			}
			sg /= float64(dh)
			sgx /= float64(dh)
			for i := 0; i < dh; i++ {
				xh := (float64(x[o+i]) - mu) * rs
				g := float64(dy[o+i]) * float64(w[h*dh+i])
				dx[o+i] = F((g - sg - xh*sgx) * rs)
			}
		}
	}
	for i, v := range acc {
		dw[i] = F(v)
	}
}

// lgSoftCap is c·tanh(x/c); c ≤ 0 means no cap.
func lgSoftCap[F model.Float](x F, c float64) F {
	if c <= 0 {
		return x
	}
	return F(c * math.Tanh(float64(x)/c))
}

// lgSoftCapGrad is the derivative of the soft-cap at the input whose capped
// value is y: 1 − (y/c)².
func lgSoftCapGrad[F model.Float](y F, c float64) F {
	if c <= 0 {
		return 1
	}
	r := float64(y) / c
	return F(1 - r*r)
}
