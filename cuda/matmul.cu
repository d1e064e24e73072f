// Our own tiled float32 matrix product (no cuBLAS: one PTX module, libcuda
// only, and float32 FMA arithmetic that the parity tests can hold to 1e-4;
// tensor-core TF32 would not meet that).
//
//   C[z] = alpha · op(A[z]) · op(B[z]) + beta · C[z],  z < batch (grid z)
//
// op(A) is (M × K): A is (M × K) row-major, or (K × M) with transA. op(B) is
// (K × N): B is (K × N), or (N × K) with transB (a torch Linear weight). lda,
// ldb, ldc are row strides; sa, sb, sc the batch strides (in elements). With
// beta == 0, C is not read. Blocks are 16×16 threads computing a 64×64 tile
// of C, 4×4 values each, over K in steps of 16 through shared memory.
#include "xlstm_cuda.h"

#define TM 64
#define TN 64
#define TK 16

XL_KERNEL xl_gemm(float *c, const float *a, const float *b, i64 m, i64 n, i64 k, i64 transA,
                  i64 transB, i64 lda, i64 ldb, i64 ldc, i64 sa, i64 sb, i64 sc, double alpha,
                  double beta) {
  __shared__ float as[TK][TM + 1];
  __shared__ float bs[TK][TN + 1];
  i64 z = ctaid_z();
  a += z * sa;
  b += z * sb;
  c += z * sc;
  int tx = tid_x(), ty = tid_y();  // 16 × 16
  int lin = ty * 16 + tx;
  i64 row0 = (i64)ctaid_y() * TM, col0 = (i64)ctaid_x() * TN;
  float acc[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

  for (i64 k0 = 0; k0 < k; k0 += TK) {
    // Load a TK × TM tile of op(A) and a TK × TN tile of op(B): 1024 values
    // each, 4 per thread.
    for (int e = lin; e < TK * TM; e += 256) {
      int kk, mm;
      if (transA) {  // consecutive threads read consecutive m
        kk = e / TM;
        mm = e % TM;
      } else {  // consecutive threads read consecutive k
        mm = e / TK;
        kk = e % TK;
      }
      i64 gr = row0 + mm, gk = k0 + kk;
      float v = 0.0f;
      if (gr < m && gk < k) v = transA ? a[gk * lda + gr] : a[gr * lda + gk];
      as[kk][mm] = v;
    }
    for (int e = lin; e < TK * TN; e += 256) {
      int kk, nn;
      if (transB) {
        nn = e / TK;
        kk = e % TK;
      } else {
        kk = e / TN;
        nn = e % TN;
      }
      i64 gc = col0 + nn, gk = k0 + kk;
      float v = 0.0f;
      if (gc < n && gk < k) v = transB ? b[gc * ldb + gk] : b[gk * ldb + gc];
      bs[kk][nn] = v;
    }
    xl_sync();
    for (int kk = 0; kk < TK; kk++) {
      float ra[4], rb[4];
      for (int i = 0; i < 4; i++) ra[i] = as[kk][ty + 16 * i];
      for (int j = 0; j < 4; j++) rb[j] = bs[kk][tx + 16 * j];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = __builtin_fmaf(ra[i], rb[j], acc[i][j]);
    }
    xl_sync();
  }
  float al = (float)alpha, be = (float)beta;
  for (int i = 0; i < 4; i++) {
    i64 r = row0 + ty + 16 * i;
    if (r >= m) continue;
    for (int j = 0; j < 4; j++) {
      i64 cc = col0 + tx + 16 * j;
      if (cc >= n) continue;
      float v = al * acc[i][j];
      if (be != 0.0f) v += be * c[r * ldc + cc];
      c[r * ldc + cc] = v;
    }
  }
}
