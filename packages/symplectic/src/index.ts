/**
 * @sympode/symplectic: explicit Runge–Kutta solvers (tableaus as data, torchdiffeq's step-size controller)
 * and the gradient methods for Neural ODEs: the symplectic adjoint (exact, O(N + s + L) memory), backprop
 * through the solver, checkpointed backprop (ACA), the continuous adjoint and the one-checkpoint baseline;
 * dense output from each tableau's interpolant; the reversible Heun solver with its O(1)-memory gradient.
 */
export { odeint } from './odeint.js';
export type { AdjointNorm, OdeintOptions, OdeintStats, StageMode } from './options.js';
export type { ErrorNorm } from './stepper.js';
export type { OdeFunc } from './field.js';
export { GRADIENTS, GRADIENT_METHODS, REVERSIBLE_GRADIENT_METHODS } from './gradients/registry.js';
export { REVERSIBLE_METHODS, isReversibleMethod, type ReversibleMethodName } from './reversible-heun.js';
export type { GradientMethodName } from './gradients/registry.js';
export type { GradientMethod, BackwardRun } from './gradients/method.js';
export type { FunctionBytes, SolveShape, MemoryPrediction } from './gradients/memory-model.js';
export { keptPerEval, evalsPerStep, checkpointStates, pendingStageGrads } from './gradients/memory-model.js';
export { revolveCost, revolveSplit, revolveChain, binomialReach } from './gradients/revolve.js';
export type { StepStates } from './gradients/step-states.js';
export { keepCheckpoints, keepSolution, keepInitial, keepFinal, keptAs } from './gradients/keepers.js';
export type { Kept, KeptKind, Keeper, KeeperContext, ForwardKeep } from './gradients/keepers.js';
export { IntegralController } from './controller.js';
export { PIDController, type PIDControllerOptions } from './pid-controller.js';
export type { StepSizeController, IntegralControllerOptions, InitialStepInput, StepDecision } from './controller.js';
export { TABLEAUS, TABLEAU_NAMES, getTableau, isTableauName, UnknownMethodError } from './tableaus.js';
export type { Tableau, TableauName } from './tableaus.js';
export {
  StepSizeUnderflowError, MaxStepsExceededError, NonFiniteStateError, UnknownGradientMethodError,
  UntrackedParameterError, NonFiniteGradientError, ToleranceError, AbortError,
} from './solver-errors.js';
export type { AbortSignalLike, StepInfo, OnStep } from './progress.js';
export { skippedStages } from './gradients/symplectic-adjoint.js';
export { stagePlan, type StagePlan } from './no-graph-stepper.js';
export { reverseSweep, type StepBackward } from './gradients/reverse-sweep.js';
export { vjp } from './gradients/vjp.js';
export type { GradientAccumulator } from './gradients/accumulator.js';
export type { Field, EvalCounter } from './field.js';
export type { AcceptedStep, IntegrateOptions, IntegrateStats, OutputMode } from './integrate.js';
export { denseWeights, interpolantOf, type Interpolant } from './interpolants.js';
export type { DenseCotangent } from './gradients/placement.js';
export type { StepSpan } from './gradients/replay.js';
