// Reduction of the middle axis: x viewed as [outer, n, inner] (contiguous) -> out[o * inner + j] (contiguous).
//
// Placeholders, substituted by the host:
//   INIT     identity as an f32 expression: `0.0` (sum) or `neg_inf()` (max)
//   COMBINE  f32 expression in `acc` and `v`: `acc + v` (sum) or `fmax_(acc, v)` (NaN-propagating max)
// Bindings (group 0): 0 uniform P {outer, n, inner, total = outer * inner}; 1 out (read_write); 2 x (read-only).
// Entries:
//   reduce_loop: one thread per output t < P.total, a sequential loop over n (many outputs, or small n).
//                256 threads a workgroup, t = (wid.y * nwg.x + wid.x) * 256 + lid.
//   reduce_tree: one workgroup of 256 threads per output t = wid.y * nwg.x + wid.x (workgroup-uniform),
//                each thread folds a strided slice of n, then a shared-memory tree (large n, few outputs).
// n = 0 writes INIT. The host picks the entry; grids are 2-D when more than 65535 workgroups are needed.

struct Params {
  outer: u32,
  n: u32,
  inner: u32,
  total: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

fn isnan_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn neg_inf() -> f32 { var b = 0xff800000u; return bitcast<f32>(b); }
fn fmax_(a: f32, b: f32) -> f32 {
  if (isnan_(a)) { return a; }
  if (isnan_(b)) { return b; }
  return select(b, a, a > b);
}
fn combine(acc: f32, v: f32) -> f32 { return /*COMBINE*/; }

@compute @workgroup_size(256)
fn reduce_loop(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (t >= P.total) { return; }
  let o = t / P.inner;
  let j = t - o * P.inner;
  var idx = o * P.n * P.inner + j;
  var acc: f32 = /*INIT*/;
  for (var r = 0u; r < P.n; r = r + 1u) {
    acc = combine(acc, x[idx]);
    idx = idx + P.inner;
  }
  out[t] = acc;
}

var<workgroup> sh: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce_tree(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let t = wid.y * nwg.x + wid.x;
  if (t >= P.total) { return; }
  let o = t / P.inner;
  let j = t - o * P.inner;
  let base = o * P.n * P.inner + j;
  var acc: f32 = /*INIT*/;
  for (var r = lid; r < P.n; r = r + 256u) {
    acc = combine(acc, x[base + r * P.inner]);
  }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { sh[lid] = combine(sh[lid], sh[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { out[t] = sh[0]; }
}
