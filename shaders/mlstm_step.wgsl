// mLSTM cell, recurrent form (SPEC §4.2, §8.1), one workgroup per head,
// walking the tokens t < seq[0] in order from the memory in mem
// ([C (nh×dk×dv) | n (nh×dk) | m (nh)], left at the end):
//   m' = max(logσ(f̃)+m, ĩ); fa = exp(logσ(f̃)+m−m'); ia = exp(ĩ−m')
//   C' = fa·C + ia·k̂ vᵀ; n' = fa·n + ia·k̂
//   h̃ = (q̂ᵀC') / (max(|q̂·n'|, exp(−m')) + eps),  q̂ = qs·q, k̂ = ks·k.
struct P {
  nh: u32, dk: u32, dv: u32, qst: u32,
  qo: u32, kst: u32, ko: u32, vst: u32,
  vo: u32, gst: u32, io: u32, fo: u32,
  hst: u32, ho: u32, p0: u32, p1: u32,
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

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

fn logsigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return -log(1.0 + exp(-x)); }
  return x - log(1.0 + exp(x));
}

fn wsum(x: f32, li: u32) -> f32 {
  red[li] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
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
  var mprev = mem[mb];
  for (var t = 0u; t < s; t++) {
    let ig = g[t * p.gst + p.io + hh];
    let lf = logsigmoid(g[t * p.gst + p.fo + hh]);
    let mnew = max(lf + mprev, ig);
    let fa = exp(lf + mprev - mnew);
    let ia = exp(ig - mnew);
    let qb = t * p.qst + p.qo + hh * dk;
    let kb = t * p.kst + p.ko + hh * dk;
    let vb = t * p.vst + p.vo + hh * dv;
    for (var a = li; a < dk; a += WG) {
      mem[nb + a] = fa * mem[nb + a] + ia * (k[kb + a] * p.ks);
    }
    for (var e = li; e < dk * dv; e += WG) {
      let a = e / dv;
      mem[cb + e] = fa * mem[cb + e] + (ia * (k[kb + a] * p.ks)) * v[vb + e % dv];
    }
    storageBarrier();
    workgroupBarrier();
    var part = 0.0;
    for (var a = li; a < dk; a += WG) { part += q[qb + a] * p.qs * mem[nb + a]; }
    let qn = wsum(part, li);
    let den = max(abs(qn), exp(-mnew)) + p.eps;
    for (var b = li; b < dv; b += WG) {
      var acc = 0.0;
      for (var a = 0u; a < dk; a++) { acc += q[qb + a] * p.qs * mem[cb + a * dv + b]; }
      h[t * p.hst + p.ho + hh * dv + b] = acc / den;
    }
    storageBarrier();
    workgroupBarrier();
    mprev = mnew;
  }
  if (li == 0u) { mem[mb] = mprev; }
}
