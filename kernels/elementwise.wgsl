// Element-wise kernels: unary (incl. the scalar-parameter ops), binary with broadcasting by strides, and where.
//
// Placeholders, substituted by the host (every pipeline of this file substitutes both):
//   UNARY   an f32 expression in `x` (the element) and `a` (the scalar alpha), e.g. `fsigmoid(x)`, `x * a`
//   BINARY  an f32 expression in `a` and `b`, e.g. `a + b`, `cmp(a < b, a, b)`
// Layout: every buffer is array<f32>; offsets and strides are in elements.
// Bindings (group 0): 0 uniform P; 1 out (read_write); 2 in0, 3 in1, 4 in2 (read-only storage).
//   unary_main : out[i] = UNARY(in0[i], P.alpha)                           contiguous, no offsets
//   binary_main: out[P.outOff + i] = BINARY(in0[view0(i)], in1[view1(i)])
//   where_main : out[P.outOff + i] = in0[view0(i)] != 0 (NaN counts as nonzero) ? in1[view1(i)] : in2[view2(i)]
// for i < P.size, i row-major over P.shape[0..P.rank); view_k(i) = P.off[k] + sum_d idx_d(i) * P.st_k[d]
// (strides may be 0 to broadcast, or negative). Rank <= 8: the host first drops size-1 dimensions and merges
// dimensions that are contiguous in every view, so most calls run with rank 1 or 2; a higher rank is split
// into one dispatch per index of the leading dimensions (P.off and P.outOff moved to it).
// Grid: 256 threads a workgroup, one element a thread; the host uses a 2-D grid (x <= 65535) for large sizes:
// i = (wid.y * nwg.x + wid.x) * 256 + lid.x; threads with i >= P.size do nothing.
// NaN handling does not rely on IEEE comparisons (lavapipe compiles `x != x` to false): isnan_ tests bits.

struct Params {
  size: u32,
  rank: u32,
  alpha: f32,
  outOff: u32,
  off: vec4<i32>,
  shape: array<vec4<u32>, 2>,
  st0: array<vec4<i32>, 2>,
  st1: array<vec4<i32>, 2>,
  st2: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> in0: array<f32>;
@group(0) @binding(3) var<storage, read> in1: array<f32>;
@group(0) @binding(4) var<storage, read> in2: array<f32>;

fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nan_() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn inf_() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// 1 or 0 from a comparison; any NaN operand gives `ifnan`.
fn cmp(c: bool, a: f32, b: f32, ifnan: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return ifnan; }
  return select(0.0, 1.0, c);
}
// max/min that propagate NaN (the first NaN operand wins), like the cpu reference.
fn fmax_(a: f32, b: f32) -> f32 {
  if (isnan_(a)) { return a; }
  if (isnan_(b)) { return b; }
  return select(b, a, a > b);
}
fn fmin_(a: f32, b: f32) -> f32 {
  if (isnan_(a)) { return a; }
  if (isnan_(b)) { return b; }
  return select(b, a, a < b);
}
//#include activations
fn fsign(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
// Math.pow semantics: negative bases with integral exponents, 0^y, pow(x, 0) = 1.
fn fpow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let ax = abs(x);
  var r: f32;
  if (ax == 0.0) {
    r = select(inf_(), 0.0, y > 0.0);
  } else if (ax == 1.0 && isinf_(y)) {
    return nan_();
  } else {
    r = exp(y * flog(ax));
    if (ax != 1.0 && abs(y) < 16.0 && y == round(y)) {
      // Small integral exponents: repeated multiplication is exact to rounding.
      var q = ax;
      var acc = 1.0;
      var k = u32(abs(y));
      loop {
        if ((k & 1u) == 1u) { acc = acc * q; }
        k = k >> 1u;
        if (k == 0u) { break; }
        q = q * q;
      }
      r = select(acc, 1.0 / acc, y < 0.0);
    }
  }
  if ((bitcast<u32>(x) & 0x80000000u) != 0u) {
    // Negative base (-0 and -inf included): NaN for a finite base and a non-integral exponent, else
    // |x|^y with the sign of x for odd integral y.
    if (x != 0.0 && !isinf_(x) && round(y) != y) { return nan_(); }
    if (round(y) == y && abs(y) < 16777216.0 && (i32(y) & 1) == 1) { r = -r; }
  }
  return r;
}

fn unary_op(x: f32, a: f32) -> f32 { return /*UNARY*/; }
fn binary_op(a: f32, b: f32) -> f32 { return /*BINARY*/; }

fn offsets(i: u32) -> vec3<i32> {
  if (P.rank <= 1u) {
    // Rank 0 or 1 (the common case after merging): no index decomposition. Unused strides are 0.
    return P.off.xyz + i32(i) * vec3<i32>(P.st0[0].x, P.st1[0].x, P.st2[0].x);
  }
  var rem = i;
  var o = P.off.xyz;
  for (var d = i32(P.rank) - 1; d >= 0; d = d - 1) {
    let q = u32(d) >> 2u;
    let r = u32(d) & 3u;
    let n = P.shape[q][r];
    let c = i32(rem % n);
    rem = rem / n;
    o = o + c * vec3<i32>(P.st0[q][r], P.st1[q][r], P.st2[q][r]);
  }
  return o;
}

@compute @workgroup_size(256)
fn unary_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.size) { return; }
  out[i] = unary_op(in0[i], P.alpha);
}

@compute @workgroup_size(256)
fn binary_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.size) { return; }
  let o = offsets(i);
  out[P.outOff + i] = binary_op(in0[o.x], in1[o.y]);
}

@compute @workgroup_size(256)
fn where_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= P.size) { return; }
  let o = offsets(i);
  let c = in0[o.x];
  // "!= 0" on the bits: true for everything but +0 and -0, NaN included.
  out[P.outOff + i] = select(in2[o.z], in1[o.y], (bitcast<u32>(c) & 0x7fffffffu) != 0u);
}
