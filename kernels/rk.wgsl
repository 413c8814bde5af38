// Runge-Kutta kernels over a stage buffer laid out [s, n] (stage j's k_j at stages[j * n + i]), any s.
//
// The host passes only the NONZERO coefficients, at most 16 a dispatch: P.cnt pairs (P.idx[t], P.coef[t]),
// t < P.cnt. More are chained by the host through rk_combine's accumulate mode (each dispatch adds its chunk
// onto the previous partial result in out). Stage rows
// whose coefficient is exactly 0 are therefore never read (they may hold stale data, even NaN), without
// relying on the compiler to keep an `if (c != 0)` around a multiply.
// Bindings (group 0): 0 uniform P; 1 out (read_write); 2 in0, 3 in1, 4 stages (read-only); 5 partials (read-only).
// Entries:
//   rk_combine      P.mode = 0: out[i] = in0[i] + P.h * sum_t P.coef[t] * stages[P.idx[t] * n + i], i < P.n
//                   (in0 = y); P.mode = 1 (accumulate): out[i] = out[i] + P.h * sum_t ... (in0 bound, unread);
//                   P.mode = 2 (no base): out[i] = P.h * sum_t ... (in0 bound, unread).
//                   256 threads a workgroup, one element a thread, i = (wid.y * nwg.x + wid.x) * 256 + lid.
//   rk_error_sum    err_i = P.h * sum_t P.coef[t] * stages[P.idx[t] * n + i];
//                   r_i = err_i / (P.atol + P.rtol * max(|in0[i]|, |in1[i]|))   (in0 = y0, in1 = y1);
//                   each of the nwg.x workgroups (256 threads, 1-D grid, nwg.x <= 256) sums r_i^2 over a
//                   grid-strided slice of i, then a shared-memory tree. P.mode = 1 (single workgroup):
//                   out[0] = sqrt(sum / n). P.mode = 0: out[wid.x] = partial sum (out is a scratch buffer).
//   rk_error_final  one workgroup: out[0] = sqrt(sum_{g < P.parts} partials[g] / n).
// The squares are summed in f32: ratios above ~1e19 overflow to +inf (a rejected step either way).

struct Params {
  n: u32,
  cnt: u32,
  h: f32,
  rtol: f32,
  atol: f32,
  mode: u32,
  parts: u32,
  pad: u32,
  idx: array<vec4<u32>, 4>,
  coef: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> in0: array<f32>;
@group(0) @binding(3) var<storage, read> in1: array<f32>;
@group(0) @binding(4) var<storage, read> stages: array<f32>;
@group(0) @binding(5) var<storage, read> partials: array<f32>;

fn weighted(i: u32) -> f32 {
  var acc = 0.0;
  for (var t = 0u; t < P.cnt; t = t + 1u) {
    acc = acc + P.coef[t >> 2u][t & 3u] * stages[P.idx[t >> 2u][t & 3u] * P.n + i];
  }
  return acc;
}

@compute @workgroup_size(256)
fn rk_combine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.n) { return; }
  let w = P.h * weighted(i);
  if (P.mode == 1u) {
    out[i] = out[i] + w;
  } else if (P.mode == 2u) {
    out[i] = w;
  } else {
    out[i] = in0[i] + w;
  }
}

var<workgroup> sh: array<f32, 256>;

fn tree_sum(lid: u32, v: f32) -> f32 {
  sh[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { sh[lid] = sh[lid] + sh[lid + s]; }
    workgroupBarrier();
  }
  return sh[0];
}

@compute @workgroup_size(256)
fn rk_error_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  let stride = nwg.x * 256u;
  for (var i = wid.x * 256u + lid; i < P.n; i = i + stride) {
    let tol = P.atol + P.rtol * max(abs(in0[i]), abs(in1[i]));
    let r = P.h * weighted(i) / tol;
    acc = acc + r * r;
  }
  let total = tree_sum(lid, acc);
  if (lid == 0u) {
    if (P.mode == 1u) {
      out[0] = sqrt(total / f32(P.n));
    } else {
      out[wid.x] = total;
    }
  }
}

@compute @workgroup_size(256)
fn rk_error_final(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var g = lid; g < P.parts; g = g + 256u) { acc = acc + partials[g]; }
  let total = tree_sum(lid, acc);
  if (lid == 0u) { out[0] = sqrt(total / f32(P.n)); }
}
