/** Calibration of the adaptive points: the horizon T at which a tableau takes ≈ a target number of steps. */
import type { Device } from '@sympode/tensor';
import type { TableauName } from '@sympode/symplectic';
import { forwardSteps } from './measure.js';
import { buildMlpOde, type MlpOdeSpec } from './problems.js';

/**
 * The horizon T for which `method` at the given tolerances takes ≈ `target` accepted steps (float64 forward
 * solves: geometric search, then bisection on T).
 */
export async function calibrate(dev: Device, spec: MlpOdeSpec, method: TableauName, tol: { rtol: number; atol: number }, target: number): Promise<number> {
  const steps = async (T: number) => {
    const p = buildMlpOde(dev, { ...spec, T });
    try {
      return (await forwardSteps(p, { method, ...tol })).acceptedSteps;
    } finally {
      p.dispose();
    }
  };
  let lo = 0, hi = 1;
  let n = await steps(hi);
  for (let i = 0; i < 20 && n < target; i++) {
    lo = hi;
    hi *= 2;
    n = await steps(hi);
  }
  if (n === target) return hi;
  let best = hi, bestErr = Math.abs(n - target);
  for (let i = 0; i < 14 && bestErr > Math.max(0, Math.round(target * 0.02)); i++) {
    const mid = (lo + hi) / 2;
    const m = await steps(mid);
    if (Math.abs(m - target) < bestErr) {
      best = mid;
      bestErr = Math.abs(m - target);
    }
    if (m < target) lo = mid;
    else hi = mid;
  }
  return best;
}
