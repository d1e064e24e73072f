// Tiled y[t, yo+r] (+)= sum_k W[r, k] x[t, xo+k] (+ bias[r]) for tokens
// t < seq[0]: 16 tokens × 16 rows per workgroup, k in tiles of 16 through
// workgroup memory (the prefill form of matvec, same parameters).
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

const T: u32 = 16u;
var<workgroup> xt: array<array<f32, 17>, 16>;
var<workgroup> wt: array<array<f32, 17>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = seq[0];
  let r0 = wid.x * T;
  let t0 = wid.y * T;
  if (t0 >= s) { return; }
  let tx = lid.x;
  let ty = lid.y;
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.k; k0 += T) {
    let kk = k0 + tx;
    // xt[token][k], wt[row][k]
    var xv = 0.0;
    if (t0 + ty < s && kk < p.k) { xv = x[(t0 + ty) * p.xs + p.xo + kk]; }
    xt[ty][tx] = xv;
    var wv = 0.0;
    if (r0 + ty < p.n && kk < p.k) { wv = wload((r0 + ty) * p.k + kk, p.group); }
    wt[ty][tx] = wv;
    workgroupBarrier();
    for (var j = 0u; j < T; j++) {
      acc += xt[ty][j] * wt[tx][j];
    }
    workgroupBarrier();
  }
  let t = t0 + ty;
  let r = r0 + tx;
  if (t < s && r < p.n) {
    var v = acc;
    if ((p.flags & 1u) != 0u) { v += bias[p.bo + r]; }
    if ((p.flags & 4u) != 0u) { v = p.cap * tanh(clamp(v / p.cap, -20.0, 20.0)); }
    let o = t * p.ys + p.yo + r;
    if ((p.flags & 2u) != 0u) { v += y[o]; }
    y[o] = v;
  }
}
