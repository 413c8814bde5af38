/**
 * The implicit DVDM time step (ν − u)/dt = G δH/δ(u, ν), solved for ν by Newton's method with the scheme's
 * exact Jacobian from the explicit-Euler guess (the reference starts scipy's fsolve, xtol 1e-10, there).
 * Newton converges quadratically here, so it stops at rounding: closer to the scheme than fsolve is.
 */
import { solveDense } from './dense-solve.js';
import type { DvdmSystem } from './system.js';

/** Newton's stopping rule and iteration cap. */
export interface DvdmOptions {
  /** Stop when max|δ| ≤ tol · (1 + max|ν|); default 1e-13. */
  tol?: number;
  /** Newton iterations per step before giving up; default 30. */
  maxIterations?: number;
}

/** One implicit step from u over dt. */
export function dvdmStep(sys: DvdmSystem, u: Float64Array, dt: number, opts: DvdmOptions = {}): Float64Array {
  const tol = opts.tol ?? 1e-13;
  const cap = opts.maxIterations ?? 30;
  const m = sys.M;
  const f0 = sys.dudt(u);
  const nu = u.map((v, i) => v + dt * f0[i]);
  for (let it = 0; it < cap; it++) {
    const g = sys.discreteField(u, nu);
    const r = nu.map((v, i) => (v - u[i]) / dt - g[i]);
    const jf = sys.discreteFieldJacobian(u, nu);
    const j = jf.map((v) => -v);
    for (let i = 0; i < m; i++) j[i * m + i] += 1 / dt;
    const delta = solveDense(j, r, m);
    let dmax = 0;
    let nmax = 0;
    for (let i = 0; i < m; i++) {
      nu[i] -= delta[i];
      dmax = Math.max(dmax, Math.abs(delta[i]));
      nmax = Math.max(nmax, Math.abs(nu[i]));
    }
    if (!Number.isFinite(dmax)) break;
    if (dmax <= tol * (1 + nmax)) return nu;
  }
  throw new RangeError(`dvdmStep (${sys.name}): Newton did not converge in ${cap} iterations (dt = ${dt}); take a smaller dt`);
}

/** The trajectory u(t_0 = 0), u(dt), …, u(steps·dt): [steps + 1][M]. */
export function dvdmIntegrate(sys: DvdmSystem, u0: Float64Array, dt: number, steps: number, opts: DvdmOptions = {}): Float64Array[] {
  if (u0.length !== sys.M) throw new RangeError(`dvdmIntegrate: u0 has ${u0.length} points, the grid ${sys.M}`);
  const out: Float64Array[] = [Float64Array.from(u0)];
  for (let n = 0; n < steps; n++) out.push(dvdmStep(sys, out[n], dt, opts));
  return out;
}
