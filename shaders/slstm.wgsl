// sLSTM recurrence (vanilla backend, SPEC §5.2), one workgroup per head,
// over the tokens t < seq[0]. wx rows are [i, f, z, o] (each h = nh·dh
// wide); r is (nh, 4dh, dh); st is [y | c | n | m] (each h), left at the
// end. At the start (this head's n all zero) m takes ĩ alone.
struct P { nh: u32, dh: u32, wxs: u32, ys: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> wx: array<f32>;
@group(0) @binding(3) var<storage, read> r: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> st: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

const WG: u32 = 64u;
var<workgroup> raw: array<f32, 2048>;
var<workgroup> fresh: u32;

fn logsigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return -log(1.0 + exp(-x)); }
  return x - log(1.0 + exp(x));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let hd = wid.x;
  if (hd >= p.nh) { return; }
  let dh = p.dh;
  let hs = p.nh * dh;
  let s = seq[0];
  for (var t = 0u; t < s; t++) {
    for (var idx = li; idx < 4u * dh; idx += WG) {
      let gt = idx / dh;
      let j = idx % dh;
      let rb = (hd * 4u * dh + idx) * dh;
      var acc = 0.0;
      for (var kk = 0u; kk < dh; kk++) { acc += st[hd * dh + kk] * r[rb + kk]; }
      let gi = gt * hs + hd * dh + j;
      raw[idx] = wx[t * p.wxs + gi] + acc + bias[gi];
    }
    if (li == 0u) {
      var f = 1u;
      for (var j = 0u; j < dh; j++) {
        if (st[2u * hs + hd * dh + j] != 0.0) { f = 0u; }
      }
      fresh = f;
    }
    storageBarrier();
    workgroupBarrier();
    let isFresh = fresh == 1u;
    for (var j = li; j < dh; j += WG) {
      let i = hd * dh + j;
      let iraw = raw[j];
      let logfm = st[3u * hs + i] + logsigmoid(raw[dh + j]);
      let zraw = raw[2u * dh + j];
      let oraw = raw[3u * dh + j];
      let mnew = select(max(iraw, logfm), iraw, isFresh);
      let ig = min(exp(iraw - mnew), 1.0);
      let fg = min(exp(logfm - mnew), 1.0);
      let o = 1.0 / (1.0 + exp(-oraw));
      let c = fg * st[hs + i] + ig * tanh(clamp(zraw, -20.0, 20.0));
      let n = fg * st[2u * hs + i] + ig;
      st[hs + i] = c;
      st[2u * hs + i] = n;
      st[3u * hs + i] = mnew;
      let yv = o * c / n;
      y[t * p.ys + i] = yv;
      st[i] = yv;
    }
    storageBarrier();
    workgroupBarrier();
  }
}
