/**
 * The reversible Heun solver and its O(1)-memory gradient ('reversible'): backprop's gradient of the same
 * discrete solve to ≤ 1e-10 relative (float64; the reconstructed states differ from the forward's by rounding),
 * a backward peak independent of the number of steps, and typed errors where it does not apply.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, InvalidArgumentError, type Device } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

async function gradients(gradient: GradientMethodName, times: number[], extra: OdeintOptions = {}) {
  const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
  const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const ys = await odeint(f, y0, times, { method: 'reversible_heun', gradient, params, stats, ...extra });
  const loss = weightedLoss(ys);
  const gs = await grad(loss, [y0, ...params]);
  const out = { ys: Float64Array.from(await ys.data()), loss: await loss.item(), gs: await Promise.all(gs.map(async (g) => Float64Array.from(await g.data()))), stats };
  dev.dispose(y0, ys, loss, gs);
  mlp.dispose();
  return out;
}

describe('reversible Heun', () => {
  it('is second order (fixed steps)', async () => {
    const errs: number[] = [];
    for (const h of [0.02, 0.01, 0.005]) {
      const y0 = dev.tensor([[1, 0]]);
      const A = dev.tensor([[0, 1], [-1, 0]]); // y' = (−y₁, y₀): (cos t, sin t)
      const ys = await odeint((_t, y) => y.matmul(A), y0, [0, 1], { method: 'reversible_heun', stepSize: h });
      const v = await ys.data();
      errs.push(Math.hypot(v[2] - Math.cos(1), v[3] - Math.sin(1)));
      dev.dispose(y0, A, ys);
    }
    expect(Math.log2(errs[0] / errs[1])).toBeGreaterThan(1.8);
    expect(Math.log2(errs[1] / errs[2])).toBeGreaterThan(1.8);
  });

  it("'reversible' = backprop through the same solve (≤ 1e-10 relative), several outputs, decreasing time too", async () => {
    for (const [times, extra] of [[[0, 0.3, 0.7, 1.2], { stepSize: 0.05 }], [[0, 1], { stepSize: 0.01 }], [[1.2, 0.5, 0], { stepSize: 0.1 }]] as [number[], OdeintOptions][]) {
      const bp = await gradients('backprop', times, extra);
      const rv = await gradients('reversible', times, extra);
      expect(Array.from(rv.ys)).toEqual(Array.from(bp.ys));
      expect(Math.abs(rv.loss - bp.loss) / Math.abs(bp.loss)).toBeLessThan(1e-12);
      const errs = rv.gs.map((g, i) => relErr(g, bp.gs[i]));
      console.log(`reversible vs backprop, ${rv.stats.acceptedSteps} steps: max relative gradient difference ${Math.max(...errs).toExponential(2)}`);
      for (const e of errs) expect(e).toBeLessThan(1e-10);
    }
  });

  it('backward peak memory does not grow with the number of steps', async () => {
    const peaks: number[] = [];
    for (const N of [10, 40, 160]) {
      const { f, params, mlp } = mlpField(dev, [3, 16, 16, 3], 2, false);
      const y0 = dev.tensor(randomData(24, 4), [8, 3], { requiresGrad: true });
      const held = dev.memory.stats().liveBytes;
      const ys = await odeint(f, y0, [0, 1], { method: 'reversible_heun', stepSize: 1 / N, params });
      const loss = weightedLoss(ys);
      dev.memory.resetPeak();
      const before = dev.memory.stats().liveBytes;
      const gs = await grad(loss, [y0, ...params]);
      peaks.push(dev.memory.stats().peakBytes - before);
      const gradBytes = gs.reduce((s, g) => s + g.size * 8, 0);
      dev.dispose(ys, loss);
      expect(dev.memory.stats().liveBytes).toBe(held + gradBytes);
      dev.dispose(gs, y0);
      mlp.dispose();
    }
    console.log('reversible backward peaks (N = 10, 40, 160):', peaks);
    expect(peaks[1]).toBe(peaks[0]);
    expect(peaks[2]).toBe(peaks[0]);
  });

  it('typed errors where it does not apply', async () => {
    const y0 = dev.tensor([[1, 0]]);
    const f = (_t: number, y: typeof y0) => y.neg();
    await expect(odeint(f, y0, [0, 1], { method: 'dopri5', gradient: 'reversible' })).rejects.toThrow(InvalidArgumentError);
    await expect(odeint(f, y0, [0, 1], { method: 'rk4', gradient: 'reversible' })).rejects.toThrow(/reversible_heun/);
    await expect(odeint(f, y0, [0, 1], { method: 'reversible_heun', gradient: 'symplectic-adjoint' })).rejects.toThrow(InvalidArgumentError);
    await expect(odeint(f, y0, [0, 0.5, 1], { method: 'reversible_heun', stepSize: 0.1, outputs: 'interpolate' })).rejects.toThrow(InvalidArgumentError);
    await expect(odeint(f, y0, [0, 1], { method: 'reversible_heun', gradient: 'reversible', checkpoints: 3 })).rejects.toThrow(InvalidArgumentError);
    y0.dispose();
  });
});
