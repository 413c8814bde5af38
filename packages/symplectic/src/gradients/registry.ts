/**
 * Every gradient method `odeint` knows, by the name its `gradient` option takes. Each list of method names
 * (options, the CLI, the bench) reads this registry; a new method is one file and one line here.
 */
import { backprop } from './backprop.js';
import { checkpoint } from './checkpoint.js';
import { continuousAdjointMethod } from './continuous-adjoint.js';
import type { GradientMethod } from './method.js';
import { recompute } from './recompute.js';
import { symplecticAdjoint } from './symplectic-adjoint.js';

const REGISTRY = {
  'symplectic-adjoint': symplecticAdjoint,
  backprop,
  checkpoint,
  adjoint: continuousAdjointMethod,
  recompute,
} as const satisfies Record<string, GradientMethod>;

/** The name of a gradient method (`odeint`'s `gradient` option). */
export type GradientMethodName = keyof typeof REGISTRY;

/** The gradient methods by name. */
export const GRADIENTS: Readonly<Record<GradientMethodName, GradientMethod>> = REGISTRY;

/** The names of every gradient method, the default ('symplectic-adjoint') first. */
export const GRADIENT_METHODS = Object.keys(REGISTRY) as GradientMethodName[];
