// Batched matmul: C[p, i, j] = sum_q A(p, i, q) * B(p, q, j), C contiguous [batch, M, N].
//
// Operands are read through strides, so transposed operands are never materialised:
//   A(p, i, q) = A[p * P.aBatch + i * P.ar + q * P.ac]   (ar, ac) = (K, 1), or (1, M) when transA
//   B(p, q, j) = B[p * P.bBatch + q * P.br + j * P.bc]   (br, bc) = (N, 1), or (1, K) when transB
// Batch strides may be 0 (one matrix broadcast over the batch). Batch p = wid.z + P.batchBase, tile column
// wid.x + P.groupX0 and tile row wid.y + P.groupY0 for the tiled and regs entries (the host splits grids past
// 65535 workgroups in a dimension into several dispatches). K = 0 writes zeros.
// Bindings (group 0): 0 uniform P; 1 C (read_write); 2 A, 3 B (read-only). C never aliases A or B.
// Entries (the host picks one per call: tiled/thin on GPUs, regs on CPU adapters such as lavapipe):
//   matmul_tiled  64x64 output tile per workgroup of 16x16 threads; each thread owns a 4x4 register block
//                 (rows 4*ly.., cols 4*lx..). K is walked in steps of 16 through workgroup memory: As holds the
//                 tile's A columns as vec4 row quads, Bs its B rows as vec4 column quads (8 KiB in all).
//                 Grid (ceil(N/64), ceil(M/64), batches). Ragged tiles: loads outside [M, K] / [K, N] read 0,
//                 stores outside [M, N] are skipped; the bounds tests run only on edge tiles.
//   matmul_thin   one output per thread, a sequential loop over K: for thin outputs (M or N small) where a
//                 64x64 tile would be mostly idle. 256 threads a workgroup over the flattened [batch, M, N]
//                 (P.batch batches from P.batchBase), t = (wid.y * nwg.x + wid.x) * 256 + lid.
//   matmul_regs   no workgroup memory: 8 threads a workgroup, each computing an 8x8 block straight from
//                 global memory (8 + 8 loads per 64 FMAs). On llvmpipe a workgroup runs as one 8-wide SIMD
//                 batch on one core, so this is 2-3x faster there than the tiled kernel (whose barriers and
//                 256-thread workgroups are costly on a CPU). The 8 threads lie along the longer output side:
//                 P.tall = 0: 8x64 tile, grid (ceil(N/64), ceil(M/8), batches);
//                 P.tall = 1: 64x8 tile, grid (ceil(N/8), ceil(M/64), batches).
//                 Loads clamp their row/column into range (results of clamped lanes are never stored).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batchBase: u32,
  aBatch: u32,
  bBatch: u32,
  ar: u32,
  ac: u32,
  br: u32,
  bc: u32,
  batch: u32,
  tall: u32,
  groupX0: u32,
  groupY0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;

const TK = 16u;
var<workgroup> As: array<vec4<f32>, 256>;   // As[kk * 16 + r4] = A rows 4*r4 .. 4*r4+3 of the tile at k0 + kk
var<workgroup> Bs: array<vec4<f32>, 256>;   // Bs[kk * 16 + c4] = B cols 4*c4 .. 4*c4+3 of the tile at k0 + kk

@compute @workgroup_size(16, 16)
fn matmul_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let p = wid.z + P.batchBase;
  let row0 = (wid.y + P.groupY0) * 64u;
  let col0 = (wid.x + P.groupX0) * 64u;
  let aBase = p * P.aBatch;
  let bBase = p * P.bBatch;
  let t = lid.y * 16u + lid.x;
  // Loader coordinates: thread t loads one A quad and one B quad per K step.
  let lk = t >> 4u;            // k within the step
  let l4 = t & 15u;            // row quad (A) / column quad (B)
  let ra = row0 + 4u * l4;     // first of the 4 A rows
  let cb = col0 + 4u * l4;     // first of the 4 B columns
  let fullRows = row0 + 64u <= P.M;
  let fullCols = col0 + 64u <= P.N;
  let aRow = aBase + ra * P.ar;
  let bCol = bBase + cb * P.bc;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < P.K; k0 = k0 + TK) {
    let kq = k0 + lk;
    var av = vec4<f32>(0.0);
    var bv = vec4<f32>(0.0);
    if (kq < P.K) {
      let ia = aRow + kq * P.ac;
      let ib = bCol + kq * P.br;
      if (fullRows) {
        av = vec4<f32>(A[ia], A[ia + P.ar], A[ia + 2u * P.ar], A[ia + 3u * P.ar]);
      } else {
        if (ra < P.M) { av.x = A[ia]; }
        if (ra + 1u < P.M) { av.y = A[ia + P.ar]; }
        if (ra + 2u < P.M) { av.z = A[ia + 2u * P.ar]; }
        if (ra + 3u < P.M) { av.w = A[ia + 3u * P.ar]; }
      }
      if (fullCols) {
        bv = vec4<f32>(B[ib], B[ib + P.bc], B[ib + 2u * P.bc], B[ib + 3u * P.bc]);
      } else {
        if (cb < P.N) { bv.x = B[ib]; }
        if (cb + 1u < P.N) { bv.y = B[ib + P.bc]; }
        if (cb + 2u < P.N) { bv.z = B[ib + 2u * P.bc]; }
        if (cb + 3u < P.N) { bv.w = B[ib + 3u * P.bc]; }
      }
    }
    As[t] = av;
    Bs[t] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      let a = As[kk * 16u + lid.y];
      let b = Bs[kk * 16u + lid.x];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }

  let r = row0 + 4u * lid.y;
  let c = col0 + 4u * lid.x;
  let base = p * P.M * P.N + r * P.N + c;
  if (fullRows && fullCols) {
    C[base] = acc0.x; C[base + 1u] = acc0.y; C[base + 2u] = acc0.z; C[base + 3u] = acc0.w;
    let b1 = base + P.N;
    C[b1] = acc1.x; C[b1 + 1u] = acc1.y; C[b1 + 2u] = acc1.z; C[b1 + 3u] = acc1.w;
    let b2 = b1 + P.N;
    C[b2] = acc2.x; C[b2 + 1u] = acc2.y; C[b2 + 2u] = acc2.z; C[b2 + 3u] = acc2.w;
    let b3 = b2 + P.N;
    C[b3] = acc3.x; C[b3 + 1u] = acc3.y; C[b3 + 2u] = acc3.z; C[b3 + 3u] = acc3.w;
    return;
  }
  var rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i = i + 1u) {
    if (r + i < P.M) {
      let v = rows[i];
      for (var j = 0u; j < 4u; j = j + 1u) {
        if (c + j < P.N) { C[base + i * P.N + j] = v[j]; }
      }
    }
  }
}

@compute @workgroup_size(256)
fn matmul_thin(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * 256u + lid;
  let per = P.M * P.N;
  if (t >= P.batch * per) { return; }
  let pl = t / per;
  let rem = t - pl * per;
  let i = rem / P.N;
  let j = rem - i * P.N;
  let p = pl + P.batchBase;
  var ia = p * P.aBatch + i * P.ar;
  var ib = p * P.bBatch + j * P.bc;
  var acc0 = 0.0;
  var acc1 = 0.0;
  var q = 0u;
  for (; q + 2u <= P.K; q = q + 2u) {
    acc0 = fma(A[ia], B[ib], acc0);
    acc1 = fma(A[ia + P.ac], B[ib + P.br], acc1);
    ia = ia + 2u * P.ac;
    ib = ib + 2u * P.br;
  }
  if (q < P.K) { acc0 = fma(A[ia], B[ib], acc0); }
  C[p * per + rem] = acc0 + acc1;
}

fn store8(ob: u32, row: u32, c0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (row >= P.M) { return; }
  let base = ob + row * P.N;
  if (c0 + 8u <= P.N) {
    C[base + c0] = lo.x; C[base + c0 + 1u] = lo.y; C[base + c0 + 2u] = lo.z; C[base + c0 + 3u] = lo.w;
    C[base + c0 + 4u] = hi.x; C[base + c0 + 5u] = hi.y; C[base + c0 + 6u] = hi.z; C[base + c0 + 7u] = hi.w;
    return;
  }
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (c0 + j < P.N) { C[base + c0 + j] = lo[j]; }
    if (c0 + 4u + j < P.N) { C[base + c0 + 4u + j] = hi[j]; }
  }
}

@compute @workgroup_size(8)
fn matmul_regs(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = wid.z + P.batchBase;
  var r0: u32;
  var c0: u32;
  let gx = wid.x + P.groupX0;
  let gy = wid.y + P.groupY0;
  if (P.tall == 1u) {
    r0 = gy * 64u + lid * 8u;
    c0 = gx * 8u;
  } else {
    r0 = gy * 8u;
    c0 = gx * 64u + lid * 8u;
  }
  let aBase = p * P.aBatch;
  let bBase = p * P.bBatch;
  let mLast = P.M - 1u;
  let nLast = P.N - 1u;
  let a0i = aBase + min(r0, mLast) * P.ar;
  let a1i = aBase + min(r0 + 1u, mLast) * P.ar;
  let a2i = aBase + min(r0 + 2u, mLast) * P.ar;
  let a3i = aBase + min(r0 + 3u, mLast) * P.ar;
  let a4i = aBase + min(r0 + 4u, mLast) * P.ar;
  let a5i = aBase + min(r0 + 5u, mLast) * P.ar;
  let a6i = aBase + min(r0 + 6u, mLast) * P.ar;
  let a7i = aBase + min(r0 + 7u, mLast) * P.ar;
  let b0i = bBase + min(c0, nLast) * P.bc;
  let b1i = bBase + min(c0 + 1u, nLast) * P.bc;
  let b2i = bBase + min(c0 + 2u, nLast) * P.bc;
  let b3i = bBase + min(c0 + 3u, nLast) * P.bc;
  let b4i = bBase + min(c0 + 4u, nLast) * P.bc;
  let b5i = bBase + min(c0 + 5u, nLast) * P.bc;
  let b6i = bBase + min(c0 + 6u, nLast) * P.bc;
  let b7i = bBase + min(c0 + 7u, nLast) * P.bc;
  var s0l = vec4<f32>(0.0); var s0h = vec4<f32>(0.0);
  var s1l = vec4<f32>(0.0); var s1h = vec4<f32>(0.0);
  var s2l = vec4<f32>(0.0); var s2h = vec4<f32>(0.0);
  var s3l = vec4<f32>(0.0); var s3h = vec4<f32>(0.0);
  var s4l = vec4<f32>(0.0); var s4h = vec4<f32>(0.0);
  var s5l = vec4<f32>(0.0); var s5h = vec4<f32>(0.0);
  var s6l = vec4<f32>(0.0); var s6h = vec4<f32>(0.0);
  var s7l = vec4<f32>(0.0); var s7h = vec4<f32>(0.0);
  for (var q = 0u; q < P.K; q = q + 1u) {
    let ka = q * P.ac;
    let kb = q * P.br;
    let bl = vec4<f32>(B[b0i + kb], B[b1i + kb], B[b2i + kb], B[b3i + kb]);
    let bh = vec4<f32>(B[b4i + kb], B[b5i + kb], B[b6i + kb], B[b7i + kb]);
    let a0 = vec4<f32>(A[a0i + ka]);
    let a1 = vec4<f32>(A[a1i + ka]);
    let a2 = vec4<f32>(A[a2i + ka]);
    let a3 = vec4<f32>(A[a3i + ka]);
    let a4 = vec4<f32>(A[a4i + ka]);
    let a5 = vec4<f32>(A[a5i + ka]);
    let a6 = vec4<f32>(A[a6i + ka]);
    let a7 = vec4<f32>(A[a7i + ka]);
    s0l = fma(a0, bl, s0l); s0h = fma(a0, bh, s0h);
    s1l = fma(a1, bl, s1l); s1h = fma(a1, bh, s1h);
    s2l = fma(a2, bl, s2l); s2h = fma(a2, bh, s2h);
    s3l = fma(a3, bl, s3l); s3h = fma(a3, bh, s3h);
    s4l = fma(a4, bl, s4l); s4h = fma(a4, bh, s4h);
    s5l = fma(a5, bl, s5l); s5h = fma(a5, bh, s5h);
    s6l = fma(a6, bl, s6l); s6h = fma(a6, bh, s6h);
    s7l = fma(a7, bl, s7l); s7h = fma(a7, bh, s7h);
  }
  let ob = p * P.M * P.N;
  store8(ob, r0, c0, s0l, s0h);
  store8(ob, r0 + 1u, c0, s1l, s1h);
  store8(ob, r0 + 2u, c0, s2l, s2h);
  store8(ob, r0 + 3u, c0, s3l, s3h);
  store8(ob, r0 + 4u, c0, s4l, s4h);
  store8(ob, r0 + 5u, c0, s5l, s5h);
  store8(ob, r0 + 6u, c0, s6l, s6h);
  store8(ob, r0 + 7u, c0, s7l, s7h);
}
