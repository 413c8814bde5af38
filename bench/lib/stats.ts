/** Small numeric helpers of the harness: medians, least-squares lines, relative errors. */

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination (1 for a perfect line). */
  r2: number;
}

/** Ordinary least squares y ≈ slope·x + intercept. */
export function fitLine(x: readonly number[], y: readonly number[]): LineFit {
  const n = Math.min(x.length, y.length);
  if (n < 2) return { slope: NaN, intercept: NaN, r2: NaN };
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

/** ‖a − b‖₂ / ‖b‖₂ (b is the reference). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths differ (${a.length} vs ${b.length})`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** Concatenates arrays into one Float64Array. */
export function flatten(parts: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(Array.from(p), off);
    off += p.length;
  }
  return out;
}
