// q8 weights: wq holds int8 codes (4 per word, little-endian), ws the f16
// scales (2 per word), one per group of consecutive weights.
fn wload(i: u32, group: u32) -> f32 {
  let b = (wq[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
  let c = i32(b << 24u) >> 24u;
  let g = i / group;
  let s = unpack2x16float(ws[g >> 1u])[g & 1u];
  return f32(c) * s;
}
