// Element-wise kernels (grid-stride loops; any grid and block size).
#include "xlstm_cuda.h"

// y = a + b
XL_KERNEL xl_add(float *y, const float *a, const float *b, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = a[i] + b[i];
}

// y = a * b
XL_KERNEL xl_mul(float *y, const float *a, const float *b, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = a[i] * b[i];
}

// y += alpha * x
XL_KERNEL xl_axpy(float *y, const float *x, double alpha, i64 n) {
  float a = (float)alpha;
  for (i64 i = gid(); i < n; i += gstride()) y[i] += a * x[i];
}

// y = alpha * x
XL_KERNEL xl_scale(float *y, const float *x, double alpha, i64 n) {
  float a = (float)alpha;
  for (i64 i = gid(); i < n; i += gstride()) y[i] = a * x[i];
}

// y = v
XL_KERNEL xl_fill(float *y, double v, i64 n) {
  float f = (float)v;
  for (i64 i = gid(); i < n; i += gstride()) y[i] = f;
}

// y[r, c] += b[c] for a (rows × cols) matrix.
XL_KERNEL xl_add_bias(float *y, const float *b, i64 rows, i64 cols) {
  for (i64 i = gid(); i < rows * cols; i += gstride()) y[i] += b[i % cols];
}

// db[c] = Σ_r dy[r, c] (the bias gradient; one thread per column, a fixed
// summation order so that results are reproducible).
XL_KERNEL xl_bias_grad(float *db, const float *dy, i64 rows, i64 cols) {
  for (i64 c = gid(); c < cols; c += gstride()) {
    float s = 0.0f;
    for (i64 r = 0; r < rows; r++) s += dy[r * cols + c];
    db[c] = s;
  }
}

// Activations selected by act: 0 identity, 1 silu, 2 sigmoid, 3 gelu (erf),
// 4 relu, 5 relu², 6 tanh, 7 exp.
XL_DEV float xl_act(i64 act, float x) {
  switch (act) {
    case 1: return xl_silu(x);
    case 2: return xl_sigmoid(x);
    case 3: return xl_gelu(x);
    case 4: return x > 0.0f ? x : 0.0f;
    case 5: { float r = x > 0.0f ? x : 0.0f; return r * r; }
    case 6: return xl_tanh(x);
    case 7: return xl_exp(x);
  }
  return x;
}

// xl_act_grad is d act(x)/dx.
XL_DEV float xl_act_grad(i64 act, float x) {
  switch (act) {
    case 1: { float s = xl_sigmoid(x); return s * (1.0f + x * (1.0f - s)); }
    case 2: { float s = xl_sigmoid(x); return s * (1.0f - s); }
    case 3: {
      float pdf = 0.3989422804014327f * xl_exp(-0.5f * x * x);
      return 0.5f * (1.0f + xl_erf(x * 0.70710678118654752f)) + x * pdf;
    }
    case 4: return x > 0.0f ? 1.0f : 0.0f;
    case 5: return x > 0.0f ? 2.0f * x : 0.0f;
    case 6: { float t = xl_tanh(x); return 1.0f - t * t; }
    case 7: return xl_exp(x);
  }
  return 1.0f;
}

// y = act(x)
XL_KERNEL xl_act_fwd(float *y, const float *x, i64 act, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = xl_act(act, x[i]);
}

// dx = dy * act'(x)
XL_KERNEL xl_act_bwd(float *dx, const float *x, const float *dy, i64 act, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) dx[i] = dy[i] * xl_act_grad(act, x[i]);
}

// Gated unit on a (rows × 2P) input [g | u] (the sLSTM block's gated FFN and,
// with separate halves, SwiGLU): y[r, j] = act(g[r, j]) * u[r, j].
XL_KERNEL xl_glu_fwd(float *y, const float *gu, i64 act, i64 rows, i64 p) {
  for (i64 i = gid(); i < rows * p; i += gstride()) {
    i64 r = i / p, j = i % p;
    float g = gu[r * 2 * p + j], u = gu[r * 2 * p + p + j];
    y[i] = xl_act(act, g) * u;
  }
}

// The gradient of xl_glu_fwd: dgu = [dy·u·act'(g) | dy·act(g)].
XL_KERNEL xl_glu_bwd(float *dgu, const float *gu, const float *dy, i64 act, i64 rows, i64 p) {
  for (i64 i = gid(); i < rows * p; i += gstride()) {
    i64 r = i / p, j = i % p;
    float g = gu[r * 2 * p + j], u = gu[r * 2 * p + p + j];
    dgu[r * 2 * p + j] = dy[i] * u * xl_act_grad(act, g);
    dgu[r * 2 * p + p + j] = dy[i] * xl_act(act, g);
  }
}

// Embedding lookup: y[r, :] = table[tokens[r], :]; a token outside [0, vocab)
// gives a zero row (the host checks ids before launching).
XL_KERNEL xl_embed(float *y, const float *table, const int *tokens, i64 rows, i64 dim, i64 vocab) {
  for (i64 i = gid(); i < rows * dim; i += gstride()) {
    i64 r = i / dim, c = i % dim;
    int t = tokens[r];
    y[i] = (t >= 0 && t < vocab) ? table[(i64)t * dim + c] : 0.0f;
  }
}

// The embedding gradient, accumulated: dtable[tokens[r], c] += dy[r, c].
// One thread per column walks the rows in order: deterministic, no atomics,
// and rows × dim work instead of vocab × rows × dim. Zero dtable first.
XL_KERNEL xl_embed_bwd(float *dtable, const float *dy, const int *tokens, i64 rows, i64 dim, i64 vocab) {
  for (i64 c = gid(); c < dim; c += gstride()) {
    for (i64 r = 0; r < rows; r++) {
      int t = tokens[r];
      if (t >= 0 && t < vocab) dtable[(i64)t * dim + c] += dy[r * dim + c];
    }
  }
}
