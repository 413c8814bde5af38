/**
 * Where a per-step reverse sweep gets each accepted step's start state y_i, for i = N−1 down to 0. Without a
 * budget the forward kept every one (`keptStates`); under a checkpoint budget most are recomputed from the
 * nearest kept one (budget.ts).
 */
import type { Tensor } from '@sympode/tensor';
import type { AcceptedStep } from '../integrate.js';
import type { StepSpan } from './replay.js';

/** The start states of the forward's accepted steps, visited last to first. */
export interface StepStates {
  /** Accepted steps of the forward solve. */
  readonly count: number;
  /** Steps re-executed so far to rebuild states that were not kept. */
  readonly recomputedSteps: number;
  /** Evaluations of f those steps took (part of the backward's count). */
  readonly recomputedNfe: number;
  /** Start time and size of step i. */
  step(i: number): StepSpan;
  /**
   * y_i. Call with i = count−1, count−2, …, 0 in that order; the tensor stays valid until the next call or
   * `close` (the states own it).
   */
  at(i: number): Promise<Tensor>;
  /** Step i's stage derivatives stored by the forward (odeint's `stages: 'keep'`), if any. */
  stages?(i: number): Tensor | undefined;
  /** Frees what the sweep made (called once the sweep ends, also when it failed). */
  close(): void;
}

/** Every state kept by the forward: nothing to recompute. */
export function keptStates(checkpoints: readonly AcceptedStep[]): StepStates {
  return {
    count: checkpoints.length,
    recomputedSteps: 0,
    recomputedNfe: 0,
    step: (i) => checkpoints[i],
    at: async (i) => checkpoints[i].y,
    stages: (i) => checkpoints[i].stages,
    close: () => {},
  };
}
