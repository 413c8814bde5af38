/**
 * @sympode/symplectic: explicit Runge–Kutta solvers (tableaus as data, torchdiffeq's step-size controller)
 * and the gradient methods for Neural ODEs: the symplectic adjoint (exact, O(N + s + L) memory), backprop
 * through the solver, checkpointed backprop (ACA) and the continuous adjoint.
 */
export { odeint } from './odeint.js';
export type { OdeintOptions, OdeintStats, GradientMethod } from './options.js';
export { GRADIENT_METHODS } from './options.js';
export type { OdeFunc } from './rk-stepper.js';
export { TABLEAUS, TABLEAU_NAMES, getTableau, isTableauName, UnknownMethodError } from './tableaus.js';
export type { Tableau, TableauName } from './tableaus.js';
export {
  StepSizeUnderflowError, MaxStepsExceededError, NonFiniteStateError, UnknownGradientMethodError,
  UntrackedParameterError, NonFiniteGradientError,
} from './solver-errors.js';
export { skippedStages } from './gradients/symplectic-adjoint.js';
