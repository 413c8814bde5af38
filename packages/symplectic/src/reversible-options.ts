/**
 * odeint's options of the reversible solvers: the stand-in tableau of 'reversible_heun' or of 'reversible'
 * on its `base` tableau with its `coupling`, both checked; `base`/`coupling` given to another method are
 * refused by name (they would be ignored).
 */
import { InvalidArgumentError } from '@sympode/tensor';
import { describe } from './describe.js';
import { REVERSIBLE_HEUN, REVERSIBLE_METHODS, type ReversibleMethodName } from './reversible-heun.js';
import type { GradientMethod } from './gradients/method.js';
import { reversibleRkTableau } from './reversible-rk.js';
import { getTableau, type Tableau } from './tableaus.js';

/** The default coupling: diffrax's `Reversible` (McCallum & Foster's implementation) takes l = 0.999. */
export const DEFAULT_COUPLING = 0.999;

/** The stand-in tableau of a reversible solver (`fixed`: a stepSize was given). */
export function reversibleTableau(method: ReversibleMethodName, base: unknown, coupling: unknown, fixed: boolean): Tableau {
  if (method === 'reversible_heun') return REVERSIBLE_HEUN;
  const b = getTableau(base === undefined ? 'rk4' : typeof base === 'string' ? base : String(base));
  const lam = coupling ?? DEFAULT_COUPLING;
  if (typeof lam !== 'number' || !(lam > 0 && lam <= 1)) {
    throw new InvalidArgumentError(`coupling must be a number in (0, 1] (the reversible coupling λ), got ${describe(lam)}`);
  }
  return reversibleRkTableau(b, lam, fixed);
}

/** `base` and `coupling` belong to method 'reversible' only. */
export function noReversibleOptions(method: unknown, base: unknown, coupling: unknown): void {
  for (const [k, v] of [['base', base], ['coupling', coupling]] as const) {
    if (v !== undefined) throw new InvalidArgumentError(`${k} is an option of method 'reversible' (reversible Runge–Kutta), not of '${String(method)}'`);
  }
}

/**
 * A reversible gradient needs a reversible solver; a reversible solver takes 'reversible' or 'backprop'
 * (the per-step methods differentiate Runge–Kutta stages it does not have) and outputs at step ends.
 */
export function checkReversible(isRev: boolean, tableau: Tableau, gradient: GradientMethod, outputs: unknown): void {
  if (gradient.reversible && !isRev) {
    throw new InvalidArgumentError(
      `gradient '${gradient.name}' needs a reversible solver (method: ${REVERSIBLE_METHODS.map((m) => `'${m}'`).join(' or ')}); '${tableau.name}' is a Runge–Kutta tableau, whose steps cannot be inverted`,
    );
  }
  if (!isRev) return;
  if (!gradient.reversible && !gradient.recordsGraph) {
    throw new InvalidArgumentError(`method '${tableau.name}' is differentiated by 'reversible' or 'backprop', not by '${gradient.name}'`);
  }
  if (outputs === 'interpolate') throw new InvalidArgumentError(`method '${tableau.name}' outputs the states at step ends only (outputs: 'step')`);
}
