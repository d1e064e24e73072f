// Per token and per group of d/g columns: layer norm (mode 0: centred,
// biased variance) or RMS norm (mode 1), then the scale: wmode 0 none,
// 1 w, 2 (1 + w) (the original LM's offset weights). One workgroup per
// (group, token).
struct P {
  d: u32, g: u32, xs: u32, xo: u32,
  ys: u32, yo: u32, mode: u32, wmode: u32,
  eps: f32, p0: u32, p1: u32, p2: u32,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const WG: u32 = 64u;
var<workgroup> red: array<f32, 64>;

fn wsum(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wid.y;
  if (t >= seq[0]) { return; }
  let gw = p.d / p.g;
  let c0 = wid.x * gw;
  let xb = t * p.xs + p.xo + c0;
  let n = f32(gw);
  var mean = 0.0;
  if (p.mode == 0u) {
    var s = 0.0;
    for (var c = li; c < gw; c += WG) { s += x[xb + c]; }
    mean = wsum(s, li) / n;
  }
  var ss = 0.0;
  for (var c = li; c < gw; c += WG) {
    let v = x[xb + c] - mean;
    ss += v * v;
  }
  let inv = inverseSqrt(wsum(ss, li) / n + p.eps);
  let yb = t * p.ys + p.yo + c0;
  for (var c = li; c < gw; c += WG) {
    var v = (x[xb + c] - mean) * inv;
    if (p.wmode == 1u) { v *= w[c0 + c]; }
    if (p.wmode == 2u) { v *= 1.0 + w[c0 + c]; }
    y[yb + c] = v;
  }
}
