// Accurate float32 activations shared by elementwise.wgsl and linear.wgsl (pulled in by `//#include
// activations`, so fused and unfused layers compute the same formulas). Needs isnan_ and isinf_ from the
// including file.
// 2 atanh(s) = log((1 + s) / (1 - s)) for |s| <= 0.1716 (series to s^9: below 1e-9 relative).
fn atanh2(s: f32) -> f32 {
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * 0.11111111))));
}
// Natural log with ~1 ulp relative error (the builtin has only ~2^-21 absolute error near 1):
// x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh((m - 1) / (m + 1)), m - 1 exact.
fn flog(x: f32) -> f32 {
  if (!(x > 0.0) || isnan_(x) || isinf_(x)) { return log(x); }
  let fe = frexp(x);
  var m = fe.fract;
  var e = f32(fe.exp);
  if (m < 0.70710678) { m = m * 2.0; e = e - 1.0; }
  let p = atanh2((m - 1.0) / (m + 1.0));
  return e * 0.693145751953125 + (p + e * 1.4286068e-6);
}
// log(1 + u), accurate for small u: 2 atanh(u / (2 + u)) near 0 (no 1 + u rounding, and no `(1 + u) - 1`
// that a fast-math compiler could fold away), flog(1 + u) elsewhere.
fn flog1p(u: f32) -> f32 {
  if (u > -0.29289322 && u < 0.41421356) { return atanh2(u / (2.0 + u)); }
  return flog(1.0 + u);
}
// tanh: odd series below 0.3 (the builtin loses relative accuracy near 0), exp form above.
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
