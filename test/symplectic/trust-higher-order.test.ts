/**
 * Second derivatives through odeint (cpu float64): d/dθ ‖∂L/∂θ‖² and a Hessian–vector product in y0 by the
 * symplectic adjoint and checkpoint equal backprop's to ≤ 1e-10 relative; backprop's agrees with central
 * differences of its own first derivative; the continuous adjoint and undeclared custom ops throw.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, customVjp, grad, HigherOrderGradientError, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintOptions } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';
import { centralDifference } from '../helpers/gradcheck.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const flat = async (ts: Tensor[]) => Float64Array.from((await Promise.all(ts.map(async (t) => Array.from(await t.data())))).flat());

/** d/dθ Σ_p ‖∂L/∂θ_p‖² and d/dy0 (∂L/∂y0 · v): two second-order quantities through one solve. */
async function secondOrder(gradient: GradientMethodName, opts: OdeintOptions) {
  const { f, params, mlp } = mlpField(dev, [2, 6, 2], 11);
  const y0 = dev.tensor(randomData(6, 4), [3, 2], { requiresGrad: true });
  const v = dev.tensor(randomData(6, 5), [3, 2]);
  const ys = await odeint(f, y0, [0, 0.4, 1], { gradient, params, ...opts });
  const loss = weightedLoss(ys);
  const [gy0, ...gp] = await grad(loss, [y0, ...params], { createGraph: true });
  const penalty = dev.tidy(() => gp.map((g) => g.square().sum()).reduce((a, b) => a.add(b)));
  const hp = await grad(penalty, params, { retainGraph: true });
  const gv = dev.tidy(() => gy0.mul(v).sum());
  const [hv] = await grad(gv, [y0]);
  const out = { penalty: await penalty.item(), hp: await flat(hp), hv: await flat([hv]), first: await flat(gp) };
  dev.dispose(y0, v, ys, loss, gy0, gp, penalty, hp, gv, hv);
  mlp.dispose();
  return out;
}

const cases: [string, OdeintOptions][] = [
  ['rk4, stepSize 0.1', { method: 'rk4', stepSize: 0.1 }],
  ['dopri5 adaptive', { method: 'dopri5', rtol: 1e-6, atol: 1e-8 }],
];

describe('second derivatives through odeint equal backprop’s (≤ 1e-10 relative, float64)', () => {
  for (const [label, opts] of cases) {
    it(label, async () => {
      const bp = await secondOrder('backprop', opts);
      for (const m of ['symplectic-adjoint', 'checkpoint'] as const) {
        const r = await secondOrder(m, opts);
        expect(relErr(r.first, bp.first)).toBeLessThan(1e-12);
        expect(Math.abs(r.penalty - bp.penalty) / bp.penalty).toBeLessThan(1e-12);
        expect(relErr(r.hp, bp.hp)).toBeLessThan(1e-10);
        expect(relErr(r.hv, bp.hv)).toBeLessThan(1e-10);
        expect(bp.hp.some((x) => x !== 0)).toBe(true);
      }
    });
  }

  it('backprop’s d/dθ‖∂L/∂θ‖² matches central differences of the first derivative', async () => {
    const { f, params, mlp } = mlpField(dev, [2, 4, 2], 3);
    const y0 = dev.tensor(randomData(4, 8), [2, 2]);
    const penaltyAt = async (): Promise<number> => {
      const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.25, gradient: 'symplectic-adjoint', params });
      const loss = weightedLoss(ys);
      const gs = await grad(loss, params);
      const p = dev.tidy(() => gs.map((g) => g.square().sum()).reduce((a, b) => a.add(b)));
      const v = await p.item();
      dev.dispose(ys, loss, gs, p);
      return v;
    };
    const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.25, gradient: 'symplectic-adjoint', params });
    const loss = weightedLoss(ys);
    const gs = await grad(loss, params, { createGraph: true });
    const pen = dev.tidy(() => gs.map((g) => g.square().sum()).reduce((a, b) => a.add(b)));
    const analytic = await flat(await grad(pen, params));
    dev.dispose(ys, loss, gs, pen);
    // Central differences on a few entries of the first weight and the last bias.
    let k = 0;
    for (const p of [params[0], params[params.length - 1]]) {
      const offset = params.slice(0, params.indexOf(p)).reduce((n, q) => n + q.size, 0);
      for (const j of [0, p.size - 1]) {
        const numeric = await centralDifference(p, j, penaltyAt, 1e-5);
        expect(Math.abs(numeric - analytic[offset + j])).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
        k++;
      }
    }
    expect(k).toBe(4);
    y0.dispose();
    mlp.dispose();
  });

  it('y0 computed from a parameter: the second derivative flows on through y0 exactly once', async () => {
    const run = async (gradient: GradientMethodName) => {
      const { f, params, mlp } = mlpField(dev, [2, 5, 2], 21);
      const A = dev.tensor(randomData(4, 9), [2, 2], { requiresGrad: true });
      const x = dev.tensor(randomData(6, 10), [3, 2]);
      const y0 = x.matmul(A);
      const ys = await odeint(f, y0, [0, 0.5], { method: 'midpoint', stepSize: 0.1, gradient, params });
      const loss = weightedLoss(ys);
      const [gA, ...gp] = await grad(loss, [A, ...params], { createGraph: true });
      const pen = dev.tidy(() => gA.square().sum().add(gp[0].square().sum()));
      const h = await flat(await grad(pen, [A, ...params]));
      dev.dispose(A, x, y0, ys, loss, gA, gp, pen);
      mlp.dispose();
      return h;
    };
    const bp = await run('backprop');
    expect(relErr(await run('symplectic-adjoint'), bp)).toBeLessThan(1e-10);
    expect(relErr(await run('checkpoint'), bp)).toBeLessThan(1e-10);
  });
});

describe('ops that cannot be differentiated twice say so', () => {
  it('the continuous adjoint throws HigherOrderGradientError under createGraph, and leaks nothing', async () => {
    const { f, params, mlp } = mlpField(dev, [2, 4, 2], 2);
    const y0 = dev.tensor(randomData(4, 1), [2, 2], { requiresGrad: true });
    const base = dev.memory.stats();
    const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.5, gradient: 'adjoint', params });
    const loss = weightedLoss(ys);
    await expect(grad(loss, params, { createGraph: true })).rejects.toThrow(HigherOrderGradientError);
    await expect(grad(loss, params, { createGraph: true })).rejects.toThrow(/odeint\(rk4, adjoint\).*cannot be differentiated again/);
    // First order still works afterwards.
    const gs = await grad(loss, params);
    dev.dispose(ys, loss, gs);
    const after = dev.memory.stats();
    expect([after.liveBytes, after.liveTensors, after.liveBuffers]).toEqual([base.liveBytes, base.liveTensors, base.liveBuffers]);
    dev.dispose(y0);
    mlp.dispose();
  });

  it('a customVjp that does not declare differentiableBackward throws instead of returning a constant gradient', async () => {
    const x = dev.tensor([1, 2], [2], { requiresGrad: true });
    const y = customVjp('cube', [x], dev.noGrad(() => x.pow(3)), (g) => [g.mul(x.square().mul(3))]);
    const s = y.sum();
    await expect(grad(s, [x], { createGraph: true })).rejects.toThrow(HigherOrderGradientError);
    const y2 = customVjp('cube', [x], dev.noGrad(() => x.pow(3)), (g) => [g.mul(x.square().mul(3))], { differentiableBackward: true });
    const s2 = y2.sum();
    const [g1] = await grad(s2, [x], { createGraph: true });
    const [g2] = await grad(g1.sum(), [x]);
    expect(Array.from(await g2.data())).toEqual([6, 12]);
    dev.dispose(x, y, s, y2, s2, g1, g2);
  });
});
