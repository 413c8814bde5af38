/**
 * Tolerances against the precision and range of the device's dtype. A tolerance no state of that dtype can meet
 * is a ToleranceError before anything is allocated: scipy's solve_ivp warns and raises an rtol below 100·eps to
 * that, MATLAB's ode45 likewise; we never change a user's value, we say what is wrong with it.
 */
import type { DType } from '@sympode/tensor';
import { ToleranceError } from './solver-errors.js';

/** Of each dtype: eps (the spacing of floats at 1; the unit roundoff is eps/2) and the smallest normal number. */
export const DTYPE_LIMITS: Readonly<Record<DType, { eps: number; tiny: number }>> = {
  float64: { eps: 2 ** -52, tiny: 2 ** -1022 },
  float32: { eps: 2 ** -23, tiny: 2 ** -126 },
};

/** x to two significant digits, rounded up (a bound the message suggests must itself pass). */
function up2(x: number): number {
  const r = Number(x.toPrecision(2));
  return r >= x ? r : Number((r + 10 ** (Math.floor(Math.log10(x)) - 1)).toPrecision(2));
}
const near2 = (x: number): number => Number(x.toPrecision(2));

/** The tolerances an odeint call resolved to (adjoint ones default to the forward's). */
export interface Tolerances {
  rtol: number;
  atol: number;
  adjointRtol: number;
  adjointAtol: number;
}

/**
 * Throws ToleranceError for an rtol below the dtype's unit roundoff (eps/2: the relative error of storing the
 * state itself, so no step can be that accurate) or an atol below its smallest normal number (a subnormal
 * scale, flushed to 0 by GPU kernels, makes the error ratio error / (atol + rtol·|y|) overflow where a
 * component of y is 0). Tight but meaningful tolerances pass: rtol 1e-13 on float64, the default 1e-7 on float32.
 */
export function checkTolerances(o: Tolerances, dtype: DType): void {
  const { eps, tiny } = DTYPE_LIMITS[dtype];
  for (const name of ['rtol', 'adjointRtol'] as const) {
    const v = o[name];
    if (v >= eps / 2) continue;
    const hint = dtype === 'float32' ? ', or solve in float64 (the cpu backend) for tighter tolerances' : " (scipy's solve_ivp raises anything below 100·eps ≈ 2.2e-14 to that)";
    throw new ToleranceError(
      `${name} ${v} cannot be met in ${dtype} (y0's dtype): it is below the dtype's unit roundoff ${near2(eps / 2)} (eps/2, eps = ${near2(eps)}), the relative error of storing the state itself; pass ${name} ≥ ${up2(eps)}${hint}`,
    );
  }
  for (const name of ['atol', 'adjointAtol'] as const) {
    const v = o[name];
    if (v >= tiny) continue;
    throw new ToleranceError(
      `${name} ${v} cannot be used in ${dtype} (y0's dtype): it is below the dtype's smallest normal number ${near2(tiny)}, so where a component of the state is 0 the error ratio error / (atol + rtol·|y|) overflows${dtype === 'float32' ? ' (GPU kernels flush it to 0)' : ''}; pass ${name} ≥ ${up2(tiny)}, e.g. 1e-12 times the state's typical size`,
    );
  }
}
