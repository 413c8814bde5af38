/**
 * Where each output time falls among the forward's accepted steps, recomputed by the backward passes from
 * the steps' (t, h) with the same comparisons the integration loop made (integrate.ts): output k is either
 * the state at a step's start (or the solve's end), or, under outputs 'interpolate', the dense output of the
 * step containing it, y + h Σ_i w_i(θ) k_i (interpolants.ts).
 */
import type { Tensor } from '@sympode/tensor';
import { denseWeights, thetaOf } from '../interpolants.js';
import type { Tableau } from '../tableaus.js';
import type { StepSpan } from './replay.js';

/** The interpolated outputs inside one step: indices first..first+m−1 and their stage weights w(θ). */
export interface DenseOutputs {
  first: number;
  weights: number[][];
}

/** A step's interpolated outputs with their cotangents, as a per-step backward gets them. */
export interface DenseCotangent {
  /** Stage weights w(θ) of each output (length s each). */
  weights: readonly (readonly number[])[];
  /** ∂L/∂y(θ) of each output, [m, ...shape], in the order of `weights`. */
  g: Tensor;
}

/** The outputs of every step (see the module comment). */
export interface OutputPlacement {
  /** Interpolated outputs inside step i (null: none). */
  dense: (DenseOutputs | null)[];
  /** The output at step i's start time (null: none). */
  atStart: (number | null)[];
}

/** Places the output `times` among `count` steps (step(i): start and size; the last step ends at the last time). */
export function placeOutputs(tab: Tableau, times: readonly number[], count: number, step: (i: number) => StepSpan): OutputPlacement {
  const dense: (DenseOutputs | null)[] = [];
  const atStart: (number | null)[] = [];
  const T = times.length;
  let k = 1;
  for (let i = 0; i < count; i++) {
    const { t, h } = step(i);
    atStart.push(i === 0 ? 0 : times[k - 1] === t ? k - 1 : null);
    const t1 = i + 1 < count ? step(i + 1).t : times[T - 1];
    const first = k;
    const weights: number[][] = [];
    for (; k < T && times[k] < t1; k++) weights.push(denseWeights(tab, thetaOf(t, h, times[k])));
    dense.push(weights.length ? { first, weights } : null);
    for (; k < T && times[k] === t1; k++);
  }
  if (k !== T && count > 0) throw new Error(`internal: placed ${k} of ${T} outputs among ${count} steps`);
  return { dense, atStart };
}
