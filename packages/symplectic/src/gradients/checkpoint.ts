/**
 * Checkpointed backprop (ACA, Zhuang et al. 2020): per accepted step in reverse, rebuild that one step's
 * graph from its checkpoint and backprop through it. Memory O(N + s·L); exact like backprop.
 */
import { concat, enableGrad, grad, stack, type Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import { combineGraph, stepWithGraph } from '../graph-stepper.js';
import type { DenseCotangent } from './placement.js';
import type { AcceptedStep } from '../integrate.js';
import type { Tableau } from '../tableaus.js';
import type { GradientAccumulator } from './accumulator.js';
import type { GradientMethod } from './method.js';
import { checkpointStates, stepRecordBytes } from './memory-model.js';
import { reverseSweep } from './reverse-sweep.js';
import { keepCheckpoints } from './keepers.js';

/** One step's graph rebuilt, with the outputs interpolated inside it, and backprop through it (consumes `lambda`). */
export async function stepBackward(field: Field, tableau: Tableau, step: AcceptedStep, lambda: Tensor, acc: GradientAccumulator, dense: DenseCotangent | null): Promise<Tensor> {
  const dev = field.device;
  const leaf = step.y.detach();
  leaf.requiresGrad = true;
  // The FSAL stage's f feeds neither y1 nor λ: evaluated only when an interpolated output uses it.
  const { y1, ks } = await acc.traced(leaf, () => stepWithGraph(field, tableau, step.t, leaf, step.h, undefined, dense !== null));
  let out: Tensor = y1;
  let gOut: Tensor = lambda;
  try {
    if (dense) {
      // [y1, y(θ_1), ...] against [λ, g_1, ...]: one backward through the step and its dense outputs.
      const ys = enableGrad(() => dev.memory.scope('stages', () => dense.weights.map((w) => combineGraph(leaf, ks, w, step.h))));
      out = enableGrad(() => dev.tidy(() => stack([y1, ...ys], 0)));
      dev.dispose(ys);
      gOut = dev.memory.scope('adjoint', () => dev.tidy(() => concat([lambda.reshape([1, ...lambda.shape]), dense.g], 0)));
    }
    const [next, ...gp] = await dev.memory.scope('adjoint', () => grad(out, [leaf, ...acc.params], { gradOutput: gOut, allowUnused: true, stopAtInputs: true }));
    acc.add(gp);
    lambda.dispose();
    return next;
  } finally {
    dev.dispose(y1, ks, leaf, out !== y1 ? out : null, gOut !== lambda ? gOut : null);
  }
}

export const checkpoint: GradientMethod = {
  name: 'checkpoint',
  description: 'checkpointed backprop (ACA): exact at O(N + s·L) memory, one step’s graph at a time',
  recordsGraph: false,
  keeper: keepCheckpoints,
  secondOrder: true,
  supportsBudget: true,
  backward(run) {
    return reverseSweep(run, (step, lambda, dense) => stepBackward(run.field, run.tableau, step, lambda, run.acc, dense));
  },
  memoryModel({ tableau, N, T, checkpoints: c, interpolated }, { S, P, Ge, Xb }) {
    const s = tableau.b.length;
    const out = T * S;
    // Under a budget c < N: c − 1 snapshots + the working state, and the replay's own stage buffer.
    const budgeted = c !== undefined && c < N;
    const ckpt = (checkpointStates(N, c) + (budgeted ? s : 0)) * S;
    // One step rebuilt with its graph (no FSAL reuse when rebuilding from a checkpoint; an FSAL tableau's last
    // stage evaluated only for an interpolant inside the step), its stage derivatives held by the replay: e
    // whole evaluations. The combinations keep nothing.
    const e = tableau.fsal && !interpolated ? s - 1 : s;
    const step = e * Ge;
    const K = s * S;
    return {
      total: ckpt + out + K + P + step + Xb,
      terms: { checkpoints: ckpt, outputs: out, stageBuffer: K, gradientSums: P, oneStepGraph: step, backward: Xb },
      formula: `${budgeted ? '(c + s)·S' : '(N−1)·S'} + T·S + s·S + P + ${e}·Ge + Xb`,
      hostBytes: stepRecordBytes(N),
    };
  },
};
