// sLSTM cell recurrence, forward and backward (vanilla backend, SPEC §5.2;
// runtime/model slstmStep). Per position, with gates [i, f, z, o] gate-major
// over H = NH·DH units and R block-diagonal per head (NH, 4DH, DH):
//
//   raw = Wx + R·y_prev + b
//   m = max(ĩ, m_prev + logσ(f̃))   (m = ĩ on the first step of a fresh state)
//   i = min(e^{ĩ−m}, 1), f = min(e^{m_prev+logσ(f̃)−m}, 1)
//   c = f·c_prev + i·tanh(z̃), n = f·n_prev + i, y = σ(õ)·c/n
//
// One block (XL_BLOCK threads) per (batch, head) walks the sequence; DH ≤
// XL_SLSTM_DH. Rows of wx (B·S, 4H) and y (B·S, H) are dense.
#include "xlstm_cuda.h"

#define XL_SLSTM_DH 256

// Forward. The state c, n, m, y (B, H) is read and updated in place; fresh
// != 0 says it is the zero state of a new sequence (the first step takes
// m = ĩ). When non-null, raw (B·S, 4H) and cs, ns, ms (B·S, H) save what the
// backward needs.
XL_KERNEL xl_slstm_fwd(float *y, float *cst, float *nst, float *mst, float *yst, float *raw, float *cs,
                       float *ns, float *ms, const float *wx, const float *r, const float *bias,
                       i64 batch, i64 seq, i64 nh, i64 dh, i64 fresh) {
  __shared__ float yp[XL_SLSTM_DH];
  __shared__ float rs[4 * XL_SLSTM_DH];
  const i64 H = nh * dh;
  for (i64 bh = ctaid_x(); bh < batch * nh; bh += nctaid_x()) {
    i64 b = bh / nh, hh = bh % nh;
    for (i64 j = tid_x(); j < dh; j += XL_BLOCK) yp[j] = yst[b * H + hh * dh + j];
    xl_sync();
    for (i64 t = 0; t < seq; t++) {
      i64 row = b * seq + t;
      for (i64 p = tid_x(); p < 4 * dh; p += XL_BLOCK) {
        i64 g = p / dh, j = p % dh;
        i64 idx = g * H + hh * dh + j;
        const float *rr = r + (hh * 4 * dh + g * dh + j) * dh;
        float d = 0.0f;
        for (i64 u = 0; u < dh; u++) d += yp[u] * rr[u];
        float v = wx[row * 4 * H + idx] + d + bias[idx];
        rs[p] = v;
        if (raw) raw[row * 4 * H + idx] = v;
      }
      xl_sync();
      for (i64 j = tid_x(); j < dh; j += XL_BLOCK) {
        i64 u = b * H + hh * dh + j;
        float ir = rs[j], fr = rs[dh + j], zr = rs[2 * dh + j], orr = rs[3 * dh + j];
        float logfm = mst[u] + xl_logsigmoid(fr);
        float mNew = (fresh && t == 0) ? ir : xl_fmax(ir, logfm);
        float ig = xl_fmin(xl_exp(ir - mNew), 1.0f);
        float fg = xl_fmin(xl_exp(logfm - mNew), 1.0f);
        float o = xl_sigmoid(orr);
        float c = fg * cst[u] + ig * xl_tanh(zr);
        float n = fg * nst[u] + ig;
        float out = o * c / n;
        cst[u] = c;
        nst[u] = n;
        mst[u] = mNew;
        yst[u] = out;
        y[row * H + hh * dh + j] = out;
        yp[j] = out;
        if (cs) {
          cs[row * H + hh * dh + j] = c;
          ns[row * H + hh * dh + j] = n;
          ms[row * H + hh * dh + j] = mNew;
        }
      }
      xl_sync();
    }
  }
}

// Backward from a fresh zero state: dy (B·S, H) is the gradient into the
// cell outputs from outside the recurrence; draw (B·S, 4H) receives the
// gradient of the pre-activations raw (= the gradient of Wx; see
// xl_slstm_bwd_r for R and xl_bias_grad on draw for b).
XL_KERNEL xl_slstm_bwd(float *draw, const float *dy, const float *raw, const float *cs,
                       const float *ns, const float *ms, const float *r, i64 batch, i64 seq, i64 nh,
                       i64 dh) {
  __shared__ float dyr[XL_SLSTM_DH];
  __shared__ float gs[4 * XL_SLSTM_DH];
  const i64 H = nh * dh;
  for (i64 bh = ctaid_x(); bh < batch * nh; bh += nctaid_x()) {
    i64 b = bh / nh, hh = bh % nh;
    // Carried gradients of unit j = tid + u·XL_BLOCK (dh ≤ XL_SLSTM_DH = XL_BLOCK).
    float dc = 0.0f, dn = 0.0f, dm = 0.0f;
    for (i64 j = tid_x(); j < dh; j += XL_BLOCK) dyr[j] = 0.0f;
    xl_sync();
    for (i64 t = seq - 1; t >= 0; t--) {
      i64 row = b * seq + t;
      i64 j = tid_x();
      if (j < dh) {
        i64 u = row * H + hh * dh + j;
        const float *rw = raw + row * 4 * H + hh * dh + j;
        float ir = rw[0], fr = rw[H], zr = rw[2 * H], orr = rw[3 * H];
        float c = cs[u], n = ns[u], m = ms[u];
        float cp = t > 0 ? cs[u - H] : 0.0f, np = t > 0 ? ns[u - H] : 0.0f;
        float mp = t > 0 ? ms[u - H] : 0.0f;
        float dyt = dy[u] + dyr[j];
        float o = xl_sigmoid(orr), z = xl_tanh(zr);
        float logfm = mp + xl_logsigmoid(fr);
        float ei = xl_exp(ir - m), ef = xl_exp(logfm - m);
        float ig = xl_fmin(ei, 1.0f), fg = xl_fmin(ef, 1.0f);
        float doraw = dyt * c / n * o * (1.0f - o);
        float dct = dc + dyt * o / n;
        float dnt = dn - dyt * o * c / (n * n);
        float dig = dct * z + dnt;
        float dfg = dct * cp + dnt * np;
        float dzraw = dct * ig * (1.0f - z * z);
        float di = 0.0f, dlogfm = 0.0f, dmt = dm;
        if (ei <= 1.0f) {
          di += dig * ei;
          dmt -= dig * ei;
        }
        if (ef <= 1.0f) {
          dlogfm += dfg * ef;
          dmt -= dfg * ef;
        }
        if (t == 0 || ir > logfm) {  // the forward's max keeps logfm on ties
          di += dmt;
        } else {
          dlogfm += dmt;
        }
        float dfraw = dlogfm * xl_sigmoid(-fr);
        float *dw = draw + row * 4 * H + hh * dh + j;
        dw[0] = di;
        dw[H] = dfraw;
        dw[2 * H] = dzraw;
        dw[3 * H] = doraw;
        gs[j] = di;
        gs[dh + j] = dfraw;
        gs[2 * dh + j] = dzraw;
        gs[3 * dh + j] = doraw;
        dc = dct * fg;
        dn = dnt * fg;
        dm = dlogfm;
      }
      xl_sync();
      // y_{t−1} feeds raw_t through R: dy_{t−1} += Rᵀ·draw_t.
      if (j < dh) {
        float s = 0.0f;
        for (i64 p = 0; p < 4 * dh; p++) s += r[(hh * 4 * dh + p) * dh + j] * gs[p];
        dyr[j] = s;
      }
      xl_sync();
    }
  }
}

// dR[h, g·DH+j, u] = Σ_{b, t≥1} draw[b, t, g·H + h·DH + j]·y[b, t−1, h·DH + u]:
// one thread per element of R, positions in order.
XL_KERNEL xl_slstm_bwd_r(float *dr, const float *draw, const float *y, i64 batch, i64 seq, i64 nh,
                         i64 dh) {
  const i64 H = nh * dh;
  for (i64 e = gid(); e < nh * 4 * dh * dh; e += gstride()) {
    i64 u = e % dh, p = (e / dh) % (4 * dh), hh = e / (4 * dh * dh);
    i64 g = p / dh, j = p % dh;
    float s = 0.0f;
    for (i64 b = 0; b < batch; b++)
      for (i64 t = 1; t < seq; t++)
        s += draw[(b * seq + t) * 4 * H + g * H + hh * dh + j] * y[(b * seq + t - 1) * H + hh * dh + u];
    dr[e] = s;
  }
}
