// f32 weights: wq holds the float bits; ws is unused.
fn wload(i: u32, group: u32) -> f32 {
  return bitcast<f32>(wq[i]);
}
