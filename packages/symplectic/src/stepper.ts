/**
 * The stepper interface the integration loop drives: one explicit RK step at a time, with or without a
 * recorded graph. FSAL reuse (the last stage's f becoming the next step's first) lives inside each stepper's
 * `accept`/`reject`; the loop only plans steps, asks the controller and collects outputs.
 */
import type { Tensor } from '@sympode/tensor';
import type { Field } from './field.js';
import type { Tableau } from './tableaus.js';

/**
 * How an adaptive step's error is measured: one RMS over the whole state ('batch'), or one per sample (the
 * state's leading axis) with the worst sample deciding ('per-sample').
 */
export type ErrorNorm = 'batch' | 'per-sample';

/** Where the solution at the output times goes. */
export interface Outputs {
  /** Stores y as output k; returns true when it keeps the handle (then the loop must not dispose it). */
  add(k: number, y: Tensor): boolean;
  /** The solution [T, ...shape]; the collector's own handles are released. */
  finish(): Tensor;
  /** Frees everything collected (a failed solve). */
  dispose(): void;
}

/** One explicit RK step at a time, driven by the integration loop (see the module comment). */
export interface Stepper {
  readonly field: Field;
  readonly tableau: Tableau;
  /** f(t0, y0) before the first adaptive step; it becomes the first step's k_0. The caller disposes the handle. */
  start(t: number, y0: Tensor): Promise<Tensor>;
  /** Attempts a step of size h from (t, y); returns y1 (the caller owns it). */
  attempt(t: number, y: Tensor, h: number): Promise<Tensor>;
  /**
   * The scaled RMS error of the step just attempted (one readback), over the batch or its worst sample;
   * with `prefix`, over the state's first `prefix` elements only (a seminorm: the continuous adjoint's).
   */
  errorRatio(y: Tensor, y1: Tensor, h: number, rtol: number, atol: number, norm?: ErrorNorm, prefix?: number): Promise<number>;
  /**
   * The dense output y + h Σ_i w_i k_i of the step just attempted from y (before `accept`/`reject`); the
   * caller owns it.
   */
  dense(y: Tensor, h: number, weights: readonly number[]): Tensor;
  /** The attempted step was accepted (FSAL: its last stage's f becomes the next k_0). */
  accept(): void;
  /** The attempted step was rejected (k_0 = f(t, y) stays valid for the retry). */
  reject(): void;
  /** A collector for `count` output times. */
  outputs(count: number, y0: Tensor): Outputs;
  dispose(): void;
}
