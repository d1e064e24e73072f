// Softmax cross-entropy over (rows × V) logits with integer targets. One
// block per row: loss[r] = logsumexp(x_r) − x_r[target] and, when dx is
// non-null, dx_r = (softmax(x_r) − onehot(target))·scale (scale is usually
// 1/number of counted rows). A negative target masks the row (loss 0, dx 0).
#include "xlstm_cuda.h"

XL_KERNEL xl_xent(float *loss, float *dx, const float *x, const int *targets, i64 rows, i64 vocab,
                  double scale) {
  __shared__ float buf[XL_BLOCK];
  for (i64 r = ctaid_x(); r < rows; r += nctaid_x()) {
    const float *xr = x + r * vocab;
    int tg = targets[r];
    if (tg < 0 || tg >= vocab) {
      if (tid_x() == 0) loss[r] = 0.0f;
      if (dx)
        for (i64 c = tid_x(); c < vocab; c += XL_BLOCK) dx[r * vocab + c] = 0.0f;
      continue;
    }
    float mx = -xl_inf();
    for (i64 c = tid_x(); c < vocab; c += XL_BLOCK) mx = xl_fmax(mx, xr[c]);
    mx = xl_block_max(mx, buf);
    float s = 0.0f;
    for (i64 c = tid_x(); c < vocab; c += XL_BLOCK) s += xl_exp(xr[c] - mx);
    s = xl_block_sum(s, buf);
    float lse = mx + xl_log(s);
    if (tid_x() == 0) loss[r] = lse - xr[tg];
    if (dx) {
      float sc = (float)scale, inv = 1.0f / s;
      for (i64 c = tid_x(); c < vocab; c += XL_BLOCK) {
        float p = xl_exp(xr[c] - mx) * inv;
        dx[r * vocab + c] = (p - (c == tg ? 1.0f : 0.0f)) * sc;
      }
    }
  }
}
