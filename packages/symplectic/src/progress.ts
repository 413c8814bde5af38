/**
 * odeint's progress and control options: `onStep` hears of every step attempted (forward, and in the
 * backward of every graph-free method), `signal` cancels the solve or its backward between two steps with an
 * AbortError, after which nothing the solve held is left; `stats` is filled in; `stepTimes` shape the
 * steps. Here are their checks.
 */
import { InvalidArgumentError } from '@sympode/tensor';
import { describe } from './describe.js';
import type { OdeintStats } from './options.js';
import { AbortError } from './solver-errors.js';

/** An AbortSignal as odeint reads it (the DOM's and Node's both fit). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/** What `onStep` hears of a step. */
export interface StepInfo {
  /** 'forward' (the solve) or 'backward' (a graph-free method's sweep or backward solve). */
  readonly phase: 'forward' | 'backward';
  /** The step's start time and size, in the caller's time (h < 0 for decreasing times or a backward sweep). */
  readonly t: number;
  readonly h: number;
  /** False for a rejected adaptive step (it is retried smaller). */
  readonly accepted: boolean;
  /** Evaluations of f so far in this phase. */
  readonly nfe: number;
  /** The scaled error ratio of an adaptive step (≤ 1 accepts); NaN where none is measured. */
  readonly error: number;
}

/** odeint's `onStep`. */
export type OnStep = (info: StepInfo) => void;

/**
 * Throws AbortError when `signal` is aborted (its reason named and kept as the cause). `where` is made only
 * then: the integration loop asks before every step.
 */
export function checkAbort(signal: AbortSignalLike | undefined, where: () => string): void {
  if (!signal?.aborted) return;
  const r = signal.reason;
  const why = r instanceof Error ? `: ${r.message}` : r !== undefined ? `: ${String(r)}` : '';
  throw new AbortError(`${where()} was aborted${why}`, { cause: r });
}

/** odeint's `signal` and `onStep`, checked before anything runs. */
export function checkProgress(signal: unknown, onStep: unknown): void {
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof (signal as AbortSignalLike).aborted !== 'boolean')) {
    throw new InvalidArgumentError(`signal must be an AbortSignal (an object with a boolean 'aborted'), got ${describe(signal)}`);
  }
  if (onStep !== undefined && typeof onStep !== 'function') throw new InvalidArgumentError(`onStep must be a function (info) => void, got ${describe(onStep)}`);
}

/**
 * A backward's step, checked against `signal` and told to `onStep`: from solver time `from` by `step` (a sweep
 * walks a step [t, t + h] back: from t + h by −h; recompute's replay goes forward: from t by h).
 */
export function backwardStep(
  run: { signal?: AbortSignalLike; onStep?: OnStep; dir: 1 | -1; counter: { nfe: number } }, from: number, step: number,
  what = 'the backward sweep',
): void {
  checkAbort(run.signal, () => `${what} at t = ${run.dir * from}`);
  run.onStep?.({ phase: 'backward', t: run.dir * from, h: run.dir * step, accepted: true, nfe: run.counter.nfe, error: NaN });
}

/** `stats`: a plain object odeint can write its counters into (a frozen one would fail after the solve ran). */
export function checkStats(s: unknown): void {
  if (s === undefined) return;
  const proto = typeof s === 'object' && s !== null ? Object.getPrototypeOf(s) : undefined;
  if (proto !== Object.prototype && proto !== null) throw new InvalidArgumentError(`stats must be a plain object to fill in, got ${describe(s)}`);
  const o = s as Record<string, unknown>;
  const stuck = Object.keys({ method: 0, gradient: 0, acceptedSteps: 0, rejectedSteps: 0, nfeForward: 0, nfeBackward: 0, backwardSteps: 0, stepEndTimes: 0, recomputedSteps: 0, recomputedNfe: 0 } satisfies Record<keyof OdeintStats, 0>)
    .find((k) => {
      const d = Object.getOwnPropertyDescriptor(o, k);
      return d ? !d.writable && !d.set : !Object.isExtensible(o);
    });
  if (stuck !== undefined) {
    throw new InvalidArgumentError(`stats must be a writable object: its '${stuck}' cannot be written (frozen, sealed or read-only); pass a fresh {} to fill in`);
  }
}

/** `stepTimes`: an array of finite numbers. */
export function checkStepTimes(stepTimes: unknown): void {
  if (stepTimes === undefined) return;
  if (!Array.isArray(stepTimes)) throw new InvalidArgumentError(`stepTimes must be an array of times, got ${describe(stepTimes)}`);
  stepTimes.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`stepTimes[${i}] is ${describe(v)}; step times must be finite numbers`);
  });
}
