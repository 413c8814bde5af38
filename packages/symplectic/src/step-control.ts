/**
 * The adaptive step-size controller, identical to torchdiffeq's RK controller so step sequences compare one
 * to one (see DESIGN.md): initial step after Hairer–Nørsett–Wanner II.4, and the safety/ifactor/dfactor rule.
 */

export const SAFETY = 0.9;
export const IFACTOR = 10;
export const DFACTOR = 0.2;

/** Next step size from the last one and its error ratio (torchdiffeq's `_optimal_step_size`). */
export function nextStepSize(h: number, ratio: number, order: number): number {
  if (ratio === 0) return h * IFACTOR;
  const dfactor = ratio < 1 ? 1 : DFACTOR;
  return h * Math.min(IFACTOR, Math.max(SAFETY / ratio ** (1 / order), dfactor));
}

/** RMS norm of x / scale over all elements. */
export function rmsScaled(x: ArrayLike<number>, scale: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / scale[i];
    s += v * v;
  }
  return Math.sqrt(s / x.length);
}

/**
 * Initial step (torchdiffeq's `_select_initial_step` with p = order − 1). `f1At(h0)` evaluates f at
 * (t0 + h0, y0 + h0·f0) and returns it on the host. Host-side arithmetic: the vectors are read once.
 */
export async function initialStepSize(
  y0: ArrayLike<number>,
  f0: ArrayLike<number>,
  order: number,
  rtol: number,
  atol: number,
  f1At: (h0: number) => Promise<ArrayLike<number>>,
): Promise<number> {
  const scale = Float64Array.from(y0, (v) => atol + Math.abs(v) * rtol);
  const d0 = rmsScaled(y0, scale);
  const d1 = rmsScaled(f0, scale);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : Math.abs((0.01 * d0) / d1);
  const f1 = await f1At(h0);
  const diff = Float64Array.from(f1, (v, i) => v - f0[i]);
  const d2 = Math.abs(rmsScaled(diff, scale) / h0);
  const p = order - 1;
  const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / (p + 1));
  return Math.min(100 * h0, Math.abs(h1));
}
