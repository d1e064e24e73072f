// y[t, yo+r] (+)= sum_k W[r, k] x[t, xo+k] (+ bias[r]), optionally
// soft-capped, for every token t < seq[0]: one workgroup per output row r
// of this weight part (bias and y are already offset to the part's rows).
// Meant for one or a few tokens (decode).
struct P {
  n: u32, k: u32, xs: u32, xo: u32,
  ys: u32, yo: u32, group: u32, flags: u32,
  cap: f32, bo: u32, p1: u32, p2: u32,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

const WG: u32 = 128u;
var<workgroup> red: array<f32, 128>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = wid.x + wid.y * 65535u;
  if (r >= p.n) { return; }
  let s = seq[0];
  for (var t = 0u; t < s; t++) {
    var acc = 0.0;
    let xb = t * p.xs + p.xo;
    let wb = r * p.k;
    for (var c = li; c < p.k; c += WG) {
      acc += wload(wb + c, p.group) * x[xb + c];
    }
    red[li] = acc;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w >>= 1u) {
      if (li < w) { red[li] += red[li + w]; }
      workgroupBarrier();
    }
    if (li == 0u) {
      var v = red[0];
      if ((p.flags & 1u) != 0u) { v += bias[p.bo + r]; }
      if ((p.flags & 4u) != 0u) { v = p.cap * tanh(clamp(v / p.cap, -20.0, 20.0)); }
      let o = t * p.ys + p.yo + r;
      if ((p.flags & 2u) != 0u) { v += y[o]; }
      y[o] = v;
    }
    workgroupBarrier();
  }
}
