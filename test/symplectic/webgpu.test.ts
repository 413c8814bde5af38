/**
 * On webgpu (float32) the symplectic adjoint's gradient agrees with the cpu float64 one to float32 accuracy
 * (same steps) or to the solver's tolerance (adaptive);
 * a dopri5 step costs one readback and at most 3 dispatches per stage beyond f's own; nothing leaks.
 */
import { describe, it, expect } from 'vitest';
import { createDevice, grad, type Device } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';
import { webgpuDevice } from '../helpers/devices.js';

async function run(dev: Device, opts: OdeintOptions, gradient: GradientMethodName = 'symplectic-adjoint') {
  const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
  const y0 = dev.tensor(randomData(8, 5), [4, 2], { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const live = dev.memory.stats().liveBytes;
  const out = await dev.tidy(async () => {
    const ys = await odeint(f, y0, [0, 0.5, 1], { ...opts, params, gradient, stats });
    const gs = await grad(weightedLoss(ys), [y0, ...params]);
    return Promise.all(gs.map(async (g) => Float64Array.from(await g.data())));
  });
  expect(dev.memory.stats().liveBytes).toBe(live);
  mlp.dispose();
  y0.dispose();
  return { gs: out, stats };
}

describe('symplectic adjoint on webgpu (float32) vs cpu (float64)', () => {
  it('fixed-step rk4: same steps, gradients to float32 accuracy', async (ctx) => {
    const gpu = await webgpuDevice();
    if (!gpu) return ctx.skip();
    const cpu = await createDevice({ backend: 'cpu' });
    const ref = await run(cpu, { method: 'rk4', stepSize: 0.05 });
    const got = await run(gpu, { method: 'rk4', stepSize: 0.05 });
    got.gs.forEach((g, i) => expect(relErr(g, ref.gs[i])).toBeLessThan(1e-4));
  });

  it('dopri5: as close to the converged gradient as the float64 solve at the same tolerance', async (ctx) => {
    // float32 error ratios may accept a different step sequence than float64, so the two discrete gradients
    // differ at the solver's tolerance: compare both against the converged (rtol 1e-10) float64 gradient.
    const gpu = await webgpuDevice();
    if (!gpu) return ctx.skip();
    const cpu = await createDevice({ backend: 'cpu' });
    const opts = { method: 'dopri5', rtol: 1e-5, atol: 1e-7 };
    const converged = await run(cpu, { method: 'dopri5', rtol: 1e-10, atol: 1e-12 });
    const ref = await run(cpu, opts);
    const got = await run(gpu, opts);
    got.gs.forEach((g, i) => {
      const errCpu = relErr(ref.gs[i], converged.gs[i]);
      expect(relErr(g, converged.gs[i])).toBeLessThan(3 * errCpu + 1e-5);
    });
  });

  it('a dopri5 step costs one readback and ≤ 3 dispatches per stage beyond f', async (ctx) => {
    const gpu = await webgpuDevice();
    if (!gpu) return ctx.skip();
    const { f, mlp } = mlpField(gpu, [2, 16, 2], 3);
    const y0 = gpu.tensor(randomData(8, 5), [4, 2]);
    // f's own dispatches, counted on one call.
    const c0 = { ...gpu.backend.counters };
    gpu.dispose(f(0, y0));
    const perF = gpu.backend.counters.dispatches - c0.dispatches;
    const stats: Partial<OdeintStats> = {};
    const c1 = { ...gpu.backend.counters };
    const ys = await odeint(f, y0, [0, 1], { method: 'dopri5', rtol: 1e-5, atol: 1e-7, stats });
    const c = gpu.backend.counters;
    const steps = stats.acceptedSteps! + stats.rejectedSteps!;
    const solverDispatches = c.dispatches - c1.dispatches - stats.nfeForward! * perF;
    // Readbacks: one per step, plus the initial-step selection (y0, f0, f1) and the NaN check of y0.
    expect(c.readbacks - c1.readbacks).toBeLessThanOrEqual(steps + 4);
    expect(solverDispatches / (steps * 7)).toBeLessThanOrEqual(3);
    gpu.dispose(ys, y0);
    mlp.dispose();
  });
});
