/**
 * The cpu backend's matrix product, register-blocked: 4×4 outputs at a time, 16 accumulators, each output
 * still summed alone in order q = 0 … k−1 from 0. So results are bit for bit those of the plain dot-product
 * loop (float64 and float32 alike), only 8 loads feed 16 multiply-adds instead of 2 loads one.
 */
type Arr = Float64Array | Float32Array;

/** The signature of {@link gemm} (the backend passes its WebAssembly one or this). */
export type Gemm = (
  a: Arr, ao: number, ar: number, ac: number, b: Arr, bo: number, br: number, bc: number,
  out: Arr, oo: number, m: number, n: number, k: number, bias: Arr | null,
) => void;

/**
 * out[oo + i·n + j] = Σ_q A(i, q) · B(q, j) (+ bias[j] after the sum when `bias` is given), with
 * A(i, q) = a[ao + i·ar + q·ac] and B(q, j) = b[bo + q·br + j·bc], for i < m, j < n.
 */
export function gemm(
  a: Arr, ao: number, ar: number, ac: number,
  b: Arr, bo: number, br: number, bc: number,
  out: Arr, oo: number, m: number, n: number, k: number, bias: Arr | null = null,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = ao + i * ar, a1 = a0 + ar, a2 = a1 + ar, a3 = a2 + ar;
    const o0 = oo + i * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    for (let j = 0; j < n4; j += 4) {
      const b0 = bo + j * bc, b1 = b0 + bc, b2 = b1 + bc, b3 = b2 + bc;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let q = 0; q < k; q++) {
        const qa = q * ac, qb = q * br;
        const x0 = a[a0 + qa], x1 = a[a1 + qa], x2 = a[a2 + qa], x3 = a[a3 + qa];
        const y0 = b[b0 + qb], y1 = b[b1 + qb], y2 = b[b2 + qb], y3 = b[b3 + qb];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      if (bias) {
        const c0 = bias[j], c1 = bias[j + 1], c2 = bias[j + 2], c3 = bias[j + 3];
        out[o0 + j] = s00 + c0; out[o0 + j + 1] = s01 + c1; out[o0 + j + 2] = s02 + c2; out[o0 + j + 3] = s03 + c3;
        out[o1 + j] = s10 + c0; out[o1 + j + 1] = s11 + c1; out[o1 + j + 2] = s12 + c2; out[o1 + j + 3] = s13 + c3;
        out[o2 + j] = s20 + c0; out[o2 + j + 1] = s21 + c1; out[o2 + j + 2] = s22 + c2; out[o2 + j + 3] = s23 + c3;
        out[o3 + j] = s30 + c0; out[o3 + j + 1] = s31 + c1; out[o3 + j + 2] = s32 + c2; out[o3 + j + 3] = s33 + c3;
      } else {
        out[o0 + j] = s00; out[o0 + j + 1] = s01; out[o0 + j + 2] = s02; out[o0 + j + 3] = s03;
        out[o1 + j] = s10; out[o1 + j + 1] = s11; out[o1 + j + 2] = s12; out[o1 + j + 3] = s13;
        out[o2 + j] = s20; out[o2 + j + 1] = s21; out[o2 + j + 2] = s22; out[o2 + j + 3] = s23;
        out[o3 + j] = s30; out[o3 + j + 1] = s31; out[o3 + j + 2] = s32; out[o3 + j + 3] = s33;
      }
    }
    // Ragged columns: 4 rows × 1 column.
    for (let j = n4; j < n; j++) {
      const b0 = bo + j * bc;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let q = 0; q < k; q++) {
        const qa = q * ac;
        const y = b[b0 + q * br];
        s0 += a[a0 + qa] * y; s1 += a[a1 + qa] * y; s2 += a[a2 + qa] * y; s3 += a[a3 + qa] * y;
      }
      const c = bias ? bias[j] : 0;
      out[o0 + j] = bias ? s0 + c : s0; out[o1 + j] = bias ? s1 + c : s1;
      out[o2 + j] = bias ? s2 + c : s2; out[o3 + j] = bias ? s3 + c : s3;
    }
  }
  // Ragged rows: 1 row × 4 columns, then single outputs.
  for (let i = m4; i < m; i++) {
    const a0 = ao + i * ar;
    const o0 = oo + i * n;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = bo + j * bc, b1 = b0 + bc, b2 = b1 + bc, b3 = b2 + bc;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let q = 0; q < k; q++) {
        const x = a[a0 + q * ac];
        const qb = q * br;
        s0 += x * b[b0 + qb]; s1 += x * b[b1 + qb]; s2 += x * b[b2 + qb]; s3 += x * b[b3 + qb];
      }
      out[o0 + j] = bias ? s0 + bias[j] : s0; out[o0 + j + 1] = bias ? s1 + bias[j + 1] : s1;
      out[o0 + j + 2] = bias ? s2 + bias[j + 2] : s2; out[o0 + j + 3] = bias ? s3 + bias[j + 3] : s3;
    }
    for (; j < n; j++) {
      const b0 = bo + j * bc;
      let s = 0;
      for (let q = 0; q < k; q++) s += a[a0 + q * ac] * b[b0 + q * br];
      out[o0 + j] = bias ? s + bias[j] : s;
    }
  }
}
