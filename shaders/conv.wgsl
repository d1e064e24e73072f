// Causal depthwise conv over the tokens t < seq[0], continuing from the
// state buffer (the last k inputs, oldest first, k × c) and leaving it at
// the end: y[t, ch] = b[ch] + sum_j w[ch, j] in[t-k+1+j, ch]; silu after
// when flags & 1. With k = 0 it copies (and applies silu when asked).
struct P { c: u32, k: u32, xs: u32, xo: u32, flags: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> buf: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn silu(v: f32) -> f32 { return v / (1.0 + exp(-v)); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ch = gid.x;
  if (ch >= p.c) { return; }
  let s = seq[0];
  for (var t = 0u; t < s; t++) {
    let xin = x[t * p.xs + p.xo + ch];
    var v = xin;
    if (p.k > 0u) {
      for (var j = 0u; j + 1u < p.k; j++) { buf[j * p.c + ch] = buf[(j + 1u) * p.c + ch]; }
      buf[(p.k - 1u) * p.c + ch] = xin;
      v = b[ch];
      for (var j = 0u; j < p.k; j++) { v += buf[j * p.c + ch] * w[ch * p.k + j]; }
    }
    if ((p.flags & 1u) != 0u) { v = silu(v); }
    y[t * p.c + ch] = v;
  }
}
