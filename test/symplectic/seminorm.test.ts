/**
 * `adjointNorm: 'seminorm'` (Kidger, Chen & Lyons 2021): the continuous adjoint's backward solve measures its
 * error over [y, a] only, not over the parameter-gradient integral g_θ. Checked on cpu float64: it is exactly
 * the error control of [y, a] solved without g_θ (same steps, the same ∂L/∂y0 bit for bit); on the spiral and
 * an MLP ODE it takes fewer backward evaluations than the full norm for the same gradient error against
 * backprop through a tight solve; it is not always cheaper (one interval of the spiral); and what refuses it.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type AdjointNorm, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { Field } from '../../packages/symplectic/src/field.js';
import { GraphStepper } from '../../packages/symplectic/src/graph-stepper.js';
import { integrate, type IntegrateOptions } from '../../packages/symplectic/src/integrate.js';
import { NoGraphStepper } from '../../packages/symplectic/src/no-graph-stepper.js';
import { IntegralController } from '../../packages/symplectic/src/controller.js';
import { getTableau } from '../../packages/symplectic/src/tableaus.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';
import { randomData, relErr } from '../helpers/reference.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const grid = (n: number, t1: number) => Array.from({ length: n }, (_, i) => (t1 * i) / (n - 1));

interface Problem {
  f: (t: number, y: Tensor) => Tensor;
  params: Tensor[];
  y0: number[];
  shape: number[];
  times: number[];
  dispose(): void;
}

/** The spiral dy/dt = y³A from (2, 0) (torchdiffeq's demo), A the parameter; outputs at t = 0, 1, …, 25. */
function spiral(times = grid(26, 25), trainable = true): Problem {
  const A = dev.tensor([[-0.1, 2], [-2, -0.1]], undefined, { requiresGrad: trainable });
  return { f: (_t, y) => dev.tidy(() => y.pow(3).matmul(A)), params: trainable ? [A] : [], y0: [2, 0], shape: [1, 2], times, dispose: () => A.dispose() };
}

/** A [2, 16, 2] tanh MLP of (y, t) (98 parameters) from a batch of three states; outputs at t = 0, 0.5, …, 2. */
function mlpOde(): Problem {
  const { f, params, mlp } = mlpField(dev, [2, 16, 2], 5);
  return { f, params, y0: Array.from(randomData(6, 3)), shape: [3, 2], times: grid(5, 2), dispose: () => mlp.dispose() };
}

/** The weighted loss's gradient with respect to y0 and θ (flattened), and the stats. */
async function gradients(p: Problem, gradient: GradientMethodName, opts: OdeintOptions) {
  const y0 = dev.tensor(p.y0, p.shape, { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const ys = await odeint(p.f, y0, p.times, { gradient, params: p.params, stats, ...opts });
  const loss = weightedLoss(ys);
  const gs = await grad(loss, [y0, ...p.params]);
  const g = Float64Array.from((await Promise.all(gs.map(async (x) => Array.from(await x.data())))).flat());
  const gy0 = g.slice(0, y0.size);
  dev.dispose(y0, ys, loss, gs);
  return { g, gy0, stats };
}

/** Backward evaluations and gradient error (max-abs relative, against `ref`) of the continuous adjoint. */
async function adjoint(p: Problem, adjointNorm: AdjointNorm, rtol: number, ref: Float64Array) {
  const r = await gradients(p, 'adjoint', { rtol, atol: rtol / 100, adjointNorm });
  return { nfe: r.stats.nfeBackward!, steps: r.stats.backwardSteps!, err: relErr(r.g, ref) };
}

/**
 * At each tolerance: the seminorm takes strictly fewer backward evaluations, and its gradient error is within
 * `bound` (the full norm's too) and at most 1.1× the full norm's: the same error for less work.
 */
async function compare(name: string, p: Problem, cases: { rtol: number; bound: number }[]) {
  // The reference: backprop through a tight solve (its own discretisation error is far below `bound`).
  const ref = (await gradients(p, 'backprop', { rtol: 1e-12, atol: 1e-14 })).g;
  for (const { rtol, bound } of cases) {
    const full = await adjoint(p, 'full', rtol, ref);
    const semi = await adjoint(p, 'seminorm', rtol, ref);
    console.log(`${name} rtol ${rtol}: backward nfe full ${full.nfe} (${full.steps} steps) → seminorm ${semi.nfe} (${semi.steps} steps); gradient error full ${full.err.toExponential(3)}, seminorm ${semi.err.toExponential(3)}`);
    expect(semi.nfe).toBeLessThan(full.nfe);
    expect(full.err).toBeLessThan(bound);
    expect(semi.err).toBeLessThan(bound);
    expect(semi.err).toBeLessThanOrEqual(1.1 * full.err);
  }
  p.dispose();
}

describe("adjointNorm 'seminorm' (cpu float64, dopri5)", () => {
  it('measures [y, a] exactly: the same steps and ∂L/∂y0 as the adjoint solved without g_θ', async () => {
    // Without trainable parameters the augmented state is [y, a]: both norms are the same norm of it.
    const bare = await gradients(spiral(grid(11, 10), false), 'adjoint', { rtol: 1e-6, atol: 1e-8, adjointNorm: 'full' });
    const semi = await gradients(spiral(grid(11, 10)), 'adjoint', { rtol: 1e-6, atol: 1e-8, adjointNorm: 'seminorm' });
    const full = await gradients(spiral(grid(11, 10)), 'adjoint', { rtol: 1e-6, atol: 1e-8, adjointNorm: 'full' });
    console.log(`spiral [0, 10] backward steps: [y, a] alone ${bare.stats.backwardSteps}, seminorm ${semi.stats.backwardSteps}, full ${full.stats.backwardSteps}`);
    expect(semi.stats.backwardSteps).toBe(bare.stats.backwardSteps);
    expect(semi.stats.nfeBackward).toBe(bare.stats.nfeBackward);
    expect(Array.from(semi.gy0)).toEqual(Array.from(bare.gy0));
    // The full norm's steps do see g_θ.
    expect(full.stats.backwardSteps).not.toBe(bare.stats.backwardSteps);
  });

  it('the spiral (t = 0 … 25, 26 outputs): fewer backward evaluations, the same gradient error', async () => {
    // The continuous adjoint's own error on this horizon is 30–90× rtol (either norm).
    await compare('spiral', spiral(), [{ rtol: 1e-6, bound: 4e-5 }, { rtol: 1e-8, bound: 1e-6 }]);
  });

  it('an MLP ODE (98 parameters, t = 0 … 2, 5 outputs): fewer backward evaluations, the same gradient error', async () => {
    await compare('mlp', mlpOde(), [{ rtol: 1e-6, bound: 1e-6 }, { rtol: 1e-8, bound: 1e-8 }]);
  });

  it('is not always cheaper: on one interval of the spiral the flat RMS full norm takes fewer steps', async () => {
    // The full norm is one RMS over [y, a, g_θ]: g_θ's small errors dilute it, so it can accept steps the RMS
    // over [y, a] alone rejects. The gradient errors stay equal (within 1%). docs/DESIGN.md states this.
    const p = spiral([0, 10]);
    const ref = (await gradients(p, 'backprop', { rtol: 1e-12, atol: 1e-14 })).g;
    const full = await adjoint(p, 'full', 1e-8, ref);
    const semi = await adjoint(p, 'seminorm', 1e-8, ref);
    console.log(`spiral [0, 10], one interval, rtol 1e-8: backward nfe full ${full.nfe} → seminorm ${semi.nfe}; gradient error full ${full.err.toExponential(3)}, seminorm ${semi.err.toExponential(3)}`);
    expect(semi.nfe).toBeGreaterThan(full.nfe);
    expect(Math.abs(semi.err / full.err - 1)).toBeLessThan(0.01);
    p.dispose();
  });
});

describe('the seminorm inside the solver (integrate)', () => {
  const opts = (extra: Partial<IntegrateOptions>): IntegrateOptions => ({ rtol: 1e-6, atol: 1e-8, maxSteps: 1000, controller: new IntegralController(), ...extra });
  const decay = (_t: number, y: Tensor) => y.neg();

  it('normPrefix must be a whole number of leading elements, and only with the batch norm', async () => {
    const y0 = dev.tensor([1, 2, 3, 4]);
    const stepper = new NoGraphStepper(new Field(dev, decay, [4], { nfe: 0 }), getTableau('dopri5'));
    const stats = () => ({ acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] });
    for (const normPrefix of [0, 5, 1.5, NaN]) {
      await expect(integrate(stepper, y0, [0, 1], opts({ normPrefix }), stats())).rejects.toThrow(/normPrefix must be an integer from 1 to the state's size \(4\)/);
    }
    const e = await integrate(stepper, y0, [0, 1], opts({ normPrefix: 2, norm: 'per-sample' }), stats()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/does not combine with norm 'per-sample'/);
    stepper.dispose();
    y0.dispose();
  });

  it('the recording stepper refuses a seminorm instead of ignoring it', async () => {
    const y0 = dev.tensor([1, 2, 3, 4]);
    const stepper = new GraphStepper(new Field(dev, decay, [4], { nfe: 0 }), getTableau('dopri5'));
    const e = await dev.tidy(() => integrate(stepper, y0, [0, 1], opts({ normPrefix: 2 }), { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/the recording stepper does not support a seminorm \(normPrefix\)/);
    stepper.dispose();
    y0.dispose();
  });
});
