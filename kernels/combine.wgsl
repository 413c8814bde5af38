// A linear combination of up to 6 same-size buffers onto a base, in one pass: the forward of the differentiable
// `combineTerms` op (an RK stage state Y_i = y + h Σ_j a_ij k_j whose k_j are separate tensors).
//
// The host passes only the NONZERO coefficients, in order, with their buffers: P.cnt terms (P.cnt <= 6),
// term t bound to t<t> with coefficient P.coef[t]. Unused bindings are filled with any bound buffer and never
// read. More than 6 terms are chained by the host (each dispatch adds its terms onto the previous result).
// Bindings (group 0): 0 uniform P; 1 out (read_write); 2 base, 3..8 t0..t5 (read-only).
// Entry:
//   combine_terms  out[i] = base[i] + P.h * sum_{t < P.cnt} P.coef[t] * t<t>[i], i < P.n: the accumulator
//                  starts at 0 and takes the terms in order, as rk.wgsl's rk_combine does, so that with the
//                  same nonzero coefficients in the same order both give the same floats.
//                  256 threads a workgroup, one element a thread, i = (wid.y * nwg.x + wid.x) * 256 + lid.

struct Params {
  n: u32,
  cnt: u32,
  h: f32,
  pad: u32,
  coef: array<vec4<f32>, 2>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> base: array<f32>;
@group(0) @binding(3) var<storage, read> t0: array<f32>;
@group(0) @binding(4) var<storage, read> t1: array<f32>;
@group(0) @binding(5) var<storage, read> t2: array<f32>;
@group(0) @binding(6) var<storage, read> t3: array<f32>;
@group(0) @binding(7) var<storage, read> t4: array<f32>;
@group(0) @binding(8) var<storage, read> t5: array<f32>;

@compute @workgroup_size(256)
fn combine_terms(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.n) { return; }
  var acc = 0.0;
  if (P.cnt > 0u) { acc = acc + P.coef[0].x * t0[i]; }
  if (P.cnt > 1u) { acc = acc + P.coef[0].y * t1[i]; }
  if (P.cnt > 2u) { acc = acc + P.coef[0].z * t2[i]; }
  if (P.cnt > 3u) { acc = acc + P.coef[0].w * t3[i]; }
  if (P.cnt > 4u) { acc = acc + P.coef[1].x * t4[i]; }
  if (P.cnt > 5u) { acc = acc + P.coef[1].y * t5[i]; }
  out[i] = base[i] + P.h * acc;
}
