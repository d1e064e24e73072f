// Top-k candidates of row seq[0]-1 of x (v values): the p.k largest, ties
// to the lower index, found by a radix select on order-preserving keys in
// one workgroup. out[0] = how many were written, out[1] = 1 when a value is
// NaN or +Inf (the host then checks the whole row), then (id, f32 bits)
// pairs in no particular order. Only these pairs are read back.
struct P { v: u32, k: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG: u32 = 256u;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> cnt: array<u32, 256>;
var<workgroup> prefix: u32;
var<workgroup> mask: u32;
var<workgroup> remaining: u32;
var<workgroup> written: atomic<u32>;
var<workgroup> bad: atomic<u32>;

// key orders floats as unsigned integers (NaN with the sign bit clear last).
fn key(f: f32) -> u32 {
  let b = bitcast<u32>(f);
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let base = (seq[0] - 1u) * p.v;
  let per = (p.v + WG - 1u) / WG;
  let lo = min(li * per, p.v);
  let hi = min(lo + per, p.v);
  if (li == 0u) {
    prefix = 0u;
    mask = 0u;
    remaining = p.k;
    atomicStore(&written, 0u);
    atomicStore(&bad, 0u);
  }
  workgroupBarrier();
  for (var i = lo; i < hi; i++) {
    let v = x[base + i];
    if (v != v || bitcast<u32>(v) == 0x7f800000u) { atomicStore(&bad, 1u); }
  }
  for (var round = 0u; round < 4u; round++) {
    let shift = 24u - 8u * round;
    atomicStore(&hist[li], 0u);
    workgroupBarrier();
    let pf = prefix;
    let mk = mask;
    for (var i = lo; i < hi; i++) {
      let kk = key(x[base + i]);
      if ((kk & mk) == pf) { atomicAdd(&hist[(kk >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (li == 0u) {
      var acc = 0u;
      var b = 255i;
      loop {
        if (b < 0i) { break; }
        let h = atomicLoad(&hist[u32(b)]);
        if (acc + h >= remaining) {
          remaining -= acc;
          prefix |= u32(b) << shift;
          mask |= 255u << shift;
          break;
        }
        acc += h;
        b -= 1i;
      }
    }
    workgroupBarrier();
  }
  // prefix is now the k-th largest key; take every larger value and the
  // first `remaining` equal ones in index order.
  let tau = prefix;
  var eq = 0u;
  for (var i = lo; i < hi; i++) {
    if (key(x[base + i]) == tau) { eq++; }
  }
  cnt[li] = eq;
  workgroupBarrier();
  if (li == 0u) {
    var acc = 0u;
    for (var j = 0u; j < WG; j++) {
      let c = cnt[j];
      cnt[j] = acc;
      acc += c;
    }
  }
  workgroupBarrier();
  var rank = cnt[li];
  let need = remaining;
  for (var i = lo; i < hi; i++) {
    let v = x[base + i];
    let kk = key(v);
    var take = kk > tau;
    if (kk == tau) {
      take = rank < need;
      rank++;
    }
    if (take) {
      let o = atomicAdd(&written, 1u);
      out[2u + 2u * o] = i;
      out[3u + 2u * o] = bitcast<u32>(v);
    }
  }
  workgroupBarrier();
  if (li == 0u) {
    out[0] = atomicLoad(&written);
    out[1] = atomicLoad(&bad);
  }
}
