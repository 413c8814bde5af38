/**
 * The continuous adjoint (Chen et al. 2018): solve the augmented system z = [y, a, g_θ] backward in time,
 *   dy/dt = f,  da/dt = −aᵀ f_y,  dg/dt = −aᵀ f_θ,
 * from t_K to t_0 with the same method and the adjoint tolerances (the error over all of z, or over [y, a]
 * alone under adjointNorm 'seminorm'), resetting y to the forward solution and
 * adding ∂L/∂y(t_k) to a at every output time (as torchdiffeq does). Internally time is reversed (s = −t) so
 * the forward integrator runs it. Its gradient is only as exact as this second solve: approximate.
 */
import { concat, grad, noGrad, type Tensor } from '@sympode/tensor';
import { Field, type OdeFunc } from '../field.js';
import { integrate } from '../integrate.js';
import { NoGraphStepper } from '../no-graph-stepper.js';
import { NonFiniteGradientError, NonFiniteStateError, ToleranceError } from '../solver-errors.js';
import type { BackwardRun, GradientMethod } from './method.js';
import { keepSolution, keptAs } from './keepers.js';

/** Returns ∂L/∂y0; parameter gradients go into `acc`. */
async function continuousAdjoint(inp: BackwardRun): Promise<Tensor> {
  const { g: gradOutput, acc, times } = inp;
  const { ys } = keptAs(inp.kept, 'solution');
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
    const out = await acc.traced(leaf, () => inp.field.eval(-s, leaf));
    const gs = await grad(out, [leaf, ...params], { gradOutput: a, allowUnused: true, stopAtInputs: true });
    const parts = [out.neg().reshape([n]), ...gs.map((g) => g.reshape([g.size]))];
    const dz = concat(parts, 0);
    dev.dispose(y, a, leaf, out, gs, parts);
    return dz;
  };
  const Z = 2 * n + sizes.reduce((p, d) => p + d, 0);
  // The seminorm measures the error of [y, a] only: g_θ feeds back into nothing (Kidger et al. 2021).
  const solve = inp.adjointNorm === 'seminorm' ? { ...inp.solve, normPrefix: 2 * n } : inp.solve;
  const stepper = new NoGraphStepper(new Field(dev, fAug, [Z], { nfe: 0 }), inp.tableau);
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
      const zs = await noGrad(() => dev.memory.scope('adjoint', () => integrate(stepper, z, [-times[k], -times[k - 1]], solve, inp.stats))).catch((e: unknown) => {
        const where = `the continuous adjoint's backward solve from t = ${inp.dir * times[k]} to ${inp.dir * times[k - 1]} failed`;
        if (e instanceof ToleranceError) throw new ToleranceError(`${where}: ${e.message} (this solve's atol and rtol are odeint's adjointAtol and adjointRtol)`, { cause: e });
        if (!(e instanceof NonFiniteStateError)) throw e;
        throw new NonFiniteGradientError(`${where}: ${e.message}`);
      });
      z.dispose();
      // Reset y to the forward solution at t_{k−1}; add the loss's gradient there.
      z = noGrad(() =>
        dev.memory.scope('adjoint', () => dev.tidy(() => {
          const end = zs.narrow(0, 1, 1).reshape([Z]);
          const a = end.narrow(0, n, n).add(row(gradOutput, k - 1));
          return concat([row(ys, k - 1), a, end.narrow(0, 2 * n, Z - 2 * n)], 0);
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
    stepper.dispose();
  }
}

export const continuousAdjointMethod: GradientMethod = {
  name: 'adjoint',
  description: 'the continuous adjoint (Chen et al. 2018): a second, backward solve; approximate, O(s·(S+P) + L) memory',
  recordsGraph: false,
  keeper: keepSolution,
  secondOrder: false,
  supportsSeminorm: true,
  backward: continuousAdjoint,
  memoryModel({ tableau, T }, { S, P, Vf }) {
    const s = tableau.b.length;
    const out = T * S;
    // Augmented state z = [y, a, g_θ]: Z = 2S + P. The backward solve holds K [s, Z], one stage state,
    // the step result, z and the [2, Z] interval output, plus one VJP of f.
    const Z = 2 * S + P;
    const buffers = (s + 2 + 1 + 2) * Z;
    return {
      total: out + buffers + Vf,
      terms: { outputs: out, augmentedBuffers: buffers, oneVjp: Vf },
      formula: 'T·S + (s+5)·(2S+P) + Vf',
    };
  },
};

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
