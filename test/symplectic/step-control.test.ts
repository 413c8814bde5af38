/**
 * Step control (issue 26 #4): `maxStep` caps adaptive steps, `stepTimes` makes the steps land on given times
 * (a kink in f no longer sits inside a step); both only shape the step sequence, so every gradient method
 * still equals backprop through the same steps; bad values are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { createDevice, grad, InvalidArgumentError, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintOptions } from '@sympode/symplectic';
import { mlpField } from '../helpers/mlp-ode.js';
import { randomData, relErr } from '../helpers/reference.js';

async function gradsOf(opts: OdeintOptions, gradient: GradientMethodName) {
  const dev = await createDevice({ backend: 'cpu' });
  const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
  const y0 = dev.tensor(randomData(8, 7), [4, 2], { requiresGrad: true });
  const stats: { stepEndTimes?: number[]; rejectedSteps?: number } = {};
  const ys = await odeint(f, y0, [0, 1], { params, gradient, stats, ...opts });
  const loss = dev.tidy(() => ys.square().sum());
  const gs = await grad(loss, [y0, ...params]);
  const flat = Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
  dev.destroy();
  return { flat, ends: stats.stepEndTimes!, rejected: stats.rejectedSteps! };
}

const METHODS: GradientMethodName[] = ['symplectic-adjoint', 'checkpoint', 'recompute', 'backprop'];

describe('maxStep', () => {
  it('caps every adaptive step, and every exact method equals backprop through those steps', async () => {
    const bp = await gradsOf({ maxStep: 0.05 }, 'backprop');
    const free = await gradsOf({}, 'backprop');
    const steps = bp.ends.map((e, i) => e - (i ? bp.ends[i - 1] : 0));
    expect(Math.max(...steps)).toBeLessThanOrEqual(0.05 + 1e-15);
    expect(bp.ends.length).toBeGreaterThanOrEqual(20);
    expect(free.ends.length).toBeLessThan(bp.ends.length); // it does something
    for (const m of METHODS.slice(0, 3)) {
      const r = await gradsOf({ maxStep: 0.05 }, m);
      expect(r.ends).toEqual(bp.ends);
      expect(relErr(r.flat, bp.flat)).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('stepTimes', () => {
  it('the steps land on them (adaptive and fixed), and every exact method equals backprop', async () => {
    const at = [0.123, 0.5, 0.77];
    for (const opts of [{ stepTimes: at }, { method: 'rk4', stepSize: 0.1, stepTimes: at }] as OdeintOptions[]) {
      const bp = await gradsOf(opts, 'backprop');
      for (const t of at) expect(bp.ends).toContain(t);
      for (const m of METHODS.slice(0, 3)) {
        const r = await gradsOf(opts, m);
        expect(r.ends).toEqual(bp.ends);
        expect(relErr(r.flat, bp.flat)).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it('a time given twice, or one that is also an output time, is one step end (fixed and adaptive)', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const y0 = dev.tensor([1], [1]);
    const f = (_t: number, y: Tensor) => y.neg();
    for (const opts of [{}, { method: 'rk4' }, { method: 'rk4', stepSize: 0.1 }] as OdeintOptions[]) {
      const stats: { stepEndTimes?: number[] } = {};
      const ys = await odeint(f, y0, [0, 0.5, 1], { ...opts, stepTimes: [0.25, 0.25, 0.5], stats });
      expect(stats.stepEndTimes!.filter((t) => t === 0.25).length).toBe(1);
      expect(stats.stepEndTimes!.filter((t) => t === 0.5).length).toBe(1);
      ys.dispose();
    }
    dev.destroy();
  });

  it('a kink of f at a step time costs fewer rejected steps than one inside a step', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    // y' = −(1 + 20|t − 0.5|) y: f is continuous, its derivative in t jumps at 0.5 (a kink). (A jump of f
    // itself also needs the left and right limits evaluated apart: jumpTimes, not yet here.)
    const f = (t: number, y: Tensor) => y.mul(-(1 + 20 * Math.abs(t - 0.5)));
    const y0 = dev.tensor([1, 2], [2]);
    const run = async (opts: OdeintOptions) => {
      const stats: { rejectedSteps?: number } = {};
      const ys = await odeint(f, y0, [0, 1], { rtol: 1e-8, atol: 1e-8, stats, ...opts });
      ys.dispose();
      return stats.rejectedSteps!;
    };
    const withTimes = await run({ stepTimes: [0.5] });
    const without = await run({});
    expect(withTimes).toBeLessThan(without);
    dev.destroy();
  });

  it('bad values are InvalidArgumentErrors', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const y0 = dev.tensor([1], [1]);
    const f = (_t: number, y: Tensor) => y.neg();
    await expect(odeint(f, y0, [0, 1], { maxStep: 0 })).rejects.toThrow(/maxStep must be a positive finite number/);
    await expect(odeint(f, y0, [0, 1], { method: 'rk4', maxStep: 0.1 })).rejects.toThrow(/maxStep is for adaptive methods/);
    await expect(odeint(f, y0, [0, 1], { stepTimes: [0.5, NaN] })).rejects.toThrow(/stepTimes\[1\] is/);
    await expect(odeint(f, y0, [0, 1], { stepTimes: 0.5 as never })).rejects.toThrow(InvalidArgumentError);
    dev.destroy();
  });
});
