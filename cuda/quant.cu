// Weight format conversions for cmd/convert, bit-exact with weights/quant:
// f32 → f16 / bf16 (round to nearest even), bf16/f16 → f32, and symmetric
// group quantisation q8 (int8 codes in [−127, 127]) and q4 (codes in
// [−7, 7], two per byte, low nibble first), one f16 scale per group of G
// consecutive values: s = f16(max|x|/qmax), code = rint(x·(1/s)) clamped.
// Payload: all codes, then all scales (the host copies the two arrays out).
#include "xlstm_cuda.h"

XL_DEV unsigned short xl_f32_to_f16(float f) {
  unsigned int b = xl_float_bits(f);
  unsigned short sign = (unsigned short)((b >> 16) & 0x8000u);
  int e8 = (int)((b >> 23) & 0xffu);
  unsigned int man = b & 0x7fffffu;
  if (e8 == 0xff) return sign | (man ? 0x7e00 : 0x7c00);
  int e = e8 - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000u;
    unsigned int shift = (unsigned int)(14 - e);
    unsigned int half = 1u << (shift - 1);
    unsigned int rest = man & ((1u << shift) - 1);
    unsigned int out = man >> shift;
    if (rest > half || (rest == half && (out & 1u))) out++;
    return sign | (unsigned short)out;
  }
  unsigned int out = ((unsigned int)e << 10) | (man >> 13);
  unsigned int rest = man & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (out & 1u))) out++;
  return sign | (unsigned short)out;
}

XL_DEV float xl_f16_to_f32(unsigned short h) {
  unsigned int sign = (unsigned int)(h >> 15) << 31;
  unsigned int e = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (e == 0x1f) return xl_bits_float(sign | 0x7f800000u | (man << 13));
  if (e != 0) return xl_bits_float(sign | ((e + 112) << 23) | (man << 13));
  if (man == 0) return xl_bits_float(sign);
  float f = (float)man * (1.0f / 16777216.0f);
  return sign ? -f : f;
}

XL_DEV unsigned short xl_f32_to_bf16(float f) {
  unsigned int b = xl_float_bits(f);
  if ((b & 0x7fffffffu) > 0x7f800000u) return (unsigned short)(b >> 16) | 0x40;
  b += 0x7fffu + ((b >> 16) & 1u);
  return (unsigned short)(b >> 16);
}

XL_KERNEL xl_f32_to_f16_k(unsigned short *y, const float *x, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = xl_f32_to_f16(x[i]);
}

XL_KERNEL xl_f32_to_bf16_k(unsigned short *y, const float *x, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = xl_f32_to_bf16(x[i]);
}

XL_KERNEL xl_f16_to_f32_k(float *y, const unsigned short *x, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = xl_f16_to_f32(x[i]);
}

XL_KERNEL xl_bf16_to_f32_k(float *y, const unsigned short *x, i64 n) {
  for (i64 i = gid(); i < n; i += gstride()) y[i] = xl_bits_float((unsigned int)x[i] << 16);
}

// xl_code rounds v to the nearest integer (ties to even) and clamps it.
XL_DEV int xl_code(float v, int qmax) {
  int q = (int)__builtin_rintf(v);
  return q > qmax ? qmax : (q < -qmax ? -qmax : q);
}

// xl_quantize: one thread per group of n/group groups; bits is 8 or 4.
// A group holding NaN/Inf or needing a scale beyond f16 stores min(group
// index) into *bad (set it to a large value first; the host names the
// element by checking that group on the CPU).
XL_KERNEL xl_quantize(unsigned char *codes, unsigned short *scales, i64 *bad, const float *x, i64 n,
                      i64 group, i64 bits) {
  float qmax = bits == 4 ? 7.0f : 127.0f;
  for (i64 g = gid(); g * group < n; g += gstride()) {
    const float *xg = x + g * group;
    unsigned int amaxBits = 0;
    for (i64 i = 0; i < group; i++) {
      unsigned int b = xl_float_bits(xg[i]) & 0x7fffffffu;
      amaxBits = b > amaxBits ? b : amaxBits;
    }
    float amax = xl_bits_float(amaxBits);
    if (amaxBits >= 0x7f800000u || amax / qmax > 65504.0f) {
      xl_atomic_min_i64(bad, g);
      continue;
    }
    unsigned short sb = xl_f32_to_f16(amax / qmax);
    scales[g] = sb;
    float s = xl_f16_to_f32(sb);
    float inv = s != 0.0f ? 1.0f / s : 0.0f;
    if (bits == 8) {
      for (i64 i = 0; i < group; i++) codes[g * group + i] = (unsigned char)(signed char)xl_code(xg[i] * inv, 127);
    } else {
      for (i64 i = 0; i < group / 2; i++) {
        int lo = xl_code(xg[2 * i] * inv, 7), hi = xl_code(xg[2 * i + 1] * inv, 7);
        codes[g * group / 2 + i] = (unsigned char)((lo & 0x0f) | (hi << 4));
      }
    }
  }
}

// xl_dequantize: the inverse of xl_quantize, one thread per value.
XL_KERNEL xl_dequantize(float *y, const unsigned char *codes, const unsigned short *scales, i64 n,
                        i64 group, i64 bits) {
  for (i64 i = gid(); i < n; i += gstride()) {
    float s = xl_f16_to_f32(scales[i / group]);
    int c;
    if (bits == 8) {
      c = (signed char)codes[i];
    } else {
      unsigned char byte = codes[i / 2];
      c = (i & 1) ? ((signed char)byte >> 4) : ((signed char)(unsigned char)(byte << 4) >> 4);
    }
    y[i] = (float)c * s;
  }
}
