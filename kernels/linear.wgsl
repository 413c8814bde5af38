// Fused linear layer: y = ACT(x·Wᵀ + b) in one pass, and the two pieces of its backward that pay to fuse.
//
// Placeholders, substituted by the host (every pipeline of this file substitutes both):
//   ACT    an f32 expression in `z` (the pre-activation), e.g. `ftanh(z)`, `z`
//   DACT   the activation's derivative as an f32 expression in `y` (its output), e.g. `1.0 - y * y`
// Layout: every buffer is array<f32>, contiguous row-major. x is [M, K], W is [N, K] (PyTorch's layout), b is
// [N], y is [M, N].
// Bindings (group 0): 0 uniform P; 1 out (read_write); 2 X, 3 W, 4 Bv (read-only); 5 out2 (read_write).
//   linear_fwd   out[i, j] = ACT(Σ_q X[i, q] W[j, q] + (P.bias == 1 ? Bv[j] : 0)), one output a thread over
//                the flattened [M, N]; both operands are read along contiguous rows.
//   act_grad     out[i] = X[i] * DACT(W[i]), i < P.size: the incoming gradient times the activation's
//                derivative, read from the layer's output (X = g, W = y).
//   linear_wgrad out[i, q] = Σ_r X[r, i] W[r, q] for i < N, q < K (the weight gradient gzᵀ·x with X = gz
//                [M, N], W = x [M, K]), and, when P.bias == 1, out2[i] = Σ_r X[r, i] (the bias gradient) from
//                the N threads after the first N·K: both gradients in one dispatch.
// Grid: 256 threads a workgroup, t = (wid.y * nwg.x + wid.x) * 256 + lid (2-D past 65535 workgroups); threads
// past the end do nothing.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  bias: u32,
  size: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
@group(0) @binding(4) var<storage, read> Bv: array<f32>;
@group(0) @binding(5) var<storage, read_write> out2: array<f32>;

fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// The activations as in elementwise.wgsl (same formulas, so fused and unfused layers agree).
fn atanh2(s: f32) -> f32 {
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * 0.11111111))));
}
fn flog(x: f32) -> f32 {
  if (!(x > 0.0) || isnan_(x) || isinf_(x)) { return log(x); }
  let fe = frexp(x);
  var m = fe.fract;
  var e = f32(fe.exp);
  if (m < 0.70710678) { m = m * 2.0; e = e - 1.0; }
  let p = atanh2((m - 1.0) / (m + 1.0));
  return e * 0.693145751953125 + (p + e * 1.4286068e-6);
}
fn flog1p(u: f32) -> f32 {
  if (u > -0.29289322 && u < 0.41421356) { return atanh2(u / (2.0 + u)); }
  return flog(1.0 + u);
}
fn ftanh(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.3) {
    let z = x * x;
    return x * (1.0 + z * (-0.33333333 + z * (0.13333333 + z * (-0.053968254 + z * (0.021869488 + z * -0.0088632355)))));
  }
  if (ax > 15.0) { return sign(x); }
  let r = 1.0 - 2.0 / (exp(2.0 * ax) + 1.0);
  return select(r, -r, x < 0.0);
}
fn fsigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn fsoftplus(x: f32) -> f32 {
  if (x > 0.0) { return x + flog1p(exp(-x)); }
  return flog1p(exp(x));
}
// 1 - exp(-y) without cancellation for small y: sigmoid(z) from y = softplus(z).
fn fsoftplusd(y: f32) -> f32 {
  if (y < 0.5) {
    // -expm1(-y) by its series (y < 0.5: terms to y^9 below 1e-9 relative).
    return y * (1.0 - y * (0.5 - y * (0.16666667 - y * (0.041666668 - y * (0.0083333333 - y * (0.0013888889 - y * (0.00019841270 - y * 0.000024801587)))))));
  }
  return 1.0 - exp(-y);
}

@compute @workgroup_size(256)
fn linear_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (t >= P.M * P.N) { return; }
  let i = t / P.N;
  let j = t - i * P.N;
  var ix = i * P.K;
  var iw = j * P.K;
  var acc0 = 0.0;
  var acc1 = 0.0;
  var q = 0u;
  for (; q + 2u <= P.K; q = q + 2u) {
    acc0 = fma(X[ix], W[iw], acc0);
    acc1 = fma(X[ix + 1u], W[iw + 1u], acc1);
    ix = ix + 2u;
    iw = iw + 2u;
  }
  if (q < P.K) { acc0 = fma(X[ix], W[iw], acc0); }
  var z = acc0 + acc1;
  if (P.bias == 1u) { z = z + Bv[j]; }
  out[t] = /*ACT*/;
}

@compute @workgroup_size(256)
fn act_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (t >= P.size) { return; }
  let y = W[t];
  out[t] = X[t] * (/*DACT*/);
}

@compute @workgroup_size(256)
fn linear_wgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 256u + lid;
  let nk = P.N * P.K;
  if (t < nk) {
    let i = t / P.K;
    let q = t - i * P.K;
    var acc0 = 0.0;
    var acc1 = 0.0;
    var r = 0u;
    for (; r + 2u <= P.M; r = r + 2u) {
      acc0 = fma(X[r * P.N + i], W[r * P.K + q], acc0);
      acc1 = fma(X[(r + 1u) * P.N + i], W[(r + 1u) * P.K + q], acc1);
    }
    if (r < P.M) { acc0 = fma(X[r * P.N + i], W[r * P.K + q], acc0); }
    out[t] = acc0 + acc1;
    return;
  }
  if (P.bias == 0u || t >= nk + P.N) { return; }
  let i = t - nk;
  var acc = 0.0;
  for (var r = 0u; r < P.M; r = r + 1u) { acc = acc + X[r * P.N + i]; }
  out2[i] = acc;
}
