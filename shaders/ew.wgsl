// Element-wise combinations over t < seq[0] and j < w (row strides and
// offsets per operand; c is a per-column vector):
//   op 1: o = (a + c*b) * silu(d)   mLSTM block output (learnable skip)
//   op 2: o = a * sigmoid(b)        xLSTM Large output gate
//   op 3: o = act(a) * b            gated FFN (act: 0 gelu, 1 relu,
//                                   2 relu², 3 sigmoid, 4 swish, 5 selu)
//   op 4: o = o + a                 residual
struct P {
  op: u32, act: u32, w: u32, as_: u32,
  ao: u32, bs: u32, bo: u32, ds: u32,
  do_: u32, os: u32, oo: u32, p0: u32,
}
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> d: array<f32>;
@group(0) @binding(5) var<storage, read> c: array<f32>;
@group(0) @binding(6) var<storage, read_write> o: array<f32>;

fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }

// erf after Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
fn erf(v: f32) -> f32 {
  let z = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-z * z);
  return select(y, -y, v < 0.0);
}

fn act(v: f32) -> f32 {
  switch p.act {
    case 0u: { return 0.5 * v * (1.0 + erf(v * 0.7071067811865476)); }
    case 1u: { return max(v, 0.0); }
    case 2u: { let r = max(v, 0.0); return r * r; }
    case 3u: { return sigmoid(v); }
    case 4u: { return v * sigmoid(v); }
    default: {
      if (v > 0.0) { return 1.0507009873554805 * v; }
      return 1.0507009873554805 * 1.6732632423543772 * (exp(v) - 1.0);
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let t = gid.y;
  if (t >= seq[0] || j >= p.w) { return; }
  let av = a[t * p.as_ + p.ao + j];
  let oi = t * p.os + p.oo + j;
  switch p.op {
    case 1u: {
      let z = d[t * p.ds + p.do_ + j];
      o[oi] = (av + c[j] * b[t * p.bs + p.bo + j]) * (z * sigmoid(z));
    }
    case 2u: { o[oi] = av * sigmoid(b[t * p.bs + p.bo + j]); }
    case 3u: { o[oi] = act(av) * b[t * p.bs + p.bo + j]; }
    default: { o[oi] = o[oi] + av; }
  }
}
