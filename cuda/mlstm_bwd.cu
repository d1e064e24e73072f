// mLSTM cell backward: the exact gradient of xl_mlstm_fwd run from a zero
// memory (training), in the equivalent quadratic form. With F_t the
// cumulative logσ(f̃) from the sequence start, the chunkwise forward equals
//
//   P_tj = e^{F_t−F_j+ĩ_j−m_t} · s_tj,  s_tj = qs·ks·(q_t·k_j)   (j ≤ t)
//   h̃_t = Σ_j P_tj v_j / den_t,  den_t = max(|Σ_j P_tj|, e^{−m_t}) + eps
//   m_t = max(F_t, max_{j≤t}(F_t − F_j + ĩ_j))        (the chunkwise m_t)
//
// and the gradient follows it, m_t included (its subgradient goes to the
// maximising term, so finite differences of the forward agree). Four
// launches: prep (per head: F, den terms), rows (per position t: dq and the
// row sums), cols (per position j: dk, dv, dĩ), gates (per head: df̃).
// Scratch arrays are (B, NH, S) floats/ints, indexed bh·S + t.
#include "xlstm_cuda.h"

// xl_mlstm_den recomputes den_t from the saved m_t and q̂·n_t.
XL_DEV float xl_mlstm_den(float m, float qn, float eps) { return xl_fmax(xl_fabs(qn), xl_exp(-m)) + eps; }

// prep: one block per (b, head). F (cumulative logσ(f̃)); dqn_t and dmd_t,
// the gradients of the loss through den_t into q̂·n_t and into m_t.
XL_KERNEL xl_mlstm_bwd_prep(float *fcum, float *dqn, float *dmd, const float *h, const float *dh,
                            const float *mrow, const float *qnrow, const float *fg, i64 batch, i64 seq,
                            i64 nh, i64 dv, i64 hstride, i64 gstride, double epsd) {
  const float eps = (float)epsd;
  for (i64 bh = ctaid_x(); bh < batch * nh; bh += nctaid_x()) {
    i64 b = bh / nh, hh = bh % nh;
    if (tid_x() == 0) {
      float acc = 0.0f;
      for (i64 t = 0; t < seq; t++) {
        acc += xl_logsigmoid(fg[(b * seq + t) * gstride + hh]);
        fcum[bh * seq + t] = acc;
      }
    }
    for (i64 t = tid_x(); t < seq; t += XL_BLOCK) {
      const float *ht = h + (b * seq + t) * hstride + hh * dv, *gt = dh + (b * seq + t) * hstride + hh * dv;
      float d = 0.0f;
      for (i64 c = 0; c < dv; c++) d += gt[c] * ht[c];
      float m = mrow[bh * seq + t], qn = qnrow[bh * seq + t];
      float dden = -d / xl_mlstm_den(m, qn, eps);
      float floor = xl_exp(-m);
      if (xl_fabs(qn) > floor) {
        dqn[bh * seq + t] = qn > 0.0f ? dden : -dden;
        dmd[bh * seq + t] = 0.0f;
      } else {
        dqn[bh * seq + t] = 0.0f;
        dmd[bh * seq + t] = -dden * floor;
      }
    }
    xl_sync();
  }
}

// xl_mlstm_pair computes, for one (t, j ≤ t), P_tj, dP_tj·P_tj (= dlogD)
// and ds_tj·(1/(qs·ks)) (so dq, dk scale once at the end).
XL_DEV void xl_mlstm_pair(const float *qt, const float *kj, const float *vj, const float *dht, i64 dk,
                          i64 dv, float logd, float m, float den, float dqn, float qsks, float *P,
                          float *dlog, float *dsu, float *gscale) {
  float d = 0.0f;
  for (i64 a = 0; a < dk; a++) d += qt[a] * kj[a];
  float gv = 0.0f;
  for (i64 c = 0; c < dv; c++) gv += dht[c] * vj[c];
  float e = xl_exp(logd - m);
  float s = d * qsks;
  float p = e * s;
  float dP = gv / den + dqn;
  *P = p;
  *dlog = dP * p;
  *dsu = dP * e;
  *gscale = 1.0f / den;
}

// rows: one block per (b, head, t). dq_t (written into dq's q layout); rowF_t
// (the row's contribution to dF_t, with m_t's gradient routed to its
// maximising term); jstar_t (that term's j, −1 for the F_t term) and dmt_t
// (m_t's total gradient) for the column pass.
XL_KERNEL xl_mlstm_bwd_rows(float *dq, float *rowF, int *jstar, float *dmt, const float *q,
                            const float *k, const float *v, const float *ig, const float *dh,
                            const float *fcum, const float *dqn, const float *dmd, const float *mrow,
                            const float *qnrow, i64 batch, i64 seq, i64 nh, i64 dk, i64 dv,
                            i64 qstride, i64 kstride, i64 vstride, i64 hstride, i64 gstride, double qsd,
                            double ksd, double epsd) {
  __shared__ float ds[XL_BLOCK];
  __shared__ float buf[XL_BLOCK];
  const float qsks = (float)qsd * (float)ksd, eps = (float)epsd;
  for (i64 blk = ctaid_x(); blk < batch * nh * seq; blk += nctaid_x()) {
    i64 bh = blk / seq, t = blk % seq, b = bh / nh, hh = bh % nh;
    i64 rt = b * seq + t;
    const float *qt = q + rt * qstride + hh * dk, *dht = dh + rt * hstride + hh * dv;
    float m = mrow[bh * seq + t], den = xl_mlstm_den(m, qnrow[bh * seq + t], eps);
    float Ft = fcum[bh * seq + t], dq_n = dqn[bh * seq + t];
    // Accumulators for dq: thread a < dk holds dq[a] (looping when dk > XL_BLOCK).
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};  // dk ≤ 4·XL_BLOCK
    float rowsum = 0.0f;
    float best = Ft;  // the F_t + m₀ term (m₀ = 0)
    int bestj = -1;
    for (i64 j0 = 0; j0 <= t; j0 += XL_BLOCK) {
      i64 j = j0 + tid_x();
      float dsu = 0.0f;
      if (j <= t) {
        i64 rj = b * seq + j;
        float Fj = fcum[bh * seq + j], ij = ig[rj * gstride + hh];
        float logd = Ft - Fj + ij;
        float P, dlog, gs;
        xl_mlstm_pair(qt, k + rj * kstride + hh * dk, v + rj * vstride + hh * dv, dht, dk, dv, logd, m,
                      den, dq_n, qsks, &P, &dlog, &dsu, &gs);
        rowsum += dlog;
        if (logd > best) {
          best = logd;
          bestj = (int)j;
        }
      }
      ds[tid_x()] = dsu;
      xl_sync();
      i64 jn = t - j0 + 1 < XL_BLOCK ? t - j0 + 1 : XL_BLOCK;
      for (int u = 0; u < 4; u++) {
        i64 a = tid_x() + (i64)u * XL_BLOCK;
        if (a >= dk) break;
        float s = 0.0f;
        for (i64 jj = 0; jj < jn; jj++) s += ds[jj] * k[(b * seq + j0 + jj) * kstride + hh * dk + a];
        acc[u] += s;
      }
      xl_sync();
    }
    for (int u = 0; u < 4; u++) {
      i64 a = tid_x() + (i64)u * XL_BLOCK;
      if (a < dk) dq[rt * qstride + hh * dk + a] = acc[u] * qsks;
    }
    float A = xl_block_sum(rowsum, buf);
    // The maximising term over the block: largest value, then smallest j
    // (−1, the F_t term, wins ties as the forward's max starts from it).
    buf[tid_x()] = best;
    ds[tid_x()] = (float)bestj;
    xl_sync();
    if (tid_x() == 0) {
      float bv = Ft;
      int bj = -1;
      for (int u = 0; u < XL_BLOCK; u++) {
        if (buf[u] > bv) {
          bv = buf[u];
          bj = (int)ds[u];
        }
      }
      float dm = dmd[bh * seq + t] - A;  // through den, and through every e^{−m_t}
      rowF[bh * seq + t] = A + dm;
      jstar[bh * seq + t] = bj;
      dmt[bh * seq + t] = dm;
    }
    xl_sync();
  }
}

// cols: one block per (b, head, j). dk_j, dv_j (written into their layouts)
// and di_j = Σ_t dlogD_tj plus the m_t gradients routed to j.
XL_KERNEL xl_mlstm_bwd_cols(float *dk_, float *dv_, float *di, const float *q, const float *k,
                            const float *v, const float *ig, const float *dh, const float *fcum,
                            const float *dqn, const int *jstar, const float *dmt, const float *mrow,
                            const float *qnrow, i64 batch, i64 seq, i64 nh, i64 dk, i64 dv,
                            i64 qstride, i64 kstride, i64 vstride, i64 hstride, i64 gstride, double qsd,
                            double ksd, double epsd) {
  __shared__ float ds[XL_BLOCK], pp[XL_BLOCK], gsc[XL_BLOCK];
  __shared__ float buf[XL_BLOCK];
  const float qsks = (float)qsd * (float)ksd, eps = (float)epsd;
  for (i64 blk = ctaid_x(); blk < batch * nh * seq; blk += nctaid_x()) {
    i64 bh = blk / seq, j = blk % seq, b = bh / nh, hh = bh % nh;
    i64 rj = b * seq + j;
    const float *kj = k + rj * kstride + hh * dk, *vj = v + rj * vstride + hh * dv;
    float Fj = fcum[bh * seq + j], ij = ig[rj * gstride + hh];
    float accK[4] = {0.0f, 0.0f, 0.0f, 0.0f}, accV[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    float colsum = 0.0f;
    for (i64 t0 = j; t0 < seq; t0 += XL_BLOCK) {
      i64 t = t0 + tid_x();
      float dsu = 0.0f, P = 0.0f, gs = 0.0f;
      if (t < seq) {
        i64 rt = b * seq + t;
        float m = mrow[bh * seq + t], den = xl_mlstm_den(m, qnrow[bh * seq + t], eps);
        float dlog;
        xl_mlstm_pair(q + rt * qstride + hh * dk, kj, vj, dh + rt * hstride + hh * dv, dk, dv,
                      fcum[bh * seq + t] - Fj + ij, m, den, dqn[bh * seq + t], qsks, &P, &dlog, &dsu,
                      &gs);
        colsum += dlog;
        if (jstar[bh * seq + t] == (int)j) colsum += dmt[bh * seq + t];
      }
      ds[tid_x()] = dsu;
      pp[tid_x()] = P;
      gsc[tid_x()] = gs;
      xl_sync();
      i64 tn = seq - t0 < XL_BLOCK ? seq - t0 : XL_BLOCK;
      for (int u = 0; u < 4; u++) {
        i64 a = tid_x() + (i64)u * XL_BLOCK;
        if (a >= dk) break;
        float s = 0.0f;
        for (i64 tt = 0; tt < tn; tt++) s += ds[tt] * q[(b * seq + t0 + tt) * qstride + hh * dk + a];
        accK[u] += s;
      }
      for (int u = 0; u < 4; u++) {
        i64 c = tid_x() + (i64)u * XL_BLOCK;
        if (c >= dv) break;
        float s = 0.0f;
        for (i64 tt = 0; tt < tn; tt++)
          s += pp[tt] * gsc[tt] * dh[(b * seq + t0 + tt) * hstride + hh * dv + c];
        accV[u] += s;
      }
      xl_sync();
    }
    for (int u = 0; u < 4; u++) {
      i64 a = tid_x() + (i64)u * XL_BLOCK;
      if (a < dk) dk_[rj * kstride + hh * dk + a] = accK[u] * qsks;
      i64 c = tid_x() + (i64)u * XL_BLOCK;
      if (c < dv) dv_[rj * vstride + hh * dv + c] = accV[u];
    }
    float B = xl_block_sum(colsum, buf);
    if (tid_x() == 0) di[bh * seq + j] = B;
    xl_sync();
  }
}

// gates: one thread per (b, head). dĩ_j = di_j; dF_t = rowF_t − di_t, and
// df̃_u = σ(−f̃_u)·Σ_{t≥u} dF_t. Written into the gate layout (dig, dfg with
// the forward's gstride).
XL_KERNEL xl_mlstm_bwd_gates(float *dig, float *dfg, const float *fg, const float *rowF,
                             const float *di, i64 batch, i64 seq, i64 nh, i64 gs) {
  for (i64 bh = gid(); bh < batch * nh; bh += gstride()) {
    i64 b = bh / nh, hh = bh % nh;
    float suffix = 0.0f;
    for (i64 t = seq - 1; t >= 0; t--) {
      i64 r = b * seq + t;
      suffix += rowF[bh * seq + t] - di[bh * seq + t];
      dfg[r * gs + hh] = suffix * xl_sigmoid(-fg[r * gs + hh]);
      dig[r * gs + hh] = di[bh * seq + t];
    }
  }
}
