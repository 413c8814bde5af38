/**
 * The reverse sweep of the per-step methods (symplectic adjoint, checkpoint): λ from the last output back to
 * y0 through the accepted steps, one step's backward at a time, adding ∂L/∂y(t_k) at each output time. Each
 * step's start state comes from the checkpoints keeper's `states`: the forward's checkpoint, or under a
 * budget a recomputed one.
 */
import { noGrad, type Tensor } from '@sympode/tensor';
import type { AcceptedStep } from '../integrate.js';
import { NonFiniteGradientError } from '../solver-errors.js';
import type { BackwardRun } from './method.js';
import { keptAs } from './keepers.js';
import { backwardStep } from '../progress.js';
import { placeOutputs, type DenseCotangent } from './placement.js';

/**
 * λ_n from λ_{n+1} over one accepted step (consumes λ_{n+1}). `dense`: the outputs interpolated inside the
 * step and their cotangents (outputs 'interpolate'); λ_n then includes their paths through the stages and
 * through y_n (weight 1).
 */
export type StepBackward = (step: AcceptedStep, lambda: Tensor, dense: DenseCotangent | null) => Promise<Tensor>;

/** Returns ∂L/∂y0; parameter gradients go into `run.acc`. For a method whose keeper is `keepCheckpoints`. */
export async function reverseSweep(run: BackwardRun, stepBackward: StepBackward): Promise<Tensor> {
  const { field, times, g } = run;
  const { states } = keptAs(run.kept, 'checkpoints');
  const dev = field.device;
  const T = times.length;
  const gRow = (k: number) => dev.tidy(() => g.narrow(0, k, 1).reshape(field.shape));
  const place = placeOutputs(run.tableau, times, states.count, (i) => states.step(i));
  let lambda = dev.memory.scope('adjoint', () => gRow(T - 1));
  try {
    for (let i = states.count - 1; i >= 0; i--) {
      const { t, h } = states.step(i);
      backwardStep(run, t + h, -h);
      const step = { t, h, y: await dev.memory.phase(`restore state ${i}`, () => states.at(i)), stages: states.stages?.(i) };
      const d = place.dense[i];
      const dense = d ? { weights: d.weights, g: dev.memory.scope('adjoint', () => noGrad(() => g.narrow(0, d.first, d.weights.length))) } : null;
      try {
        lambda = await dev.memory.phase(`backward step ${i}`, () => stepBackward(step, lambda, dense));
      } finally {
        dense?.g.dispose();
      }
      const k = place.atStart[i];
      if (k !== null) {
        const next = dev.memory.scope('adjoint', () => dev.tidy(() => lambda.add(gRow(k))));
        lambda.dispose();
        lambda = next;
      }
      if (run.checkFinite) await checkLambda(lambda, i, run.dir * step.t);
    }
    if (run.checkFinite) await run.acc.checkFinite();
    return lambda;
  } catch (e) {
    // A step's backward that failed did not consume λ.
    lambda.dispose();
    throw e;
  }
}

async function checkLambda(lambda: Tensor, step: number, t: number): Promise<void> {
  const s = noGrad(() => lambda.sum());
  const v = await s.item();
  s.dispose();
  if (!Number.isFinite(v)) {
    throw new NonFiniteGradientError(
      `the adjoint λ became ${v} in the backward pass of step ${step} (starting at t = ${t}); f's Jacobian or the loss gradient is not finite there. Pass { checkBackward: false } to skip this check`,
    );
  }
}
