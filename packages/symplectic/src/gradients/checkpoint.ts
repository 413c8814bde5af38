/**
 * Checkpointed backprop (ACA, Zhuang et al. 2020): per accepted step in reverse, rebuild that one step's
 * graph from its checkpoint and backprop through it. Memory O(N + s·L); exact like backprop.
 */
import { enableGrad, grad, type Tensor } from '@sympode/tensor';
import type { AcceptedStep } from '../integrate.js';
import { stepWithGraph, type StepContext } from '../rk-stepper.js';
import type { GradientAccumulator } from './accumulator.js';

export async function checkpointStep(ctx: StepContext, step: AcceptedStep, lambda: Tensor, acc: GradientAccumulator): Promise<Tensor> {
  const dev = ctx.device;
  const leaf = step.y.detach();
  leaf.requiresGrad = true;
  const { y1, ks } = await enableGrad(() => stepWithGraph(ctx, step.t, leaf, step.h));
  acc.checkReached(y1, leaf);
  const [next, ...gp] = await dev.memory.scope('adjoint', () => grad(y1, [leaf, ...acc.params], { gradOutput: lambda, allowUnused: true }));
  acc.add(gp);
  dev.dispose(y1, ks, leaf, lambda);
  return next;
}
