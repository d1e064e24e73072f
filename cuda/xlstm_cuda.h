// xlstm_cuda.h: the few CUDA keywords, thread indices and float math the
// kernels need, so that clang compiles them to PTX with -nocudainc
// -nocudalib (no CUDA SDK, no libdevice). Everything here lowers to plain
// PTX instructions; no external function is ever called.
//
// Conventions of every kernel (the Go launcher relies on them):
//   - every parameter is 8 bytes: pointers, long long, double (gorgonia.org/cu
//     copies 8 bytes per argument);
//   - kernels with block reductions expect blockDim.x == XL_BLOCK (256);
//   - tensors are row-major float32 unless a name says otherwise.
#ifndef XLSTM_CUDA_H
#define XLSTM_CUDA_H

#ifndef XL_EMULATE
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __host__ __attribute__((host))
#define __forceinline__ __attribute__((always_inline))
#else
// CPU emulation (emu_cudaemu.cc): kernels become host functions run by one
// host thread per CUDA thread, one block at a time, so __shared__ arrays
// can be function statics shared by the block's threads.
#define __global__
#define __device__
#define __shared__ static
#define __host__
#define __forceinline__
#endif

#define XL_BLOCK 256
#define XL_KERNEL extern "C" __global__ void
#define XL_DEV static inline __device__ __forceinline__

typedef long long i64;

#ifndef XL_EMULATE
XL_DEV int tid_x() { return __nvvm_read_ptx_sreg_tid_x(); }
XL_DEV int tid_y() { return __nvvm_read_ptx_sreg_tid_y(); }
XL_DEV int ntid_x() { return __nvvm_read_ptx_sreg_ntid_x(); }
XL_DEV int ntid_y() { return __nvvm_read_ptx_sreg_ntid_y(); }
XL_DEV int ctaid_x() { return __nvvm_read_ptx_sreg_ctaid_x(); }
XL_DEV int ctaid_y() { return __nvvm_read_ptx_sreg_ctaid_y(); }
XL_DEV int ctaid_z() { return __nvvm_read_ptx_sreg_ctaid_z(); }
XL_DEV int nctaid_x() { return __nvvm_read_ptx_sreg_nctaid_x(); }

// xl_sync is __syncthreads: a barrier for every thread of the block.
XL_DEV void xl_sync() { __nvvm_bar_sync(0); }

// xl_atomic_min_i64 is atomicMin on a 64-bit signed integer.
XL_DEV void xl_atomic_min_i64(i64 *p, i64 v) { __nvvm_atom_min_gen_ll(p, v); }
#else
#include "emu.h"
#endif

// gid and gstride make grid-stride loops: for (i = gid(); i < n; i += gstride()).
XL_DEV i64 gid() { return (i64)ctaid_x() * ntid_x() + tid_x(); }
XL_DEV i64 gstride() { return (i64)nctaid_x() * ntid_x(); }

// ---- float math (accurate to a few ulp; no libdevice) ----

XL_DEV float xl_fabs(float x) { return __builtin_fabsf(x); }
XL_DEV float xl_fmax(float a, float b) { return a > b ? a : b; }
XL_DEV float xl_fmin(float a, float b) { return a < b ? a : b; }
XL_DEV float xl_sqrt(float x) { return __builtin_sqrtf(x); }
XL_DEV float xl_bits_float(unsigned int b) { return __builtin_bit_cast(float, b); }
XL_DEV unsigned int xl_float_bits(float f) { return __builtin_bit_cast(unsigned int, f); }
XL_DEV float xl_inf() { return xl_bits_float(0x7f800000u); }

// xl_exp: e^x by x = k·ln2 + r (|r| ≤ ln2/2, Cody-Waite split) and a
// degree-7 Taylor polynomial for e^r, scaled by 2^k in two steps so that
// results near the subnormal range stay right.
XL_DEV float xl_exp(float x) {
  if (x != x) return x;
  if (x > 88.7228391f) return xl_inf();
  if (x < -103.972084f) return 0.0f;
  float k = __builtin_rintf(x * 1.44269504089f);
  float r = __builtin_fmaf(-k, 0.693145751953125f, x);  // ln2 high part
  r = __builtin_fmaf(-k, 1.428606765330187e-06f, r);    // ln2 low part
  float p = 1.0f / 5040.0f;
  p = __builtin_fmaf(p, r, 1.0f / 720.0f);
  p = __builtin_fmaf(p, r, 1.0f / 120.0f);
  p = __builtin_fmaf(p, r, 1.0f / 24.0f);
  p = __builtin_fmaf(p, r, 1.0f / 6.0f);
  p = __builtin_fmaf(p, r, 0.5f);
  p = __builtin_fmaf(p, r, 1.0f);
  p = __builtin_fmaf(p, r, 1.0f);
  int ki = (int)k;
  int k1 = ki / 2, k2 = ki - k1;
  p *= xl_bits_float((unsigned int)(k1 + 127) << 23);
  return p * xl_bits_float((unsigned int)(k2 + 127) << 23);
}

// xl_expm1: e^x − 1 without cancellation for small |x|.
XL_DEV float xl_expm1(float x) {
  if (xl_fabs(x) < 0.25f) {
    float p = 1.0f / 40320.0f;
    p = __builtin_fmaf(p, x, 1.0f / 5040.0f);
    p = __builtin_fmaf(p, x, 1.0f / 720.0f);
    p = __builtin_fmaf(p, x, 1.0f / 120.0f);
    p = __builtin_fmaf(p, x, 1.0f / 24.0f);
    p = __builtin_fmaf(p, x, 1.0f / 6.0f);
    p = __builtin_fmaf(p, x, 0.5f);
    return __builtin_fmaf(p * x, x, x);
  }
  return xl_exp(x) - 1.0f;
}

// xl_log1p_small: log(1+u) for 0 ≤ u ≤ 1 via 2·atanh(u/(2+u)).
XL_DEV float xl_log1p_pos(float u) {
  float s = u / (2.0f + u);
  float s2 = s * s;
  float p = 1.0f / 13.0f;
  p = __builtin_fmaf(p, s2, 1.0f / 11.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 9.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 7.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 5.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 3.0f);
  p = __builtin_fmaf(p, s2, 1.0f);
  return 2.0f * s * p;
}

// xl_log: natural log for x > 0 (x = 2^e·m, m in [√½, √2)).
XL_DEV float xl_log(float x) {
  if (x != x || x < 0.0f) return xl_bits_float(0x7fc00000u);
  if (x == 0.0f) return -xl_inf();
  if (x == xl_inf()) return x;
  int e = 0;
  if (x < 1.17549435e-38f) {  // subnormal: scale up first
    x *= 8388608.0f;
    e = -23;
  }
  unsigned int b = xl_float_bits(x);
  e += (int)((b >> 23) & 0xff) - 127;
  float m = xl_bits_float((b & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  float s = (m - 1.0f) / (m + 1.0f);
  float s2 = s * s;
  float p = 1.0f / 11.0f;
  p = __builtin_fmaf(p, s2, 1.0f / 9.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 7.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 5.0f);
  p = __builtin_fmaf(p, s2, 1.0f / 3.0f);
  p = __builtin_fmaf(p, s2, 1.0f);
  float lm = 2.0f * s * p;
  return __builtin_fmaf((float)e, 0.693147180559945f, lm);
}

XL_DEV float xl_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + xl_exp(-x));
  float e = xl_exp(x);
  return e / (1.0f + e);
}

XL_DEV float xl_silu(float x) { return x * xl_sigmoid(x); }

// xl_logsigmoid: −log(1+e^−x), stable for large |x| (as runtime/model).
XL_DEV float xl_logsigmoid(float x) {
  if (x >= 0.0f) return -xl_log1p_pos(xl_exp(-x));
  return x - xl_log1p_pos(xl_exp(x));
}

XL_DEV float xl_tanh(float x) {
  float a = xl_fabs(x);
  float t;
  if (a > 9.0f) {
    t = 1.0f;
  } else {
    float e = xl_expm1(2.0f * a);
    t = e / (e + 2.0f);
  }
  return x < 0.0f ? -t : t;
}

// xl_erf: the Taylor series for |x| < 1 (where a rational fit would lose
// the relative accuracy GELU needs near zero), 1 − erfc for 1 ≤ |x| ≤ 4 with
// erfc from a Chebyshev fit of fractional error < 1.2e-7, and ±1 beyond.
XL_DEV float xl_erf(float x) {
  float a = xl_fabs(x);
  float r;
  if (a < 1.0f) {
    float x2 = a * a;
    // erf(x) = 2/√π · Σ (−1)^n x^(2n+1) / (n!(2n+1)), 10 terms for |x| < 1.
    float p = -1.0f / 6894720.0f;  // n = 9: 1/(9!·19)
    p = __builtin_fmaf(p, x2, 1.0f / 685440.0f);
    p = __builtin_fmaf(p, x2, -1.0f / 75600.0f);
    p = __builtin_fmaf(p, x2, 1.0f / 9360.0f);
    p = __builtin_fmaf(p, x2, -1.0f / 1320.0f);
    p = __builtin_fmaf(p, x2, 1.0f / 216.0f);
    p = __builtin_fmaf(p, x2, -1.0f / 42.0f);
    p = __builtin_fmaf(p, x2, 1.0f / 10.0f);
    p = __builtin_fmaf(p, x2, -1.0f / 3.0f);
    p = __builtin_fmaf(p, x2, 1.0f);
    r = 1.1283791670955126f * a * p;
  } else if (a > 4.0f) {
    r = 1.0f;
  } else {
    // erfc(a) = t·exp(−a² + P(t)), t = 1/(1+a/2) (Numerical Recipes erfcc,
    // fractional error < 1.2e-7).
    float t = 1.0f / (1.0f + 0.5f * a);
    float p = 0.17087277f;
    p = __builtin_fmaf(p, t, -0.82215223f);
    p = __builtin_fmaf(p, t, 1.48851587f);
    p = __builtin_fmaf(p, t, -1.13520398f);
    p = __builtin_fmaf(p, t, 0.27886807f);
    p = __builtin_fmaf(p, t, -0.18628806f);
    p = __builtin_fmaf(p, t, 0.09678418f);
    p = __builtin_fmaf(p, t, 0.37409196f);
    p = __builtin_fmaf(p, t, 1.00002368f);
    p = __builtin_fmaf(p, t, -1.26551223f);
    r = 1.0f - t * xl_exp(-a * a + p);
  }
  return x < 0.0f ? -r : r;
}

// xl_gelu: the exact erf form (torch.nn.functional.gelu default).
XL_DEV float xl_gelu(float x) { return 0.5f * x * (1.0f + xl_erf(x * 0.70710678118654752f)); }

// xl_block_sum: sum of v over the block (blockDim.x == XL_BLOCK, every
// thread calls it); buf is XL_BLOCK floats of shared memory. The sum comes
// back to every thread; the buffer is free again on return.
XL_DEV float xl_block_sum(float v, float *buf) {
  int t = tid_x();
  buf[t] = v;
  xl_sync();
  for (int s = XL_BLOCK / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
    xl_sync();
  }
  float r = buf[0];
  xl_sync();
  return r;
}

// xl_block_max: as xl_block_sum for the maximum.
XL_DEV float xl_block_max(float v, float *buf) {
  int t = tid_x();
  buf[t] = v;
  xl_sync();
  for (int s = XL_BLOCK / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] = xl_fmax(buf[t], buf[t + s]);
    xl_sync();
  }
  float r = buf[0];
  xl_sync();
  return r;
}

// xl_block_sum_d: as xl_block_sum in double precision.
XL_DEV double xl_block_sum_d(double v, double *buf) {
  int t = tid_x();
  buf[t] = v;
  xl_sync();
  for (int s = XL_BLOCK / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
    xl_sync();
  }
  double r = buf[0];
  xl_sync();
  return r;
}

#endif
