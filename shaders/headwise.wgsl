// Block-diagonal (head-wise) projection, LinearHeadwiseExpand:
// y[t, yo + h*op + o] = sum_i W[h, o, i] x[t, xo + h*ip + i] (+ bias).
struct P {
  nh: u32, ip: u32, op: u32, xs: u32,
  xo: u32, ys: u32, yo: u32, flags: u32,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let t = gid.y;
  if (t >= seq[0] || j >= p.nh * p.op) { return; }
  let h = j / p.op;
  let xb = t * p.xs + p.xo + h * p.ip;
  let wb = j * p.ip;
  var acc = 0.0;
  for (var i = 0u; i < p.ip; i++) { acc += w[wb + i] * x[xb + i]; }
  if ((p.flags & 1u) != 0u) { acc += bias[j]; }
  y[t * p.ys + p.yo + j] = acc;
}
