/** Solves A·x = r for a small dense square system by LU with partial pivoting (A and r are overwritten). */
export function solveDense(a: Float64Array, r: Float64Array, m: number): Float64Array {
  for (let k = 0; k < m; k++) {
    let p = k;
    for (let i = k + 1; i < m; i++) if (Math.abs(a[i * m + k]) > Math.abs(a[p * m + k])) p = i;
    if (a[p * m + k] === 0) throw new RangeError('solveDense: the Newton Jacobian is singular');
    if (p !== k) {
      for (let j = 0; j < m; j++) [a[k * m + j], a[p * m + j]] = [a[p * m + j], a[k * m + j]];
      [r[k], r[p]] = [r[p], r[k]];
    }
    const piv = a[k * m + k];
    for (let i = k + 1; i < m; i++) {
      const l = a[i * m + k] / piv;
      if (l === 0) continue;
      for (let j = k; j < m; j++) a[i * m + j] -= l * a[k * m + j];
      r[i] -= l * r[k];
    }
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = r[i];
    for (let j = i + 1; j < m; j++) s -= a[i * m + j] * x[j];
    x[i] = s / a[i * m + i];
  }
  return x;
}
