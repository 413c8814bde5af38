/**
 * The extension points: the gradient-method registry (every name maps to a method of that name with a
 * memory model) and the step-size controller interface (a user's controller drives the solve; the default
 * integral controller reproduces torchdiffeq's step sequence).
 */
import { describe, it, expect } from 'vitest';
import { createDevice, grad } from '@sympode/tensor';
import { GRADIENT_METHODS, GRADIENTS, IntegralController, getTableau, keepCheckpoints, odeint, reverseSweep, vjp, type GradientMethod, type StepSizeController } from '@sympode/symplectic';
import { mlpField } from '../helpers/mlp-ode.js';
import { randomData, relErr } from '../helpers/reference.js';

describe('gradient-method registry', () => {
  it('every name maps to the method of that name, default first', () => {
    expect(GRADIENT_METHODS[0]).toBe('symplectic-adjoint');
    for (const name of GRADIENT_METHODS) {
      const m = GRADIENTS[name];
      expect(m.name).toBe(name);
      expect(m.description.length).toBeGreaterThan(10);
      const p = m.memoryModel({ tableau: getTableau('dopri5'), N: 10, T: 2 }, { S: 64, P: 1000, Ge: 500, Go: 64, Vf: 700, Xb: 900, elementBytes: 8 });
      expect(p.total).toBe(Object.values(p.terms).reduce((a, b) => a + b, 0));
    }
  });

  it('the symplectic adjoint’s model grows by exactly one state per step; backprop’s by s graphs without their outputs', () => {
    const fb = { S: 64, P: 1000, Ge: 500, Go: 64, Vf: 700, Xb: 900, elementBytes: 8 };
    const tab = getTableau('rk4');
    const slope = (name: (typeof GRADIENT_METHODS)[number]) =>
      GRADIENTS[name].memoryModel({ tableau: tab, N: 11, T: 2 }, fb).total - GRADIENTS[name].memoryModel({ tableau: tab, N: 10, T: 2 }, fb).total;
    expect(slope('symplectic-adjoint')).toBe(64);
    // rk4: 4 evaluations a step, each keeping its graph (Ge) but not its output (Go): the combinations save nothing.
    expect(slope('backprop')).toBe(4 * (500 - 64));
  });
});

describe('step-size controllers', () => {
  it('a user controller is asked for the first step and for every decision', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const { f, mlp } = mlpField(dev, [2, 8, 2], 1);
    const y0 = dev.tensor(randomData(6, 2), [3, 2]);
    const base = new IntegralController();
    let decisions = 0;
    let initial = 0;
    const counting: StepSizeController = {
      initialStep: (input) => {
        initial++;
        return base.initialStep(input);
      },
      adapt: (h, r, o) => {
        decisions++;
        return base.adapt(h, r, o);
      },
    };
    const s1: { acceptedSteps?: number; rejectedSteps?: number; stepEndTimes?: number[] } = {};
    const s2: typeof s1 = {};
    const a = await dev.noGrad(() => odeint(f, y0, [0, 1], { rtol: 1e-6, atol: 1e-8, controller: counting, stats: s1 }));
    const b = await dev.noGrad(() => odeint(f, y0, [0, 1], { rtol: 1e-6, atol: 1e-8, stats: s2 }));
    expect(initial).toBe(1);
    expect(decisions).toBe(s1.acceptedSteps! + s1.rejectedSteps!);
    expect(s1.stepEndTimes).toEqual(s2.stepEndTimes);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    // A timid controller (never grows the step) takes more steps.
    const timid = new IntegralController({ ifactor: 1 });
    const s3: typeof s1 = {};
    const c = await dev.noGrad(() => odeint(f, y0, [0, 1], { rtol: 1e-6, atol: 1e-8, controller: timid, stats: s3 }));
    expect(s3.acceptedSteps!).toBeGreaterThan(s2.acceptedSteps!);
    dev.dispose(a, b, c, y0);
    mlp.dispose();
  });
});

describe('a gradient method written by a user (the docs/DESIGN.md example)', () => {
  it('plugs into odeint as an object and equals backprop through explicit Euler', async () => {
    const eulerAdjoint: GradientMethod = {
      name: 'euler-adjoint',
      description: 'the discrete adjoint of explicit Euler (only for method: euler)',
      recordsGraph: false,
      keeper: keepCheckpoints,
      secondOrder: true,
      backward: (run) =>
        reverseSweep(run, async ({ t, h, y }, lambda) => {
          const kappa = lambda.mul(h);
          const nu = await vjp(run.field, t, y, kappa, run.acc);
          const next = lambda.add(nu);
          run.field.device.dispose(kappa, nu, lambda);
          return next;
        }),
      memoryModel: ({ N, T }, { S, P, Vf }) => ({
        total: (N - 1) * S + T * S + 3 * S + P + Vf,
        terms: { checkpoints: (N - 1) * S, outputs: T * S, buffers: 3 * S, gradientSums: P, oneVjp: Vf },
        formula: '(N−1)·S + T·S + 3S + P + Vf',
      }),
    };
    const dev = await createDevice({ backend: 'cpu' });
    const { f, params, mlp } = mlpField(dev, [2, 8, 2], 4);
    const y0 = dev.tensor(randomData(6, 5), [3, 2], { requiresGrad: true });
    const run = async (gradient: GradientMethod | 'backprop') => {
      const stats: { gradient?: string } = {};
      const ys = await odeint(f, y0, [0, 0.5, 1], { method: 'euler', stepSize: 0.1, gradient, params, stats });
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...params]);
      const flat = Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
      dev.dispose(ys, loss, gs);
      return { flat, name: stats.gradient };
    };
    const mine = await run(eulerAdjoint);
    const bp = await run('backprop');
    expect(mine.name).toBe('euler-adjoint');
    expect(relErr(mine.flat, bp.flat)).toBeLessThan(1e-12);
    dev.dispose(y0);
    mlp.dispose();
  });
});
