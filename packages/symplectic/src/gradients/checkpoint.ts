/**
 * Checkpointed backprop (ACA, Zhuang et al. 2020): per accepted step in reverse, rebuild that one step's
 * graph from its checkpoint and backprop through it. Memory O(N + s·L); exact like backprop.
 */
import { enableGrad, grad, type Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import { stepWithGraph } from '../graph-stepper.js';
import type { AcceptedStep } from '../integrate.js';
import type { Tableau } from '../tableaus.js';
import type { GradientAccumulator } from './accumulator.js';
import type { GradientMethod } from './method.js';
import { checkpointStates, combinationStates, stepRecordBytes } from './memory-model.js';
import { reverseSweep } from './reverse-sweep.js';

async function stepBackward(field: Field, tableau: Tableau, step: AcceptedStep, lambda: Tensor, acc: GradientAccumulator): Promise<Tensor> {
  const dev = field.device;
  const leaf = step.y.detach();
  leaf.requiresGrad = true;
  const { y1, ks } = await enableGrad(() => stepWithGraph(field, tableau, step.t, leaf, step.h));
  try {
    acc.checkReached(y1, leaf);
    const [next, ...gp] = await dev.memory.scope('adjoint', () => grad(y1, [leaf, ...acc.params], { gradOutput: lambda, allowUnused: true }));
    acc.add(gp);
    lambda.dispose();
    return next;
  } finally {
    dev.dispose(y1, ks, leaf);
  }
}

export const checkpoint: GradientMethod = {
  name: 'checkpoint',
  description: 'checkpointed backprop (ACA): exact at O(N + s·L) memory, one step’s graph at a time',
  recordsGraph: false,
  keeps: 'checkpoints',
  secondOrder: true,
  supportsBudget: true,
  backward(run) {
    return reverseSweep(run, (step, lambda) => stepBackward(run.field, run.tableau, step, lambda, run.acc));
  },
  memoryModel({ tableau, N, T, checkpoints: c }, { S, P, Ge, Xb }) {
    const s = tableau.b.length;
    const out = T * S;
    // Under a budget c < N: c − 1 snapshots + the working state, and the replay's own stage buffer.
    const budgeted = c !== undefined && c < N;
    const ckpt = (checkpointStates(N, c) + (budgeted ? s : 0)) * S;
    // One step rebuilt with its graph (all s stages evaluated; no FSAL reuse when rebuilding from a checkpoint).
    const step = s * Ge + combinationStates(tableau) * S;
    const K = s * S;
    return {
      total: ckpt + out + K + P + step + Xb,
      terms: { checkpoints: ckpt, outputs: out, stageBuffer: K, gradientSums: P, oneStepGraph: step, backward: Xb },
      formula: budgeted ? '(c + s)·S + T·S + s·S + P + (s·Ge + comb·S) + Xb' : '(N−1)·S + T·S + s·S + P + (s·Ge + comb·S) + Xb',
      hostBytes: stepRecordBytes(N),
    };
  },
};
