// AdamW with global-norm gradient clipping, in runtime/train's operation
// order (torch.optim.AdamW; torch.nn.utils.clip_grad_norm_ with its 1e-6
// guard). Per step the host launches xl_sumsq over every gradient tensor
// (accumulating partial sums), xl_clip_scale once, then xl_adamw per tensor;
// the clip factor stays on the device.
#include "xlstm_cuda.h"

// partial[ctaid] += Σ x² over this block's grid-stride share, in double.
// Launch with the same grid for every tensor of a step so that the partials
// line up; zero partial first.
XL_KERNEL xl_sumsq(double *partial, const float *g, i64 n) {
  __shared__ double buf[XL_BLOCK];
  double s = 0.0;
  for (i64 i = gid(); i < n; i += gstride()) s += (double)g[i] * (double)g[i];
  s = xl_block_sum_d(s, buf);
  if (tid_x() == 0) partial[ctaid_x()] += s;
}

// out[0] = the global norm √Σpartial (as float), out[1] = the factor that
// scales the gradients: min(1, maxNorm/(norm + 1e-6)), or 1 when maxNorm ≤ 0.
// One block.
XL_KERNEL xl_clip_scale(float *out, const double *partial, i64 nparts, double maxNorm) {
  __shared__ double buf[XL_BLOCK];
  double s = 0.0;
  for (i64 i = tid_x(); i < nparts; i += XL_BLOCK) s += partial[i];
  s = xl_block_sum_d(s, buf);
  if (tid_x() == 0) {
    double norm = __builtin_sqrt(s);
    double c = 1.0;
    if (maxNorm > 0.0) {
      double q = maxNorm / (norm + 1e-6);
      if (q < 1.0) c = q;
    }
    out[0] = (float)norm;
    out[1] = (float)c;
  }
}

// One AdamW step on n values: g ← g·clip[1] (when clip is non-null, as
// torch scales the gradients in place), w ← w·keep, then
// m ← β1m + (1−β1)g, v ← β2v + (1−β2)g², w ← w − stepSize·m/(√v/bc2 + eps).
// keep = 1 − lr·wd (1 for tensors without decay), stepSize = lr/(1−β1ᵗ),
// bc2 = √(1−β2ᵗ), all computed by the host in double and rounded here.
XL_KERNEL xl_adamw(float *w, float *g, float *m, float *v, const float *clip, i64 n, double keep,
                   double beta1, double beta2, double stepSize, double bc2, double eps) {
  float b1 = (float)beta1, b2 = (float)beta2;
  float c1 = (float)(1.0 - beta1), c2 = (float)(1.0 - beta2);
  float kp = (float)keep, ss = (float)stepSize, bc = (float)bc2, ep = (float)eps;
  float cs = clip ? clip[1] : 1.0f;
  for (i64 i = gid(); i < n; i += gstride()) {
    float gr = g[i];
    if (clip && cs < 1.0f) {
      gr *= cs;
      g[i] = gr;
    }
    float wi = w[i] * kp;
    float mi = m[i] * b1 + gr * c1;
    float vi = v[i] * b2 + gr * gr * c2;
    float den = (float)__builtin_sqrt((double)vi) / bc + ep;
    w[i] = wi - ss * (mi / den);
    m[i] = mi;
    v[i] = vi;
  }
}
