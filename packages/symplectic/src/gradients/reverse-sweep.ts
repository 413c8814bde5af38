/**
 * The reverse sweep of the per-step methods (symplectic adjoint, checkpoint): λ from the last output back to
 * y0 through the checkpoints, adding ∂L/∂y(t_k) at each output time, one step's backward at a time.
 */
import type { Tensor } from '@sympode/tensor';
import type { AcceptedStep } from '../integrate.js';
import type { StepContext } from '../rk-stepper.js';
import { NonFiniteGradientError } from '../solver-errors.js';
import type { GradientAccumulator } from './accumulator.js';
import { checkpointStep } from './checkpoint.js';
import { SymplecticAdjoint } from './symplectic-adjoint.js';

export interface SweepOptions {
  method: 'symplectic-adjoint' | 'checkpoint';
  /** Read λ back after every step and throw on NaN/∞ (one scalar readback per step). */
  checkFinite: boolean;
  /** Time direction of the user's t (the sweep runs in s = dir·t): for messages. */
  dir: 1 | -1;
}

/** Returns ∂L/∂y0; parameter gradients go into `acc`. Frees what it made, also when it fails. */
export async function reverseSweep(
  ctx: StepContext,
  checkpoints: readonly AcceptedStep[],
  times: readonly number[],
  g: Tensor,
  acc: GradientAccumulator,
  opts: SweepOptions,
): Promise<Tensor> {
  const dev = ctx.device;
  const T = times.length;
  const gRow = (k: number) => dev.tidy(() => g.narrow(0, k, 1).reshape(ctx.shape));
  const adj = opts.method === 'symplectic-adjoint' ? new SymplecticAdjoint(ctx, acc) : null;
  let lambda = dev.memory.scope('adjoint', () => gRow(T - 1));
  let k = T - 1;
  try {
    for (let i = checkpoints.length - 1; i >= 0; i--) {
      const step = checkpoints[i];
      const prev = lambda;
      lambda = adj ? await adj.step(step, prev) : await checkpointStep(ctx, step, prev, acc);
      if (k > 0 && step.t === times[k - 1]) {
        k--;
        const next = dev.memory.scope('adjoint', () => dev.tidy(() => lambda.add(gRow(k))));
        lambda.dispose();
        lambda = next;
      }
      if (opts.checkFinite) await checkLambda(lambda, i, opts.dir * step.t);
    }
    if (opts.checkFinite) await acc.checkFinite();
    return lambda;
  } catch (e) {
    if (!lambda.isDisposed) lambda.dispose();
    throw e;
  } finally {
    adj?.dispose();
    ctx.dispose();
  }
}

async function checkLambda(lambda: Tensor, step: number, t: number): Promise<void> {
  const s = lambda.device.noGrad(() => lambda.sum());
  const v = await s.item();
  s.dispose();
  if (!Number.isFinite(v)) {
    throw new NonFiniteGradientError(
      `the adjoint λ became ${v} in the backward pass of step ${step} (starting at t = ${t}); f's Jacobian or the loss gradient is not finite there. Pass { checkBackward: false } to skip this check`,
    );
  }
}
