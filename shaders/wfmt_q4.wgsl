// q4 weights: wq holds 4-bit two's complement codes (element 2k in the low
// nibble of byte k, 8 per word), ws the f16 scales (2 per word).
fn wload(i: u32, group: u32) -> f32 {
  let b = (wq[i >> 3u] >> ((i & 7u) * 4u)) & 0xfu;
  let c = i32(b << 28u) >> 28u;
  let g = i / group;
  let s = unpack2x16float(ws[g >> 1u])[g & 1u];
  return f32(c) * s;
}
