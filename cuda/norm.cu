// Layer norm (also the per-head group norm) and RMS norm, forward and
// backward. One block of XL_BLOCK threads per row; statistics in float32
// over a fixed reduction tree.
#include "xlstm_cuda.h"

// xl_norm_scale is the weight for column c of row r: rows are `groups`
// consecutive heads of one position, so head g = r % groups reads w[g*cols+c]
// (runtime/model groupNorm's flat head-major index). offset: the original LM
// stores the scale as 1 + w. A null w means scale 1.
XL_DEV float xl_norm_scale(const float *w, i64 r, i64 c, i64 cols, i64 groups, i64 offset) {
  if (!w) return 1.0f;
  float s = w[(r % groups) * cols + c];
  return offset ? 1.0f + s : s;
}

// Layer norm of each (cols) row of x: y = (x − mean)·rstd·scale. mean and
// rstd (rows) are saved for the backward when non-null.
XL_KERNEL xl_layernorm_fwd(float *y, float *mean, float *rstd, const float *x, const float *w,
                           i64 rows, i64 cols, i64 groups, i64 offset, double eps) {
  __shared__ float buf[XL_BLOCK];
  for (i64 r = ctaid_x(); r < rows; r += nctaid_x()) {
    const float *xr = x + r * cols;
    float s = 0.0f;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) s += xr[c];
    float mu = xl_block_sum(s, buf) / (float)cols;
    float v = 0.0f;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) {
      float d = xr[c] - mu;
      v += d * d;
    }
    float var = xl_block_sum(v, buf) / (float)cols;
    float inv = 1.0f / xl_sqrt(var + (float)eps);
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK)
      y[r * cols + c] = (xr[c] - mu) * inv * xl_norm_scale(w, r, c, cols, groups, offset);
    if (tid_x() == 0) {
      if (mean) mean[r] = mu;
      if (rstd) rstd[r] = inv;
    }
  }
}

// The input gradient of xl_layernorm_fwd:
// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = dy·scale, x̂ = (x − mean)·rstd.
XL_KERNEL xl_layernorm_bwd(float *dx, const float *x, const float *w, const float *mean,
                           const float *rstd, const float *dy, i64 rows, i64 cols, i64 groups,
                           i64 offset) {
  __shared__ float buf[XL_BLOCK];
  for (i64 r = ctaid_x(); r < rows; r += nctaid_x()) {
    const float *xr = x + r * cols, *gr = dy + r * cols;
    float mu = mean[r], inv = rstd[r];
    float sg = 0.0f, sgx = 0.0f;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) {
      float g = gr[c] * xl_norm_scale(w, r, c, cols, groups, offset);
      sg += g;
      sgx += g * (xr[c] - mu) * inv;
    }
    float mg = xl_block_sum(sg, buf) / (float)cols;
    float mgx = xl_block_sum(sgx, buf) / (float)cols;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) {
      float g = gr[c] * xl_norm_scale(w, r, c, cols, groups, offset);
      float xh = (xr[c] - mu) * inv;
      dx[r * cols + c] = inv * (g - mg - xh * mgx);
    }
  }
}

// The weight gradient of xl_layernorm_fwd: dw[g·cols + c] = Σ over rows of
// head g of dy·x̂ (the same for the offset form). One thread per weight,
// rows in order: reproducible.
XL_KERNEL xl_layernorm_bwd_w(float *dw, const float *x, const float *mean, const float *rstd,
                             const float *dy, i64 rows, i64 cols, i64 groups) {
  for (i64 i = gid(); i < groups * cols; i += gstride()) {
    i64 g = i / cols, c = i % cols;
    float s = 0.0f;
    for (i64 r = g; r < rows; r += groups) s += dy[r * cols + c] * (x[r * cols + c] - mean[r]) * rstd[r];
    dw[i] = s;
  }
}

// RMS norm: y = x·rsqrt(mean(x²) + eps)·w (w per column, plain weights).
XL_KERNEL xl_rmsnorm_fwd(float *y, float *rstd, const float *x, const float *w, i64 rows, i64 cols,
                         double eps) {
  __shared__ float buf[XL_BLOCK];
  for (i64 r = ctaid_x(); r < rows; r += nctaid_x()) {
    const float *xr = x + r * cols;
    float s = 0.0f;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) s += xr[c] * xr[c];
    float inv = 1.0f / xl_sqrt(xl_block_sum(s, buf) / (float)cols + (float)eps);
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) y[r * cols + c] = xr[c] * inv * (w ? w[c] : 1.0f);
    if (tid_x() == 0 && rstd) rstd[r] = inv;
  }
}

// The input gradient of xl_rmsnorm_fwd: dx = rstd·(ĝ − x̂·mean(ĝ·x̂)),
// ĝ = dy·w, x̂ = x·rstd.
XL_KERNEL xl_rmsnorm_bwd(float *dx, const float *x, const float *w, const float *rstd,
                         const float *dy, i64 rows, i64 cols) {
  __shared__ float buf[XL_BLOCK];
  for (i64 r = ctaid_x(); r < rows; r += nctaid_x()) {
    const float *xr = x + r * cols, *gr = dy + r * cols;
    float inv = rstd[r];
    float s = 0.0f;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) s += gr[c] * (w ? w[c] : 1.0f) * xr[c] * inv;
    float m = xl_block_sum(s, buf) / (float)cols;
    for (i64 c = tid_x(); c < cols; c += XL_BLOCK) {
      float g = gr[c] * (w ? w[c] : 1.0f);
      dx[r * cols + c] = inv * (g - xr[c] * inv * m);
    }
  }
}

// The weight gradient of xl_rmsnorm_fwd: dw[c] = Σ_r dy·x·rstd.
XL_KERNEL xl_rmsnorm_bwd_w(float *dw, const float *x, const float *rstd, const float *dy, i64 rows,
                           i64 cols) {
  for (i64 c = gid(); c < cols; c += gstride()) {
    float s = 0.0f;
    for (i64 r = 0; r < rows; r++) s += dy[r * cols + c] * x[r * cols + c] * rstd[r];
    dw[c] = s;
  }
}
