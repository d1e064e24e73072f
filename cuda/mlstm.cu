// mLSTM cell, chunkwise forward (SPEC §8.1; runtime/model mlstmHead.chunkwise).
//
// One block (XL_BLOCK threads) per (batch, head) walks the sequence in chunks
// of L ≤ XL_MLSTM_CHUNK positions. Within a chunk, with b_t the cumulative
// logσ(f̃) and (C, n, m) the memory at the chunk's start:
//
//   m_t = max(b_t + m, max_{j≤t}(b_t − b_j + ĩ_j))
//   h̃_t = (e^{b_t+m−m_t} q̂ᵀC + Σ_j e^{b_t−b_j+ĩ_j−m_t}(q̂·k̂_j) v_j) / den_t
//   den_t = max(|e^{b_t+m−m_t} q̂·n + Σ_j e^{…}(q̂·k̂_j)|, e^{−m_t}) + eps
//
// then the memory moves to the chunk's end. q̂ = qs·q, k̂ = ks·k (the
// original LM scales keys, xLSTM Large queries).
//
// Layouts: row r = b·S + t of q, k, v, h has stride qstride, kstride,
// vstride, hstride, and head hh starts at column hh·DK (q, k) or hh·DV (v,
// h). ĩ and f̃ are read at ig[r·gstride + hh], fg[r·gstride + hh]. The
// memory c (B, NH, DK, DV), n (B, NH, DK), m (B, NH) is read and updated in
// place (zero it for a fresh sequence). mrow and qnrow (B, NH, S), when
// non-null, receive m_t and the signed normaliser q̂·n_t for the backward.
#include "xlstm_cuda.h"

#define XL_MLSTM_CHUNK 64

XL_KERNEL xl_mlstm_fwd(float *h, float *cst, float *nst, float *mst, float *mrow, float *qnrow,
                       const float *q, const float *k, const float *v, const float *ig,
                       const float *fg, i64 batch, i64 seq, i64 nh, i64 dk, i64 dv, i64 chunk,
                       i64 qstride, i64 kstride, i64 vstride, i64 hstride, i64 gstride, double qsd,
                       double ksd, double epsd) {
  __shared__ float cum[XL_MLSTM_CHUNK], ii[XL_MLSTM_CHUNK], mt[XL_MLSTM_CHUNK];
  __shared__ float inter[XL_MLSTM_CHUNK], den[XL_MLSTM_CHUNK], wend[XL_MLSTM_CHUNK];
  __shared__ float sc[XL_MLSTM_CHUNK][XL_MLSTM_CHUNK];
  __shared__ float mend[1];
  const float qs = (float)qsd, ks = (float)ksd, eps = (float)epsd;
  if (chunk > XL_MLSTM_CHUNK) chunk = XL_MLSTM_CHUNK;
  for (i64 bh = ctaid_x(); bh < batch * nh; bh += nctaid_x()) {
    i64 b = bh / nh, hh = bh % nh;
    float *C = cst + bh * dk * dv, *N = nst + bh * dk;
    float mPrev = mst[bh];
    for (i64 start = 0; start < seq; start += chunk) {
      i64 L = seq - start < chunk ? seq - start : chunk;
      i64 r0 = b * seq + start;  // row of the chunk's first position
      if (tid_x() == 0) {
        float acc = 0.0f;
        for (i64 t = 0; t < L; t++) {
          acc += xl_logsigmoid(fg[(r0 + t) * gstride + hh]);
          cum[t] = acc;
          ii[t] = ig[(r0 + t) * gstride + hh];
        }
        float last = cum[L - 1], me = last + mPrev;
        for (i64 j = 0; j < L; j++) me = xl_fmax(me, last - cum[j] + ii[j]);
        mend[0] = me;
      }
      xl_sync();
      for (i64 t = tid_x(); t < L; t += XL_BLOCK) {
        float m = cum[t] + mPrev;
        for (i64 j = 0; j <= t; j++) m = xl_fmax(m, cum[t] - cum[j] + ii[j]);
        mt[t] = m;
        inter[t] = xl_exp(cum[t] + mPrev - m);
      }
      {
        float me = mend[0];
        for (i64 j = tid_x(); j < L; j += XL_BLOCK) wend[j] = xl_exp(cum[L - 1] - cum[j] + ii[j] - me);
      }
      xl_sync();
      // Intra-chunk scores e^{b_t−b_j+ĩ_j−m_t}·(q·k_j)·qs·ks, zero above the diagonal.
      for (i64 p = tid_x(); p < L * L; p += XL_BLOCK) {
        i64 t = p / L, j = p % L;
        float s = 0.0f;
        if (j <= t) {
          const float *qt = q + (r0 + t) * qstride + hh * dk, *kj = k + (r0 + j) * kstride + hh * dk;
          float d = 0.0f;
          for (i64 a = 0; a < dk; a++) d += qt[a] * kj[a];
          s = xl_exp(cum[t] - cum[j] + ii[j] - mt[t]) * d * qs * ks;
        }
        sc[t][j] = s;
      }
      xl_sync();
      for (i64 t = tid_x(); t < L; t += XL_BLOCK) {
        const float *qt = q + (r0 + t) * qstride + hh * dk;
        float qn = 0.0f;
        for (i64 a = 0; a < dk; a++) qn += qt[a] * qs * inter[t] * N[a];
        for (i64 j = 0; j <= t; j++) qn += sc[t][j];
        den[t] = xl_fmax(xl_fabs(qn), xl_exp(-mt[t])) + eps;
        if (mrow) mrow[bh * seq + start + t] = mt[t];
        if (qnrow) qnrow[bh * seq + start + t] = qn;
      }
      xl_sync();
      for (i64 p = tid_x(); p < L * dv; p += XL_BLOCK) {
        i64 t = p / dv, c = p % dv;
        const float *qt = q + (r0 + t) * qstride + hh * dk;
        float acc = 0.0f;
        for (i64 a = 0; a < dk; a++) acc += qt[a] * qs * inter[t] * C[a * dv + c];
        for (i64 j = 0; j <= t; j++) acc += sc[t][j] * v[(r0 + j) * vstride + hh * dv + c];
        h[(r0 + t) * hstride + hh * dv + c] = acc / den[t];
      }
      xl_sync();  // every read of C and n is done
      float me = mend[0];
      float g = xl_exp(cum[L - 1] + mPrev - me);
      for (i64 p = tid_x(); p < dk * dv; p += XL_BLOCK) {
        i64 a = p / dv, c = p % dv;
        float acc = C[p] * g;
        for (i64 j = 0; j < L; j++)
          acc += wend[j] * k[(r0 + j) * kstride + hh * dk + a] * ks * v[(r0 + j) * vstride + hh * dv + c];
        C[p] = acc;
      }
      for (i64 a = tid_x(); a < dk; a += XL_BLOCK) {
        float acc = N[a] * g;
        for (i64 j = 0; j < L; j++) acc += wend[j] * k[(r0 + j) * kstride + hh * dk + a] * ks;
        N[a] = acc;
      }
      mPrev = me;
      xl_sync();
    }
    if (tid_x() == 0) mst[bh] = mPrev;
    xl_sync();
  }
}
