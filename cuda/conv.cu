// Causal depthwise 1-D convolution over the sequence (SPEC §3.1, §6): for
// channel c at position t, y = b[c] + Σ_j x[t−(K−1)+j, c]·w[c, j], with zero
// padding before the start. x rows have stride xstride (a column window of a
// wider matrix); y and dx are dense (B·S × C).
#include "xlstm_cuda.h"

XL_KERNEL xl_conv_fwd(float *y, const float *x, const float *w, const float *b, i64 batch, i64 seq,
                      i64 ch, i64 k, i64 xstride) {
  i64 n = batch * seq * ch;
  for (i64 i = gid(); i < n; i += gstride()) {
    i64 c = i % ch, t = (i / ch) % seq, bb = i / (ch * seq);
    float s = b ? b[c] : 0.0f;
    for (i64 j = 0; j < k; j++) {
      i64 tt = t - (k - 1) + j;
      if (tt >= 0) s += x[(bb * seq + tt) * xstride + c] * w[c * k + j];
    }
    y[i] = s;
  }
}

// dx[t, c] = Σ_j dy[t+(K−1)−j, c]·w[c, j] (positions past the end drop out).
XL_KERNEL xl_conv_bwd_x(float *dx, const float *dy, const float *w, i64 batch, i64 seq, i64 ch, i64 k) {
  i64 n = batch * seq * ch;
  for (i64 i = gid(); i < n; i += gstride()) {
    i64 c = i % ch, t = (i / ch) % seq, bb = i / (ch * seq);
    float s = 0.0f;
    for (i64 j = 0; j < k; j++) {
      i64 tt = t + (k - 1) - j;
      if (tt < seq) s += dy[(bb * seq + tt) * ch + c] * w[c * k + j];
    }
    dx[i] = s;
  }
}

// dw[c, j] = Σ_{b,t} dy[t, c]·x[t−(K−1)+j, c] and db[c] = Σ dy[t, c] (db may be
// null). One thread per (c, j), positions in order.
XL_KERNEL xl_conv_bwd_w(float *dw, float *db, const float *x, const float *dy, i64 batch, i64 seq,
                        i64 ch, i64 k, i64 xstride) {
  for (i64 i = gid(); i < ch * k; i += gstride()) {
    i64 c = i / k, j = i % k;
    float s = 0.0f, sb = 0.0f;
    for (i64 bb = 0; bb < batch; bb++) {
      for (i64 t = 0; t < seq; t++) {
        float g = dy[(bb * seq + t) * ch + c];
        i64 tt = t - (k - 1) + j;
        if (tt >= 0) s += g * x[(bb * seq + tt) * xstride + c];
        sb += g;
      }
    }
    dw[i] = s;
    if (db && j == 0) db[c] = sb;
  }
}
