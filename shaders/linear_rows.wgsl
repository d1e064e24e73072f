// The linear product of matvec/matmul (same parameters) for CPU adapters
// (lavapipe, SwiftShader): one invocation per output row and tile of up to
// 8 tokens, no workgroup memory and no barriers, which those drivers run
// far faster than cooperative reductions. y[t, yo+r] (+)= W[r,:]·x[t, xo:]
// (+ bias), optionally soft-capped.
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

const T: u32 = 8u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let s = seq[0];
  let t0 = gid.y * T;
  if (r >= p.n || t0 >= s) { return; }
  let nt = min(T, s - t0);
  var acc: array<f32, 8>;
  let wb = r * p.k;
  for (var c = 0u; c < p.k; c++) {
    let w = wload(wb + c, p.group);
    for (var j = 0u; j < nt; j++) {
      acc[j] += w * x[(t0 + j) * p.xs + p.xo + c];
    }
  }
  for (var j = 0u; j < nt; j++) {
    var v = acc[j];
    if ((p.flags & 1u) != 0u) { v += bias[p.bo + r]; }
    if ((p.flags & 4u) != 0u) { v = p.cap * tanh(clamp(v / p.cap, -20.0, 20.0)); }
    let o = (t0 + j) * p.ys + p.yo + r;
    if ((p.flags & 2u) != 0u) { v += y[o]; }
    y[o] = v;
  }
}
