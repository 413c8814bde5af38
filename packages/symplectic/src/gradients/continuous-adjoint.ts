/**
 * The continuous adjoint (Chen et al. 2018): solve the augmented system z = [y, a, g_θ] backward in time,
 *   dy/dt = f,  da/dt = −aᵀ f_y,  dg/dt = −aᵀ f_θ,
 * from t_K to t_0 with the same method and the adjoint tolerances, resetting y to the forward solution and
 * adding ∂L/∂y(t_k) to a at every output time (as torchdiffeq does). Internally time is reversed (s = −t) so
 * the forward integrator runs it. Its gradient is only as exact as this second solve: approximate.
 */
import { concat, enableGrad, grad, noGrad, type Tensor } from '@sympode/tensor';
import { integrateNoGraph, type IntegrateOptions, type IntegrateStats } from '../integrate.js';
import { StepContext, type EvalCounter, type OdeFunc } from '../rk-stepper.js';
import type { Tableau } from '../tableaus.js';
import { NonFiniteGradientError, NonFiniteStateError } from '../solver-errors.js';
import type { GradientAccumulator } from './accumulator.js';

export interface ContinuousAdjointInput {
  f: OdeFunc;
  tableau: Tableau;
  times: readonly number[];
  /** Forward solution [T, ...shape]. */
  ys: Tensor;
  /** ∂L/∂ys [T, ...shape]. */
  gradOutput: Tensor;
  acc: GradientAccumulator;
  opts: IntegrateOptions;
  counter: EvalCounter;
  stats: IntegrateStats;
  /** Check the adjoint state for NaN/∞ at every output time (one readback each). */
  checkFinite: boolean;
  /** Direction of the user's time axis (for messages). */
  dir: 1 | -1;
}

/** Returns ∂L/∂y0; parameter gradients go into `acc`. */
export async function continuousAdjoint(inp: ContinuousAdjointInput): Promise<Tensor> {
  const { ys, gradOutput, acc, times } = inp;
  const dev = ys.device;
  const shape = ys.shape.slice(1);
  const n = shape.reduce((p, d) => p * d, 1);
  const params = acc.params;
  const sizes = params.map((p) => p.size);
  const T = times.length;
  const row = (x: Tensor, k: number) => dev.tidy(() => x.narrow(0, k, 1).reshape([n]));

  // dz/ds with s = −t: [−f, aᵀf_y, aᵀf_θ].
  const fAug: OdeFunc = async (s, z) => {
    const [y, a] = dev.tidy(() => [z.narrow(0, 0, n).reshape(shape), z.narrow(0, n, n).reshape(shape)]);
    const leaf = y.detach();
    leaf.requiresGrad = true;
    const out = await enableGrad(() => dev.memory.scope('network', () => inp.f(-s, leaf)));
    inp.counter.nfe++;
    acc.checkReached(out, leaf);
    const gs = await grad(out, [leaf, ...params], { gradOutput: a, allowUnused: true });
    const parts = [out.neg().reshape([n]), ...gs.map((g) => g.reshape([g.size]))];
    const dz = concat(parts, 0);
    dev.dispose(y, a, leaf, out, gs, parts);
    return dz;
  };
  const ctx = new StepContext(dev, inp.tableau, fAug, [2 * n + sizes.reduce((p, d) => p + d, 0)], { nfe: 0 });
  let z = noGrad(() =>
    dev.memory.scope('adjoint', () => {
      const parts = [row(ys, T - 1), row(gradOutput, T - 1), ...params.map((p) => dev.zeros([p.size]))];
      const out = concat(parts, 0);
      dev.dispose(parts);
      return out;
    }),
  );
  try {
    for (let k = T - 1; k >= 1; k--) {
      const zs = await noGrad(() => dev.memory.scope('adjoint', () => integrateNoGraph(ctx, z, [-times[k], -times[k - 1]], inp.opts, inp.stats))).catch((e: unknown) => {
        if (!(e instanceof NonFiniteStateError)) throw e;
        throw new NonFiniteGradientError(`the continuous adjoint's backward solve from t = ${inp.dir * times[k]} to ${inp.dir * times[k - 1]} failed: ${e.message}`);
      });
      z.dispose();
      // Reset y to the forward solution at t_{k−1}; add the loss's gradient there.
      z = noGrad(() =>
        dev.memory.scope('adjoint', () => dev.tidy(() => {
          const end = zs.narrow(0, 1, 1).reshape([ctx.n]);
          const a = end.narrow(0, n, n).add(row(gradOutput, k - 1));
          return concat([row(ys, k - 1), a, end.narrow(0, 2 * n, ctx.n - 2 * n)], 0);
        })),
      );
      zs.dispose();
      if (inp.checkFinite) await checkAdjoint(z, k - 1, inp.dir * times[k - 1]);
    }
    if (inp.checkFinite) await acc.checkFinite();
    const gy0 = noGrad(() => z.narrow(0, n, n).reshape(shape));
    let off = 2 * n;
    acc.add(params.map((p, i) => {
      const g = noGrad(() => z.narrow(0, off, sizes[i]).reshape(p.shape));
      off += sizes[i];
      return g;
    }));
    return gy0;
  } finally {
    z.dispose();
    ctx.dispose();
  }
}

/** The augmented adjoint state must stay finite: a NaN here would come back as a silent NaN gradient. */
async function checkAdjoint(z: Tensor, k: number, t: number): Promise<void> {
  const s = z.device.noGrad(() => z.sum());
  const v = await s.item();
  s.dispose();
  if (!Number.isFinite(v)) {
    throw new NonFiniteGradientError(
      `the continuous adjoint's state became ${v} in the backward solve reaching output ${k} (t = ${t}); pass { checkBackward: false } to skip this check`,
    );
  }
}
