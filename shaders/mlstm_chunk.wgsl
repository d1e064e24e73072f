// mLSTM cell, chunkwise form (SPEC §8.1; runtime/model mlstmHead.chunkwise),
// one workgroup per head, over the tokens t < seq[0] in chunks of p.cs ≤ 64,
// from and to the memory in mem ([C (nh×dk×dv) | n (nh×dk) | m (nh)]).
// Within a chunk, with b_t the cumulative logσ(f̃) up to t:
//   m_t = max(b_t + m_prev, max_{j≤t}(b_t − b_j + ĩ_j))
//   h̃_t ∝ e^{b_t+m_prev−m_t} q̂ᵀC_prev + Σ_{j≤t} e^{b_t−b_j+ĩ_j−m_t} (q̂·k̂_j) v_j
// and the memory moves to the chunk's end the same way. sc is scratch
// (nh × 64 × 64) for the intra-chunk weights.
struct P {
  nh: u32, dk: u32, dv: u32, qst: u32,
  qo: u32, kst: u32, ko: u32, vst: u32,
  vo: u32, gst: u32, io: u32, fo: u32,
  hst: u32, ho: u32, cs: u32, p1: u32,
  qs: f32, ks: f32, eps: f32, p2: u32,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read> g: array<f32>;
@group(0) @binding(6) var<storage, read_write> mem: array<f32>;
@group(0) @binding(7) var<storage, read_write> h: array<f32>;
@group(0) @binding(8) var<storage, read_write> sc: array<f32>;

const WG: u32 = 256u;
const L: u32 = 64u;
var<workgroup> cum: array<f32, 64>;
var<workgroup> ig: array<f32, 64>;
var<workgroup> mt: array<f32, 64>;
var<workgroup> inter: array<f32, 64>;
var<workgroup> den: array<f32, 64>;
var<workgroup> wend: array<f32, 64>;

fn logsigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return -log(1.0 + exp(-x)); }
  return x - log(1.0 + exp(x));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let hh = wid.x;
  if (hh >= p.nh) { return; }
  let s = seq[0];
  let dk = p.dk;
  let dv = p.dv;
  let cb = hh * dk * dv;
  let nb = p.nh * dk * dv + hh * dk;
  let mb = p.nh * dk * dv + p.nh * dk + hh;
  let sb = hh * L * L;
  var mprev = mem[mb];
  for (var s0 = 0u; s0 < s; s0 += p.cs) {
    let l = min(p.cs, s - s0);
    if (li == 0u) {
      var acc = 0.0;
      for (var t = 0u; t < l; t++) {
        acc += logsigmoid(g[(s0 + t) * p.gst + p.fo + hh]);
        cum[t] = acc;
        ig[t] = g[(s0 + t) * p.gst + p.io + hh];
      }
    }
    workgroupBarrier();
    if (li < l) {
      let t = li;
      var m = cum[t] + mprev;
      for (var j = 0u; j <= t; j++) { m = max(m, cum[t] - cum[j] + ig[j]); }
      mt[t] = m;
      inter[t] = exp(cum[t] + mprev - m);
    }
    workgroupBarrier();
    // Intra-chunk weights W[t][j] = e^{b_t−b_j+ĩ_j−m_t} (q̂_t·k̂_j).
    for (var e = li; e < l * l; e += WG) {
      let t = e / l;
      let j = e % l;
      var w = 0.0;
      if (j <= t) {
        let qb = (s0 + t) * p.qst + p.qo + hh * dk;
        let kb = (s0 + j) * p.kst + p.ko + hh * dk;
        var d = 0.0;
        for (var a = 0u; a < dk; a++) { d += q[qb + a] * k[kb + a]; }
        w = exp(cum[t] - cum[j] + ig[j] - mt[t]) * d * p.qs * p.ks;
      }
      sc[sb + t * L + j] = w;
    }
    storageBarrier();
    workgroupBarrier();
    if (li < l) {
      let t = li;
      let qb = (s0 + t) * p.qst + p.qo + hh * dk;
      var qn = 0.0;
      for (var a = 0u; a < dk; a++) { qn += q[qb + a] * p.qs * inter[t] * mem[nb + a]; }
      for (var j = 0u; j <= t; j++) { qn += sc[sb + t * L + j]; }
      den[t] = max(abs(qn), exp(-mt[t])) + p.eps;
    }
    workgroupBarrier();
    for (var e = li; e < l * dv; e += WG) {
      let t = e / dv;
      let b = e % dv;
      let qb = (s0 + t) * p.qst + p.qo + hh * dk;
      var acc = 0.0;
      for (var a = 0u; a < dk; a++) { acc += q[qb + a] * p.qs * inter[t] * mem[cb + a * dv + b]; }
      for (var j = 0u; j <= t; j++) { acc += sc[sb + t * L + j] * v[(s0 + j) * p.vst + p.vo + hh * dv + b]; }
      h[(s0 + t) * p.hst + p.ho + hh * dv + b] = acc / den[t];
    }
    storageBarrier();
    workgroupBarrier();
    // Move the memory to the end of the chunk.
    let last = cum[l - 1u];
    var mend = last + mprev;
    for (var j = 0u; j < l; j++) { mend = max(mend, last - cum[j] + ig[j]); }
    let gf = exp(last + mprev - mend);
    if (li < l) { wend[li] = exp(last - cum[li] + ig[li] - mend); }
    workgroupBarrier();
    for (var a = li; a < dk; a += WG) {
      var nv = gf * mem[nb + a];
      for (var j = 0u; j < l; j++) { nv += wend[j] * k[(s0 + j) * p.kst + p.ko + hh * dk + a] * p.ks; }
      mem[nb + a] = nv;
    }
    for (var e = li; e < dk * dv; e += WG) {
      let a = e / dv;
      let b = e % dv;
      var cv = gf * mem[cb + e];
      for (var j = 0u; j < l; j++) {
        cv += (wend[j] * k[(s0 + j) * p.kst + p.ko + hh * dk + a] * p.ks) * v[(s0 + j) * p.vst + p.vo + hh * dv + b];
      }
      mem[cb + e] = cv;
    }
    storageBarrier();
    workgroupBarrier();
    mprev = mend;
  }
  if (li == 0u) { mem[mb] = mprev; }
}
