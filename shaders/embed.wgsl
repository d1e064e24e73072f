// y[t, :] = E[tok[t] - row0, :] for the tokens whose row lies in this part
// of the embedding (rows [row0, row0+n)).
struct P { d: u32, row0: u32, n: u32, group: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> seq: array<u32>;
@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<u32>;
@group(0) @binding(4) var<storage, read> tok: array<u32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let t = gid.y;
  if (t >= seq[0] || c >= p.d) { return; }
  let id = tok[t];
  if (id < p.row0 || id >= p.row0 + p.n) { return; }
  y[t * p.d + c] = wload((id - p.row0) * p.d + c, p.group);
}
