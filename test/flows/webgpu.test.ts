/**
 * Smoke test on webgpu (float32, lavapipe here): a CNF's log-density and its symplectic-adjoint gradient agree
 * with the cpu float64 ones to float32 accuracy (same fixed steps, same ε); nothing leaks.
 */
import { describe, it, expect } from 'vitest';
import { createDevice, grad, type Device } from '@sympode/tensor';
import { CNF, toyData, type TraceEstimator } from '@sympode/flows';
import { randomData, relErr } from '../helpers/reference.js';
import { webgpuDevice } from '../helpers/devices.js';

async function run(dev: Device, trace: TraceEstimator) {
  const B = 16;
  const cnf = CNF.ffjord(dev, 2, { hidden: [16, 16], seed: 2, trace, solver: { method: 'rk4', stepSize: 0.1 } });
  const live = dev.memory.stats().liveBytes;
  const out = await dev.tidy(async () => {
    const x = dev.tensor(toyData('moons', B, 3), [B, 2]);
    const lp = await cnf.logProb(x, { noise: [randomData(2 * B, 4)] });
    const [g0] = await grad(lp.mean(), [cnf.parameters()[0]]);
    return { lp: Float64Array.from(await lp.data()), g0: Float64Array.from(await g0.data()) };
  });
  expect(dev.memory.stats().liveBytes).toBe(live);
  cnf.dispose();
  return out;
}

describe('CNF on webgpu (float32) vs cpu (float64)', () => {
  for (const trace of ['exact', 'hutchinson'] as const) {
    it(`${trace} trace: log p(x) and a parameter gradient to float32 accuracy`, async (ctx) => {
      const gpu = await webgpuDevice();
      if (!gpu) return ctx.skip();
      const ref = await run(await createDevice({ backend: 'cpu' }), trace);
      const got = await run(gpu, trace);
      expect(relErr(got.lp, ref.lp)).toBeLessThan(1e-5);
      expect(relErr(got.g0, ref.g0)).toBeLessThan(1e-4);
    });
  }
});
