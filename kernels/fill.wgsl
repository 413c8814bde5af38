// Fill: out[i] = P.value for i < P.size.
//
// Layout: out is array<f32>, contiguous from element 0. P.value is written by the host as f32 bits, so NaN
// and infinities fill exactly.
// Bindings (group 0): 0 uniform P; 1 out (read_write).
// Grid: 256 threads a workgroup, one element a thread, i = (wid.y * nwg.x + wid.x) * 256 + lid.x; i >= P.size idles.

struct Params {
  size: u32,
  value: f32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn fill_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.size) { return; }
  out[i] = P.value;
}
