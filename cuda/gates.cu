// Gate soft-caps (xLSTM Large caps ĩ, f̃ at 15 and the logits at 30:
// cap(x) = c·tanh(x/c); c ≤ 0 is the identity) and the sLSTM output gate.
#include "xlstm_cuda.h"

XL_KERNEL xl_softcap_fwd(float *y, const float *x, double cap, i64 n) {
  float c = (float)cap;
  for (i64 i = gid(); i < n; i += gstride()) y[i] = c > 0.0f ? c * xl_tanh(x[i] / c) : x[i];
}

// dx = dy·(1 − tanh²(x/c))
XL_KERNEL xl_softcap_bwd(float *dx, const float *x, const float *dy, double cap, i64 n) {
  float c = (float)cap;
  for (i64 i = gid(); i < n; i += gstride()) {
    if (c > 0.0f) {
      float t = xl_tanh(x[i] / c);
      dx[i] = dy[i] * (1.0f - t * t);
    } else {
      dx[i] = dy[i];
    }
  }
}

// Output gating of xLSTM Large: y = h·σ(o).
XL_KERNEL xl_sigmoid_gate_fwd(float *y, const float *h, const float *o, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = h[i] * xl_sigmoid(o[i]);
}

// dh = dy·σ(o), do = dy·h·σ(o)(1 − σ(o)).
XL_KERNEL xl_sigmoid_gate_bwd(float *dh, float *dout, const float *h, const float *o, const float *dy,
                              i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) {
    float s = xl_sigmoid(o[i]);
    dh[i] = dy[i] * s;
    dout[i] = dy[i] * h[i] * s * (1.0f - s);
  }
}

// The original LM's mLSTM output: y = (h + skip·a)·silu(z), per (rows × n)
// with skip (n); z rows have stride zstride (z is the second half of proj_up).
XL_KERNEL xl_mlstm_out_fwd(float *y, const float *h, const float *skip, const float *a,
                           const float *z, i64 rows, i64 n, i64 zstride) {
  for (i64 i = gid(); i < rows * n; i += gstride()) {
    i64 r = i / n, j = i % n;
    y[i] = (h[i] + skip[j] * a[i]) * xl_silu(z[r * zstride + j]);
  }
}

// Gradients of xl_mlstm_out_fwd: dh, da (element-wise; written), dz (into
// the strided z layout; written).
XL_KERNEL xl_mlstm_out_bwd(float *dh, float *da, float *dz, const float *h, const float *skip,
                           const float *a, const float *z, const float *dy, i64 rows, i64 n,
                           i64 zstride) {
  for (i64 i = gid(); i < rows * n; i += gstride()) {
    i64 r = i / n, j = i % n;
    float zz = z[r * zstride + j];
    float s = xl_sigmoid(zz);
    float sz = zz * s;
    float g = dy[i] * sz;
    dh[i] = g;
    da[i] = g * skip[j];
    dz[r * zstride + j] = dy[i] * (h[i] + skip[j] * a[i]) * s * (1.0f + zz * (1.0f - s));
  }
}

// dskip[j] = Σ_r dy·a·silu(z) (one thread per column, rows in order).
XL_KERNEL xl_mlstm_out_bwd_skip(float *dskip, const float *a, const float *z, const float *dy, i64 rows,
                                i64 n, i64 zstride) {
  for (i64 j = gid(); j < n; j += gstride()) {
    float s = 0.0f;
    for (i64 r = 0; r < rows; r++) s += dy[r * n + j] * a[r * n + j] * xl_silu(z[r * zstride + j]);
    dskip[j] = s;
  }
}
