// Strided copy: dst[dview(i)] = src[sview(i)] for every i < P.size, i row-major over P.shape[0..P.rank).
//
// Layout: src and dst are array<f32>; view(i) = off + sum_d idx_d(i) * stride_d, offsets and strides in
// elements (strides may be 0 or negative; a dst stride of 0 would race and is the caller's bug).
// Rank <= 8: the host drops size-1 dimensions and merges dimensions contiguous in both views first; a higher
// rank is split into one dispatch per index of the leading dimensions (offsets moved to it).
// Bindings (group 0): 0 uniform P; 1 dst (read_write); 2 src (read-only). src and dst are distinct buffers
// (the host stages a self-copy through a temporary buffer).
// Grid: 256 threads a workgroup, one element a thread, i = (wid.y * nwg.x + wid.x) * 256 + lid.x; i >= P.size idles.

struct Params {
  size: u32,
  rank: u32,
  srcOff: i32,
  dstOff: i32,
  shape: array<vec4<u32>, 2>,
  sst: array<vec4<i32>, 2>,
  dst: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> dstBuf: array<f32>;
@group(0) @binding(2) var<storage, read> srcBuf: array<f32>;

@compute @workgroup_size(256)
fn copy_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.size) { return; }
  if (P.rank <= 1u) {
    // Rank 0 or 1 (the common case after merging): no index decomposition. Unused strides are 0.
    dstBuf[P.dstOff + i32(i) * P.dst[0].x] = srcBuf[P.srcOff + i32(i) * P.sst[0].x];
    return;
  }
  var rem = i;
  var so = P.srcOff;
  var dO = P.dstOff;
  for (var d = i32(P.rank) - 1; d >= 0; d = d - 1) {
    let q = u32(d) >> 2u;
    let r = u32(d) & 3u;
    let n = P.shape[q][r];
    let c = i32(rem % n);
    rem = rem / n;
    so = so + c * P.sst[q][r];
    dO = dO + c * P.dst[q][r];
  }
  dstBuf[dO] = srcBuf[so];
}
