/** odeint's options: types, defaults and validation (each bad value is a clear, typed error). */
import { DeviceDestroyedError, DisposedTensorError, InvalidArgumentError, NonFiniteError, ShapeError, Tensor, type nn } from '@sympode/tensor';
import { describe } from './describe.js';
import { UnknownGradientMethodError } from './solver-errors.js';
import { getTableau, type Tableau, type TableauName } from './tableaus.js';
import { isReversibleMethod, type ReversibleMethodName } from './reversible-heun.js';
import { checkReversible, noReversibleOptions, reversibleTableau } from './reversible-options.js';
import { IntegralController, type StepSizeController } from './controller.js';
import type { ErrorNorm } from './stepper.js';
import type { OutputMode } from './integrate.js';
import type { GradientMethod } from './gradients/method.js';
import { GRADIENTS, type GradientMethodName } from './gradients/registry.js';
import { checkTolerances, type Tolerances } from './precision.js';
import { checkProgress, checkStats, checkStepTimes, type AbortSignalLike, type OnStep } from './progress.js';

/** Counters a solve reports through `options.stats`. */
export interface OdeintStats {
  /** The tableau's name. */
  method: string;
  /** The gradient method's name. */
  gradient: string;
  acceptedSteps: number;
  rejectedSteps: number;
  /** Function evaluations of the forward solve. */
  nfeForward: number;
  /** Function evaluations (forward or VJP) of the backward pass; 0 until backward runs. */
  nfeBackward: number;
  /** Accepted / rejected steps of the continuous adjoint's backward solve. */
  backwardSteps: number;
  /** End times of the forward solve's accepted steps. */
  stepEndTimes: number[];
  /** Steps re-executed by the backward to rebuild states a `checkpoints` budget did not keep (0 without one). */
  recomputedSteps: number;
  /** Evaluations of f those recomputed steps took (included in `nfeBackward`). */
  recomputedNfe: number;
}

/** How the symplectic adjoint's backward gets a step's stage states: see `OdeintOptions.stages`. */
export type StageMode = 'recompute' | 'keep';

/** The error norm of the continuous adjoint's backward solve: see `OdeintOptions.adjointNorm`. */
export type AdjointNorm = 'full' | 'seminorm';

/** Options of `odeint`: method, tolerances, gradient method, parameters, checks and counters. */
export interface OdeintOptions {
  /**
   * Tableau name (default 'dopri5'), or a reversible solver, differentiated by 'reversible' (its default, at
   * memory independent of the number of steps) or by 'backprop': 'reversible_heun' (second order), or
   * 'reversible', reversible Runge–Kutta on the explicit tableau `base` with coupling `coupling` (McCallum &
   * Foster 2024): fixed steps with `stepSize`, else adaptive steps when `base` is adaptive (its embedded error
   * estimate). Reversible solvers output at step ends (`outputs: 'step'`).
   */
  method?: TableauName | ReversibleMethodName;
  /** method 'reversible': the explicit tableau each step is built from (default 'rk4'). */
  base?: TableauName;
  /**
   * method 'reversible': the coupling λ ∈ (0, 1] of the two states (default 0.999, as diffrax's
   * `Reversible`). Close to 1 the reconstruction's division by λ is harmless but the stability region on
   * dissipative problems is small (rk4 at hμ = −0.5 grows a spurious mode at 0.999, damps it at 0.5):
   * a smaller λ widens it (docs/DESIGN.md).
   */
  coupling?: number;
  /**
   * Relative tolerance of adaptive methods (default 1e-7): at most 1, and at least the unit roundoff of y0's
   * dtype (eps/2: 1.1e-16 for float64, 6e-8 for float32), below which it cannot be met (ToleranceError).
   */
  rtol?: number;
  /**
   * Absolute tolerance of adaptive methods (default 1e-9): at least the smallest normal number of y0's dtype
   * (2.2e-308 for float64, 1.2e-38 for float32; ToleranceError below).
   */
  atol?: number;
  /** Step-size controller of adaptive methods (default: torchdiffeq's integral controller). */
  controller?: StepSizeController;
  /**
   * Error norm of adaptive steps: 'batch' (default) takes one RMS over the whole state, so one step size
   * serves the batch on average; 'per-sample' takes one RMS per sample (y0's leading axis; a state of rank < 2
   * is one sample) and the worst sample decides (torchode's choice): every sample's local error is within
   * tolerance, at the price of the steps the hardest sample needs. It costs a few more element-wise
   * dispatches per step (still one readback); the first step is chosen from the whole state either way.
   */
  norm?: ErrorNorm;
  /**
   * Where the solution at the output times comes from. 'interpolate': the steps go through to the last time
   * as the controller (or `stepSize`) chooses, and each output is read from the tableau's interpolant inside
   * the step containing it (interpolants.ts), so the steps, and the cost, do not depend on how many outputs
   * are asked for; every gradient method differentiates the interpolant exactly (the continuous adjoint
   * solves backward interval by interval either way). 'step': steps are cut short to land on every output
   * time (the symplectic adjoint authors' convention; outputs are then steps' end states).
   * Default: 'interpolate' for adaptive methods (what torchdiffeq does), 'step' for fixed-step ones (their
   * steps land on the output grid, at the tableau's full order, unless `stepSize` is given and the outputs
   * are asked to be interpolated). Interpolant orders: bosh3 3, dopri5 4, tsit5 4, dopri8 5 (below its
   * steps' eighth order: with tight tolerances pass 'step' where dopri8's outputs must meet them; docs/DESIGN.md
   * has the measured errors).
   */
  outputs?: OutputMode;
  /** Fixed-step methods: step size; without it, one step per output interval. */
  stepSize?: number;
  /** Adaptive methods: first step (default: chosen as torchdiffeq does). */
  firstStep?: number;
  /** Adaptive methods: the largest step (diffrax's dtmax); the continuous adjoint's backward solve too. */
  maxStep?: number;
  /** Times the forward's steps land on (no output there; diffrax's step_ts), e.g. where f has a kink. */
  stepTimes?: readonly number[];
  /** Most steps (accepted + rejected) of one solve (default 100000). */
  maxSteps?: number;
  /** Gradient method: a registered name (default 'symplectic-adjoint') or your own GradientMethod object. */
  gradient?: GradientMethodName | GradientMethod;
  /**
   * Checkpoint budget of 'symplectic-adjoint' and 'checkpoint': hold at most this many step states at once
   * (y0 included) and recompute the others from the nearest held one during backward: binomial
   * checkpointing (revolve) for fixed steps, online thinning for adaptive ones. Gradients are unchanged;
   * the backward's memory grows with the budget instead of the number of steps, its time with the
   * recomputed steps (`stats.recomputedSteps`). Default: one checkpoint per accepted step.
   */
  checkpoints?: number;
  /**
   * What the symplectic adjoint's backward does for a step's stage states. 'recompute' (default, the paper's
   * method): rebuild them from the step's checkpoint with graph-free evaluations of f (5 per dopri5 step),
   * memory O(N + s + L). 'keep': the forward stores each accepted step's stage derivatives that those
   * evaluations would produce (k_0 … k_{m−1}: m = 5 states per dopri5 step, `storedStageRows`), so the backward
   * evaluates f only inside its VJPs: the same gradient bit for bit, N·m more states held until backward
   * (states, not graphs: small next to f's graph when the network is wide), and the backward's time close to
   * checkpointed backprop's. Steps with an output inside them still evaluate the stages only the interpolant
   * reads. Not combinable with a `checkpoints` budget (which exists to hold fewer states).
   */
  stages?: StageMode;
  /** Tolerances of the continuous adjoint's backward solve (default: rtol / atol; the same bounds as those). */
  adjointRtol?: number;
  adjointAtol?: number;
  /**
   * Error norm of the continuous adjoint's ('adjoint') backward solve, whose state is z = [y, a, g_θ]. 'full'
   * (default): one RMS over all of z. 'seminorm' (Kidger, Chen & Lyons 2021; diffrax's adjoint_rms_seminorm):
   * one RMS over [y, a] only, the first step chosen from them too. g_θ = ∫ aᵀ f_θ dt feeds back into nothing,
   * so its error need not limit the step: the backward often takes fewer steps (evaluations of f's VJP) for
   * the same gradient error, though not always, since g_θ's small errors also dilute the full RMS
   * (docs/DESIGN.md has measured counts). 'full' is the default, as in torchdiffeq and diffrax (where the
   * seminorm is opt-in), and keeps existing numbers unchanged. Under 'seminorm' a non-finite g_θ no longer
   * shows in the step error; `checkBackward` catches it at each output time. 'seminorm' needs gradient
   * 'adjoint' and an adaptive method (InvalidArgumentError otherwise).
   */
  adjointNorm?: AdjointNorm;
  /**
   * Parameters θ of f, as tensors or a Module. Optional: the tensors requiring grad that f reads (e.g. from
   * its closure) are found at f's first evaluation and differentiated too; list here any that f reads only
   * later (a tensor f reads during backward that is in neither set throws UntrackedParameterError). A tensor
   * listed twice (or also found in the closure) is one parameter: its gradient is counted once. A tensor
   * computed before the solve (A = w.mul(w).neg()) may be listed or found: the solve differentiates up to it,
   * and A's own graph runs once, in the outer backward. Do not modify them in place before backward
   * (InPlaceModificationError).
   */
  params?: readonly Tensor[] | nn.Module;
  /**
   * Check the adjoint for NaN/∞ after every backward step and the parameter gradients at the end, throwing
   * NonFiniteGradientError (one scalar readback per step). Default true.
   */
  checkBackward?: boolean;
  /** Out-parameter: filled with step and evaluation counts (updated again by backward). */
  stats?: Partial<OdeintStats>;
  /** Cancels the solve or its backward between two steps (AbortError; all freed). Not backprop's backward. */
  signal?: AbortSignalLike;
  /** Called after every step attempted, forward and in every graph-free backward (progress, logging). */
  onStep?: OnStep;
}

export interface ResolvedOptions {
  tableau: Tableau;
  gradient: GradientMethod;
  rtol: number;
  atol: number;
  adjointRtol: number;
  adjointAtol: number;
  adjointNorm: AdjointNorm;
  stepSize?: number;
  firstStep?: number;
  maxSteps: number;
  params: Tensor[];
  checkBackward: boolean;
  controller: StepSizeController;
  checkpoints?: number;
  stages: StageMode;
  norm: ErrorNorm;
  outputs: OutputMode;
  /** The solver is reversible (method 'reversible_heun' or 'reversible'; `tableau` is then its stand-in). */
  reversible: boolean;
  signal?: AbortSignalLike;
  onStep?: OnStep;
  maxStep?: number;
  stepTimes?: readonly number[];
}

/**
 * Every key `OdeintOptions` has, with what it takes (the compiler keeps the list complete): any other key is a
 * typo that would be ignored, and an explicit null is not "the default" (leave the key out for that).
 */
const OPTION_EXPECTS = {
  method: "a tableau name such as 'dopri5' (the default), 'reversible_heun' or 'reversible'", base: "a tableau name such as 'rk4' (the default)",
  coupling: 'a number in (0, 1] (default 0.999)', rtol: 'a positive number (default 1e-7)',
  atol: 'a positive number (default 1e-9)', controller: 'a StepSizeController (default: the integral controller)',
  norm: "'batch' (the default) or 'per-sample'", stepSize: 'a positive step size (default: one step per output interval)',
  firstStep: 'a positive first step (default: chosen by the controller)', maxStep: 'a positive largest step', stepTimes: 'an array of finite times', maxSteps: 'a positive integer (default 100000)',
  gradient: "a gradient method name such as 'symplectic-adjoint' (the default) or a GradientMethod",
  checkpoints: 'a positive integer budget (default: every step)', adjointRtol: 'a positive number (default: rtol)',
  adjointAtol: 'a positive number (default: atol)', adjointNorm: "'full' (the default) or 'seminorm'", params: 'an array of tensors or an nn.Module',
  checkBackward: 'true (the default) or false', stats: 'a plain object to fill in', outputs: "'step' or 'interpolate'",
  stages: "'recompute' (the default) or 'keep'", signal: 'an AbortSignal', onStep: 'a function (info) => void',
} satisfies Record<keyof OdeintOptions, string>;
const OPTION_KEYS = Object.keys(OPTION_EXPECTS) as (keyof OdeintOptions)[];

function positive(name: string, v: number | undefined, fallback: number, max = Infinity): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a positive finite number, got ${describe(x)}`);
  if (x > max) throw new InvalidArgumentError(`${name} must be at most ${max} (it is a relative error: 1 means 100%), got ${x}`);
  return x;
}

/** A user's `params`: tensors (or a Module's), on y0's device. */
function resolveParams(p: unknown): Tensor[] {
  if (p === undefined) return [];
  const list: unknown = Array.isArray(p) ? p : typeof (p as nn.Module | null)?.parameters === 'function' ? (p as nn.Module).parameters() : null;
  if (!Array.isArray(list)) throw new InvalidArgumentError(`params must be an array of tensors or an nn.Module, got ${describe(p)}`);
  list.forEach((t: unknown, i) => {
    if (!(t instanceof Tensor)) throw new InvalidArgumentError(`params[${i}] is ${describe(t)}; expected a Tensor`);
    checkLive(t, `params[${i}]`);
  });
  return [...(list as Tensor[])];
}

export function resolveOptions(opts: OdeintOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new InvalidArgumentError(`odeint options must be an object, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k)) throw new InvalidArgumentError(`unknown odeint option '${k}' (known: ${OPTION_KEYS.join(', ')})`);
    const key = k as keyof OdeintOptions;
    if (opts[key] === null) throw new InvalidArgumentError(`${key} is null; leave it out (or undefined) for the default, or pass ${OPTION_EXPECTS[key]}`);
  }
  const method: unknown = opts.method ?? 'dopri5';
  const isRev = isReversibleMethod(method);
  const tableau = isRev ? reversibleTableau(method, opts.base, opts.coupling, opts.stepSize !== undefined) : getTableau(typeof method === 'string' ? method : String(method));
  if (!isRev || method !== 'reversible') noReversibleOptions(method, opts.base, opts.coupling);
  // A reversible solver defaults to its own gradient.
  const gradient = resolveGradient(opts.gradient ?? (isRev ? 'reversible' : 'symplectic-adjoint'));
  checkReversible(isRev, tableau, gradient, opts.outputs);
  const rtol = positive('rtol', opts.rtol, 1e-7, 1);
  const atol = positive('atol', opts.atol, 1e-9);
  const maxSteps = opts.maxSteps ?? 100_000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new InvalidArgumentError(`maxSteps must be a positive integer, got ${describe(maxSteps)}`);
  if (opts.stepSize !== undefined) {
    positive('stepSize', opts.stepSize, 1);
    if (tableau.adaptive) throw new InvalidArgumentError(`stepSize is for fixed-step methods; '${tableau.name}' is adaptive (use firstStep)`);
  }
  if (opts.firstStep !== undefined) {
    positive('firstStep', opts.firstStep, 1);
    if (!tableau.adaptive) throw new InvalidArgumentError(`firstStep is for adaptive methods; '${tableau.name}' takes fixed steps (use stepSize)`);
  }
  if (opts.maxStep !== undefined) {
    positive('maxStep', opts.maxStep, 1);
    if (!tableau.adaptive) throw new InvalidArgumentError(`maxStep is for adaptive methods; '${tableau.name}' takes fixed steps (use stepSize)`);
  }
  if (opts.checkpoints !== undefined) checkBudget(opts.checkpoints, gradient);
  const stages = checkStages(opts.stages, gradient, opts.checkpoints);
  const adjointNorm = checkAdjointNorm(opts.adjointNorm, gradient, tableau);
  const norm = opts.norm ?? 'batch';
  if (norm !== 'batch' && norm !== 'per-sample') throw new InvalidArgumentError(`norm must be 'batch' or 'per-sample', got ${describe(norm)}`);
  // Reversible solvers output at step ends only (adaptive ones cut their steps at the output times).
  const outputs = opts.outputs ?? (tableau.adaptive && !isRev ? 'interpolate' : 'step');
  if (outputs !== 'step' && outputs !== 'interpolate') throw new InvalidArgumentError(`outputs must be 'step' or 'interpolate', got ${describe(outputs)}`);
  const params = resolveParams(opts.params);
  const c = opts.controller;
  if (c !== undefined && (typeof c !== 'object' || c === null || typeof c.initialStep !== 'function' || typeof c.adapt !== 'function')) {
    throw new InvalidArgumentError(`controller must be a StepSizeController (an object with initialStep and adapt methods), got ${describe(c)}`);
  }
  for (const k of ['checkBackward'] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw new InvalidArgumentError(`${k} must be true or false, got ${describe(opts[k])}`);
  }
  checkStats(opts.stats);
  checkProgress(opts.signal, opts.onStep);
  checkStepTimes(opts.stepTimes);
  return {
    tableau, gradient, rtol, atol,
    adjointRtol: positive('adjointRtol', opts.adjointRtol, rtol, 1),
    adjointAtol: positive('adjointAtol', opts.adjointAtol, atol),
    adjointNorm,
    stepSize: opts.stepSize, firstStep: opts.firstStep, maxSteps, params,
    checkBackward: opts.checkBackward ?? true,
    controller: opts.controller ?? new IntegralController(),
    checkpoints: opts.checkpoints,
    stages,
    norm,
    outputs,
    reversible: isRev,
    signal: opts.signal,
    onStep: opts.onStep,
    maxStep: opts.maxStep,
    stepTimes: opts.stepTimes ? [...opts.stepTimes] : undefined,
  };
}

/** `checkpoints`: a positive integer, for a method whose backward can recompute states (`supportsBudget`). */
function checkBudget(c: number, gradient: GradientMethod): void {
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) {
    throw new InvalidArgumentError(`checkpoints must be a positive integer (the most step states held at once, y0 included), got ${describe(c)}`);
  }
  if (!gradient.supportsBudget) {
    throw new InvalidArgumentError(
      `checkpoints does not apply to gradient '${gradient.name}': it is a budget for the per-step methods that recompute step states ('symplectic-adjoint', 'checkpoint')`,
    );
  }
}

/** `stages`: 'recompute' or 'keep'; 'keep' for a method that reuses stored stages, without a budget. */
function checkStages(mode: unknown, gradient: GradientMethod, budget: number | undefined): StageMode {
  if (mode === undefined || mode === 'recompute') return 'recompute';
  if (mode !== 'keep') throw new InvalidArgumentError(`stages must be 'recompute' or 'keep', got ${describe(mode)}`);
  if (!gradient.storedStageRows) {
    throw new InvalidArgumentError(
      `stages: 'keep' does not apply to gradient '${gradient.name}': it stores the stage derivatives that the symplectic adjoint's backward would recompute`,
    );
  }
  if (budget !== undefined) {
    throw new InvalidArgumentError(
      `stages: 'keep' stores every step's stages, and a checkpoints budget (${budget}) exists to hold fewer states: choose one`,
    );
  }
  return 'keep';
}

/** `adjointNorm`: 'full' or 'seminorm'; 'seminorm' for a method whose backward solve controls its steps. */
function checkAdjointNorm(norm: unknown, gradient: GradientMethod, tableau: Tableau): AdjointNorm {
  if (norm === undefined || norm === 'full') return 'full';
  if (norm !== 'seminorm') throw new InvalidArgumentError(`adjointNorm must be 'full' or 'seminorm', got ${describe(norm)}`);
  if (!gradient.supportsSeminorm) {
    throw new InvalidArgumentError(
      `adjointNorm: 'seminorm' does not apply to gradient '${gradient.name}': it is the error norm of the continuous adjoint's backward solve (gradient 'adjoint')`,
    );
  }
  if (!tableau.adaptive) {
    throw new InvalidArgumentError(`adjointNorm: 'seminorm' is for adaptive methods; '${tableau.name}' takes fixed steps, which no error norm changes`);
  }
  return 'seminorm';
}

/** A registered method by name, or a user's method object (checked for the interface's members). */
function resolveGradient(g: GradientMethodName | GradientMethod): GradientMethod {
  if (typeof g === 'string' && Object.prototype.hasOwnProperty.call(GRADIENTS, g)) return GRADIENTS[g];
  if (typeof g === 'object' && g !== null && typeof g.name === 'string' && typeof g.backward === 'function' && typeof g.memoryModel === 'function') {
    if (!g.recordsGraph && typeof g.keeper !== 'function') {
      throw new InvalidArgumentError(
        `gradient method '${g.name}' does not record the graph, so it needs a keeper of what its backward reads (keepCheckpoints, keepSolution, keepInitial, keepFinal or its own)`,
      );
    }
    return g;
  }
  throw new UnknownGradientMethodError(
    `unknown gradient method ${typeof g === 'string' ? `'${g}'` : String(g)} (expected one of ${Object.keys(GRADIENTS).join(', ')}, or a GradientMethod object)`,
  );
}

/** Output times: finite, at least one, strictly monotone. Returns +1 (increasing) or −1 (decreasing). */
export function checkTimes(t: ArrayLike<number>): 1 | -1 {
  if (t instanceof Tensor) {
    throw new InvalidArgumentError('t is a Tensor; pass the output times as an array of numbers (e.g. Array.from(await t.data()))');
  }
  const isList = Array.isArray(t) || (ArrayBuffer.isView(t) && !(t instanceof DataView) && !(t instanceof BigInt64Array) && !(t instanceof BigUint64Array));
  if (!isList) throw new InvalidArgumentError(`t must be an array of output times, got ${describe(t)}`);
  if (t.length < 1) throw new InvalidArgumentError('t must be a non-empty array of output times, got an empty array');
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`t[${i}] is ${describe(v)}; output times must be finite numbers`);
  }
  if (t.length === 1) return 1;
  const dir = t[1] > t[0] ? 1 : -1;
  for (let i = 1; i < t.length; i++) {
    if (!(dir * (t[i] - t[i - 1]) > 0)) {
      throw new InvalidArgumentError(`t must be strictly increasing or strictly decreasing: t[${i - 1}] = ${t[i - 1]}, t[${i}] = ${t[i]}`);
    }
  }
  return dir;
}

/** y0: a live, non-empty, finite tensor; then the tolerances against its dtype (see checkTolerances). */
export async function checkInitialState(y0: Tensor, tolerances?: Tolerances): Promise<void> {
  if (!(y0 instanceof Tensor)) throw new InvalidArgumentError(`y0 must be a Tensor, got ${describe(y0)} (create it with device.tensor(...))`);
  checkLive(y0, 'y0');
  if (tolerances) checkTolerances(tolerances, y0.device.dtype);
  if (y0.size === 0) throw new ShapeError('y0 is empty');
  const v = await y0.data();
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new NonFiniteError(`y0 element ${i} is ${v[i]}`);
}

/** A disposed tensor or a destroyed device, named, before the solve uses it. */
function checkLive(t: Tensor, what: string): void {
  if (t.device.destroyed) throw new DeviceDestroyedError(`${what}: the ${t.device.kind} device (${t.device.dtype}) was destroyed; create a new one with createDevice()`);
  if (t.isDisposed) throw new DisposedTensorError(`${what} (tensor #${t.id}, shape [${t.shape.join(', ')}]) was used after it was disposed`);
}
