/**
 * Every gradient method `odeint` knows, by the name its `gradient` option takes. Each list of method names
 * (options, the CLI, the bench) reads this registry; a new method is one file and one line here. A method
 * that needs a reversible solver (`reversible: true`) is listed apart, since it cannot run on the tableaus.
 */
import { backprop } from './backprop.js';
import { checkpoint } from './checkpoint.js';
import { continuousAdjointMethod } from './continuous-adjoint.js';
import type { GradientMethod } from './method.js';
import { recompute } from './recompute.js';
import { reversible } from './reversible.js';
import { symplecticAdjoint } from './symplectic-adjoint.js';

/** The name of a gradient method (`odeint`'s `gradient` option). */
export type GradientMethodName = 'symplectic-adjoint' | 'backprop' | 'checkpoint' | 'adjoint' | 'recompute' | 'reversible';

const REGISTRY = {
  'symplectic-adjoint': symplecticAdjoint,
  backprop,
  checkpoint,
  adjoint: continuousAdjointMethod,
  recompute,
  reversible,
} as const satisfies Record<GradientMethodName, GradientMethod>;

/** The gradient methods by name. */
export const GRADIENTS: Readonly<Record<GradientMethodName, GradientMethod>> = REGISTRY;

/**
 * The gradient methods that differentiate any Runge–Kutta tableau, the default ('symplectic-adjoint') first:
 * the list the CLI and the bench iterate. Those that need a reversible solver are in
 * {@link REVERSIBLE_GRADIENT_METHODS}; `GRADIENTS` has both.
 */
export const GRADIENT_METHODS = (Object.keys(REGISTRY) as GradientMethodName[]).filter((n) => !REGISTRY[n].reversible);

/** The gradient methods that need a reversible solver (`method: 'reversible_heun'`). */
export const REVERSIBLE_GRADIENT_METHODS = (Object.keys(REGISTRY) as GradientMethodName[]).filter((n) => REGISTRY[n].reversible);
