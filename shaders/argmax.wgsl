// out[0] = the index of the largest of the v values of row seq[0]-1 of x
// (the lowest index on ties; NaN never wins): greedy decoding without
// reading the logits back.
struct P { v: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG: u32 = 256u;
var<workgroup> bv: array<f32, 256>;
var<workgroup> bi: array<u32, 256>;

fn better(v: f32, i: u32, w: f32, j: u32) -> bool {
  return v > w || (v == w && i < j);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let base = (seq[0] - 1u) * p.v;
  var best = -3.4028234663852886e38;
  var bid = 0xffffffffu;
  for (var i = li; i < p.v; i += WG) {
    let v = x[base + i];
    if (bid == 0xffffffffu || better(v, i, best, bid)) { best = v; bid = i; }
  }
  bv[li] = best;
  bi[li] = bid;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      let j = bi[li + s];
      if (j != 0xffffffffu && (bi[li] == 0xffffffffu || better(bv[li + s], j, bv[li], bi[li]))) {
        bv[li] = bv[li + s];
        bi[li] = j;
      }
    }
    workgroupBarrier();
  }
  if (li == 0u) { out[0] = bi[0]; }
}
