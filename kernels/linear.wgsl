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
// Grid of these three: 256 threads a workgroup, t = (wid.y * nwg.x + wid.x) * 256 + lid (2-D past 65535
// workgroups); threads past the end do nothing.
// Register-blocked forms for CPU adapters (lavapipe; as matmul_regs: 8 threads a workgroup, each an 8×8 output
// block straight from global memory, loads clamped into range, stores of clamped lanes skipped):
//   linear_fwd_regs    the forward; workgroup (wid.x, wid.y) covers rows 8·wid.y.., columns 64·wid.x + 8·lid..
//   linear_wgrad_regs  the weight gradient, rows i 8·wid.y.., columns q 64·wid.x + 8·lid..; thread 0 of the
//                      workgroups with wid.x == 0 also sums the bias gradient of its 8 rows.

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
// The activations, shared with elementwise.wgsl (same formulas, so fused and unfused layers agree).
//#include activations
// 1 - exp(-y) without cancellation for small y: sigmoid(z) from y = softplus(z).
fn fsoftplusd(y: f32) -> f32 {
  if (y < 0.5) {
    // -expm1(-y) by its series (y < 0.5: terms to y^9 below 1e-9 relative).
    return y * (1.0 - y * (0.5 - y * (0.16666667 - y * (0.041666668 - y * (0.0083333333 - y * (0.0013888889 - y * (0.00019841270 - y * 0.000024801587)))))));
  }
  return 1.0 - exp(-y);
}

fn act_(z: f32) -> f32 { return /*ACT*/; }
fn act4(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(act_(v.x), act_(v.y), act_(v.z), act_(v.w)); }

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
  out[t] = act_(z);
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

// Stores an 8-wide output row segment (row `row`, columns c0..c0+7) of a [rows, cols] matrix, skipping lanes
// outside it.
fn store8(row: u32, rows: u32, cols: u32, c0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= rows) { return; }
  let base = row * cols;
  if (c0 + 8u <= cols) {
    out[base + c0] = lo.x; out[base + c0 + 1u] = lo.y; out[base + c0 + 2u] = lo.z; out[base + c0 + 3u] = lo.w;
    out[base + c0 + 4u] = hi.x; out[base + c0 + 5u] = hi.y; out[base + c0 + 6u] = hi.z; out[base + c0 + 7u] = hi.w;
    return;
  }
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (c0 + j < cols) { out[base + c0 + j] = lo[j]; }
    if (c0 + 4u + j < cols) { out[base + c0 + 4u + j] = hi[j]; }
  }
}

@compute @workgroup_size(8)
fn linear_fwd_regs(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r0 = wid.y * 8u;
  let c0 = wid.x * 64u + lid * 8u;
  let mL = P.M - 1u;
  let nL = P.N - 1u;
  // Rows of X and of W (both walked along K).
  var ai: array<u32, 8>;
  var bj: array<u32, 8>;
  for (var r = 0u; r < 8u; r = r + 1u) {
    ai[r] = min(r0 + r, mL) * P.K;
    bj[r] = min(c0 + r, nL) * P.K;
  }
  var sl: array<vec4<f32>, 8>;
  var sh: array<vec4<f32>, 8>;
  for (var r = 0u; r < 8u; r = r + 1u) { sl[r] = vec4<f32>(0.0); sh[r] = vec4<f32>(0.0); }
  for (var q = 0u; q < P.K; q = q + 1u) {
    let bl = vec4<f32>(W[bj[0] + q], W[bj[1] + q], W[bj[2] + q], W[bj[3] + q]);
    let bh = vec4<f32>(W[bj[4] + q], W[bj[5] + q], W[bj[6] + q], W[bj[7] + q]);
    for (var r = 0u; r < 8u; r = r + 1u) {
      let a = vec4<f32>(X[ai[r] + q]);
      sl[r] = fma(a, bl, sl[r]);
      sh[r] = fma(a, bh, sh[r]);
    }
  }
  var bl = vec4<f32>(0.0);
  var bh = vec4<f32>(0.0);
  if (P.bias == 1u) {
    bl = vec4<f32>(Bv[min(c0, nL)], Bv[min(c0 + 1u, nL)], Bv[min(c0 + 2u, nL)], Bv[min(c0 + 3u, nL)]);
    bh = vec4<f32>(Bv[min(c0 + 4u, nL)], Bv[min(c0 + 5u, nL)], Bv[min(c0 + 6u, nL)], Bv[min(c0 + 7u, nL)]);
  }
  for (var r = 0u; r < 8u; r = r + 1u) {
    store8(r0 + r, P.M, P.N, c0, act4(sl[r] + bl), act4(sh[r] + bh));
  }
}

@compute @workgroup_size(8)
fn linear_wgrad_regs(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i0 = wid.y * 8u;
  let q0 = wid.x * 64u + lid * 8u;
  let nL = P.N - 1u;
  let kL = P.K - 1u;
  var ii: array<u32, 8>;
  var qq: array<u32, 8>;
  for (var r = 0u; r < 8u; r = r + 1u) {
    ii[r] = min(i0 + r, nL);
    qq[r] = min(q0 + r, kL);
  }
  let biasSums = P.bias == 1u && wid.x == 0u && lid == 0u;
  var sl: array<vec4<f32>, 8>;
  var sh: array<vec4<f32>, 8>;
  for (var r = 0u; r < 8u; r = r + 1u) { sl[r] = vec4<f32>(0.0); sh[r] = vec4<f32>(0.0); }
  var gbl = vec4<f32>(0.0);
  var gbh = vec4<f32>(0.0);
  for (var row = 0u; row < P.M; row = row + 1u) {
    let xb = row * P.K;
    let gb = row * P.N;
    let bl = vec4<f32>(W[xb + qq[0]], W[xb + qq[1]], W[xb + qq[2]], W[xb + qq[3]]);
    let bh = vec4<f32>(W[xb + qq[4]], W[xb + qq[5]], W[xb + qq[6]], W[xb + qq[7]]);
    let al = vec4<f32>(X[gb + ii[0]], X[gb + ii[1]], X[gb + ii[2]], X[gb + ii[3]]);
    let ah = vec4<f32>(X[gb + ii[4]], X[gb + ii[5]], X[gb + ii[6]], X[gb + ii[7]]);
    for (var r = 0u; r < 4u; r = r + 1u) {
      sl[r] = fma(vec4<f32>(al[r]), bl, sl[r]);
      sh[r] = fma(vec4<f32>(al[r]), bh, sh[r]);
      sl[r + 4u] = fma(vec4<f32>(ah[r]), bl, sl[r + 4u]);
      sh[r + 4u] = fma(vec4<f32>(ah[r]), bh, sh[r + 4u]);
    }
    if (biasSums) {
      gbl = gbl + al;
      gbh = gbh + ah;
    }
  }
  for (var r = 0u; r < 8u; r = r + 1u) {
    store8(i0 + r, P.N, P.K, q0, sl[r], sh[r]);
  }
  if (biasSums) {
    for (var r = 0u; r < 4u; r = r + 1u) {
      if (i0 + r < P.N) { out2[i0 + r] = gbl[r]; }
      if (i0 + 4u + r < P.N) { out2[i0 + 4u + r] = gbh[r]; }
    }
  }
}
