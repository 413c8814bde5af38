/**
 * The one integration loop, shared by every solve: steps between output times (clipped to land on each, or
 * under outputs 'interpolate' only on the last, the others read from the step's interpolant),
 * the controller's accept/reject and next step, the error checks, and the outputs. What a step is (with or
 * without a graph, FSAL reuse) is the stepper's business; which accepted steps to keep is the caller's.
 */
import { InvalidArgumentError, noGrad, type Tensor } from '@sympode/tensor';
import type { StepDecision, StepSizeController } from './controller.js';
import { MaxStepsExceededError, NonFiniteStateError, StepSizeUnderflowError } from './solver-errors.js';
import type { ErrorNorm, Stepper } from './stepper.js';
import { denseWeights, thetaOf } from './interpolants.js';
import { checkAbort, type AbortSignalLike, type OnStep, type StepInfo } from './progress.js';

/**
 * Where the outputs come from: 'step' cuts the steps short to land on every output time (the authors'
 * convention); 'interpolate' steps through to the last time only and reads the outputs between step ends
 * from the tableau's interpolant (interpolants.ts), as torchdiffeq does, so the steps do not depend on them.
 */
export type OutputMode = 'step' | 'interpolate';

/** Tolerances, step budget and controller of one integration. */
export interface IntegrateOptions {
  rtol: number;
  atol: number;
  /** Fixed-step methods: the step size (the last step of each interval is shortened). */
  stepSize?: number;
  firstStep?: number;
  maxSteps: number;
  controller: StepSizeController;
  /** The user's time is `sign` × the solver's (−1 when decreasing times are solved as s = −t); for messages. */
  sign?: 1 | -1;
  /** Error norm of adaptive steps (default 'batch'). */
  norm?: ErrorNorm;
  /**
   * Adaptive steps: measure the error (and choose the first step) on the first `normPrefix` elements of the
   * flattened state only, a seminorm (the continuous adjoint's, whose trailing g_θ channels it leaves out).
   * A positive integer at most the state's size, with norm 'batch'; the recording stepper refuses it.
   */
  normPrefix?: number;
  /** Where the outputs come from (default 'step'). */
  outputs?: OutputMode;
  /** Adaptive steps: the largest step size (odeint's `maxStep`). */
  maxStep?: number;
  /** Times every solve's steps must land on (increasing, solver time; odeint's `stepTimes`). */
  stepTimes?: readonly number[];
  /** Cancels between two steps (AbortError). */
  signal?: AbortSignalLike;
  /** Hears of every step attempted, as `phase`. */
  onStep?: OnStep;
  phase?: StepInfo['phase'];
}

/** Counters of one integration. */
export interface IntegrateStats {
  acceptedSteps: number;
  rejectedSteps: number;
  /** End times of the accepted steps. */
  stepEndTimes: number[];
}

/** An accepted step: start time, size, start state (the caller decides whether to keep it). */
export interface AcceptedStep {
  t: number;
  h: number;
  y: Tensor;
  /** The step's first stage derivatives [m, ...shape], when the forward stored them (odeint's `stages: 'keep'`). */
  stages?: Tensor;
}

/**
 * Integrates from y0 through `times` (increasing). Returns the solution [T, ...shape]. `onAccept` gets every
 * accepted step's start state and returns true to keep it (the caller then owns it). A failed solve frees
 * everything it allocated; the caller's y0 stays. Output k is the state where a step ends at times[k], else
 * (outputs 'interpolate') the interpolant of the step that contains it.
 */
export async function integrate(
  stepper: Stepper,
  y0: Tensor,
  times: readonly number[],
  opts: IntegrateOptions,
  stats: IntegrateStats,
  onAccept?: (step: AcceptedStep) => boolean,
): Promise<Tensor> {
  const tab = stepper.tableau;
  // A controller with memory starts each solve afresh.
  opts = { ...opts, controller: opts.controller.forSolve?.() ?? opts.controller };
  const c: Partial<StepSizeController> | null = opts.controller;
  if (typeof c?.initialStep !== 'function' || typeof c.adapt !== 'function') {
    throw new InvalidArgumentError("the step-size controller's forSolve() returned something without initialStep and adapt methods");
  }
  checkNormPrefix(opts, y0.size);
  const out = stepper.outputs(times.length, y0);
  const held = new Set<Tensor>([y0]);
  let y = y0;
  // The times steps are cut short at.
  const ends = segmentEnds(times, tab.adaptive, opts);
  let kOut = 1;
  try {
    out.add(0, y0);
    let t = times[0];
    let h = 0;
    if (tab.adaptive) h = await firstStep(stepper, t, y0, opts);
    for (let k = 1; k < ends.length; k++) {
      const tNext = ends[k];
      const fixed = tab.adaptive ? null : fixedSteps(ends[k - 1], tNext, stats, opts);
      let j = 0;
      while (fixed ? j < fixed.length : t < tNext) {
        // The controller's `next` is checked when a step is about to use it (the last one's is never used).
        if (!fixed) checkStepSize('adapt() returned next =', h);
        checkAbort(opts.signal, () => `the ${opts.phase ?? 'forward'} solve at t = ${user(opts, t)}`);
        const { hStep, t1 } = planStep(t, fixed ? fixed[j] : h, tNext, fixed ? j === fixed.length - 1 : null, stats, opts);
        const y1 = await y.device.memory.phase(`step ${stats.acceptedSteps}`, () => stepper.attempt(t, y, hStep));
        const ratio = tab.adaptive ? await stepper.errorRatio(y, y1, hStep, opts.rtol, opts.atol, opts.norm, opts.normPrefix) : 0;
        if (Number.isNaN(ratio) || ratio === Infinity) {
          y1.dispose();
          throw new NonFiniteStateError(`non-finite state or derivative in step ${stats.acceptedSteps + stats.rejectedSteps} (t = ${user(opts, t)}, h = ${hStep}): the error estimate is ${ratio}`);
        }
        const decision = tab.adaptive ? checkDecision(opts.controller.adapt(hStep, ratio, tab.order)) : null;
        opts.onStep?.({
          phase: opts.phase ?? 'forward', t: user(opts, t), h: (opts.sign ?? 1) * hStep, accepted: !decision || decision.accept,
          nfe: stepper.field.counter.nfe, error: tab.adaptive ? ratio : NaN,
        });
        if (decision && !decision.accept) {
          stats.rejectedSteps++;
          stepper.reject();
          y1.dispose();
          h = decision.next;
          continue;
        }
        stats.acceptedSteps++;
        stats.stepEndTimes.push(t1);
        const kept = onAccept?.({ t, h: hStep, y }) ?? false;
        // Outputs strictly inside the step, from its stages (before `accept` recycles them).
        for (; kOut < times.length && times[kOut] < t1; kOut++) {
          const yo = stepper.dense(y, hStep, denseWeights(tab, thetaOf(t, hStep, times[kOut])));
          if (!out.add(kOut, yo)) yo.dispose();
        }
        stepper.accept();
        if (!kept && !held.has(y)) y.dispose();
        y = y1;
        t = t1;
        j++;
        if (decision) h = decision.next;
        for (; kOut < times.length && times[kOut] === t; kOut++) if (out.add(kOut, y)) held.add(y);
      }
      if (!tab.adaptive) await checkFinite(y, user(opts, ends[k - 1]), user(opts, tNext), stats);
    }
    if (kOut !== times.length) throw new Error(`internal: the solve produced ${kOut} of ${times.length} outputs`);
  } catch (e) {
    out.dispose();
    if (!held.has(y)) y.dispose();
    throw e;
  }
  if (!held.has(y)) y.dispose();
  return out.finish();
}

/** `normPrefix`: a whole number of leading elements of a flat state, measured by one RMS. */
function checkNormPrefix(opts: IntegrateOptions, size: number): void {
  const p = opts.normPrefix;
  if (p === undefined) return;
  if (!Number.isInteger(p) || p < 1 || p > size) {
    throw new InvalidArgumentError(`normPrefix must be an integer from 1 to the state's size (${size}), got ${p}`);
  }
  if (opts.norm === 'per-sample') throw new InvalidArgumentError("normPrefix (a seminorm over a flat state's leading elements) does not combine with norm 'per-sample'");
}

/** A solver time as the user's t (for messages). */
const user = (opts: IntegrateOptions, t: number): number => (opts.sign ?? 1) * t;

/** Steps of one fixed-step output interval: `stepSize` steps, the last shortened; one step without it. */
function stepsIn(span: number, stepSize: number | undefined): number {
  return stepSize === undefined ? 1 : Math.max(1, Math.ceil(span / stepSize - 1e-9));
}

/**
 * The times steps are cut short at: every output time ('step'), or only the first and last ('interpolate';
 * a fixed-step method without `stepSize` takes one step per output interval either way).
 */
export function segmentEnds(times: readonly number[], adaptive: boolean, opts: Pick<IntegrateOptions, 'outputs' | 'stepSize' | 'stepTimes'>): readonly number[] {
  const through = opts.outputs === 'interpolate' && (adaptive || opts.stepSize !== undefined);
  const ends = through && times.length > 2 ? [times[0], times[times.length - 1]] : times;
  // Step times strictly inside the span become segment ends too: steps land on them (no output there).
  const t0 = times[0], t1 = times[times.length - 1];
  // Each time once: a repeated one would be a segment of length 0.
  const extra = [...new Set(opts.stepTimes ?? [])].filter((s) => s > t0 && s < t1 && !ends.includes(s));
  return extra.length ? [...ends, ...extra].sort((a, b) => a - b) : ends;
}

/** The number of steps a fixed-step solve through `times` takes (known before it runs). */
export function fixedStepCount(times: readonly number[], stepSize: number | undefined, outputs: OutputMode = 'step', stepTimes?: readonly number[]): number {
  const ends = segmentEnds(times, false, { outputs, stepSize, stepTimes });
  let n = 0;
  for (let k = 1; k < ends.length; k++) n += stepsIn(ends[k] - ends[k - 1], stepSize);
  return n;
}

/** Fixed-step sizes of one output interval: `stepSize` steps, the last shortened; one step without it. */
function fixedSteps(t0: number, t1: number, stats: IntegrateStats, opts: IntegrateOptions): number[] {
  const span = t1 - t0;
  const { stepSize } = opts;
  if (stepSize === undefined) return [span];
  const m = stepsIn(span, stepSize);
  const taken = stats.acceptedSteps + stats.rejectedSteps;
  if (taken + m > opts.maxSteps) {
    throw new MaxStepsExceededError(
      `maxSteps (${opts.maxSteps}) would be exceeded: stepSize ${stepSize} needs ${m} steps from t = ${user(opts, t0)} to ${user(opts, t1)} after ${taken} steps`,
    );
  }
  return Array.from({ length: m }, (_, i) => (i < m - 1 ? stepSize : span - (m - 1) * stepSize));
}

/**
 * The next step from t with size h: clipped to land on tNext (adaptive: when it would pass it; fixed: on the
 * interval's last step). Throws when the step budget is spent or h no longer advances t.
 */
function planStep(t: number, h: number, tNext: number, lastFixed: boolean | null, stats: IntegrateStats, opts: IntegrateOptions): { hStep: number; t1: number } {
  const taken = stats.acceptedSteps + stats.rejectedSteps;
  const { maxSteps } = opts;
  if (taken >= maxSteps) {
    throw new MaxStepsExceededError(`maxSteps (${maxSteps}) exceeded at t = ${user(opts, t)} (${stats.acceptedSteps} accepted, ${stats.rejectedSteps} rejected steps)`);
  }
  if (lastFixed === null && opts.maxStep !== undefined && h > opts.maxStep) h = opts.maxStep;
  const clip = lastFixed ?? t + h > tNext;
  const hStep = clip ? tNext - t : h;
  const t1 = clip ? tNext : t + h;
  if (!(t1 > t) || hStep <= 0) throw new StepSizeUnderflowError(`step size underflow at t = ${user(opts, t)}: h = ${hStep} no longer advances t (step ${taken})`);
  return { hStep, t1 };
}

/** Fixed-step solves read no error ratio; they check the state once per output interval. */
async function checkFinite(y: Tensor, ta: number, tb: number, stats: IntegrateStats): Promise<void> {
  const s = noGrad(() => y.sum());
  const v = await s.item();
  s.dispose();
  if (!Number.isFinite(v)) {
    throw new NonFiniteStateError(`non-finite state between t = ${ta} and t = ${tb} (at or before step ${stats.acceptedSteps})`);
  }
}

/** A step size from the controller: a user's controller returning anything else is named, not stepped with. */
function checkStepSize(what: string, h: unknown): number {
  if (typeof h !== 'number' || !(h > 0) || !Number.isFinite(h)) {
    const got = typeof h === 'number' || typeof h === 'boolean' ? String(h) : h === null ? 'null' : typeof h;
    throw new InvalidArgumentError(`the step-size controller's ${what} ${got}; expected a positive finite step size`);
  }
  return h;
}

function checkDecision(d: StepDecision): StepDecision {
  if (typeof d !== 'object' || d === null || typeof d.accept !== 'boolean') {
    throw new InvalidArgumentError(`the step-size controller's adapt() returned ${d === null ? 'null' : typeof d}; expected { accept: boolean, next: number }`);
  }
  return d;
}

/** The first adaptive step: `firstStep`, or the controller's choice from f(t0, y0). */
async function firstStep(stepper: Stepper, t: number, y0: Tensor, opts: IntegrateOptions): Promise<number> {
  const f0 = await stepper.start(t, y0);
  try {
    if (opts.firstStep !== undefined) return opts.firstStep;
    const dev = y0.device;
    const fv = await f0.data();
    if (!fv.every(Number.isFinite)) throw new NonFiniteStateError(`non-finite derivative f(t0, y0) at t = ${user(opts, t)} (step 0)`);
    const head = (v: Float64Array | Float32Array) => (opts.normPrefix === undefined ? v : v.subarray(0, opts.normPrefix));
    return checkStepSize('initialStep() returned', await opts.controller.initialStep({
      y0: head(await y0.data()), f0: head(fv), order: stepper.tableau.order, rtol: opts.rtol, atol: opts.atol,
      f1At: async (h0) => {
        const y1 = noGrad(() => dev.tidy(() => y0.add(f0.mul(h0))));
        const f1 = await noGrad(() => stepper.field.eval(t + h0, y1));
        const v = await f1.data();
        dev.dispose(y1, f1);
        return head(v);
      },
    }));
  } finally {
    f0.dispose();
  }
}
