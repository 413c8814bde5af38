/**
 * Concurrent solves give the sequential results: grad mode, tidy scopes and memory labels follow each async
 * call (AsyncLocalStorage in Node), so two `odeint` + `grad` awaited together on one device, or on two
 * devices, neither see each other's state nor leave it corrupted.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { concurrentContexts, createDevice, grad, isGradEnabled, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, type GradientMethodName } from '@sympode/symplectic';
import { randomData } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';
import { webgpuDevice } from '../helpers/devices.js';

let cpu: Device;
beforeAll(async () => {
  cpu = await createDevice({ backend: 'cpu' });
});

const flat = async (ts: Tensor[]) => (await Promise.all(ts.map(async (t) => Array.from(await t.data())))).flat();
const tick = () => new Promise((r) => setTimeout(r, 0));

/** One training-style call: solve, loss, gradients; `asyncF` makes f await between its ops. */
async function run(dev: Device, gradient: GradientMethodName, seed: number, asyncF = false) {
  const { f, params, mlp } = mlpField(dev, [2, 6, 2], seed);
  const field = asyncF ? async (t: number, y: Tensor) => { await tick(); return f(t, y); } : f;
  const y0 = dev.tensor(randomData(6, seed + 1), [3, 2], { requiresGrad: true });
  const ys = await odeint(field, y0, [0, 0.5, 1], { method: 'rk4', stepSize: 0.25, gradient, params: gradient === 'backprop' ? undefined : params });
  await tick();
  const loss = await dev.tidy(async () => {
    await tick();
    return weightedLoss(ys);
  });
  const gs = await grad(loss, [y0, ...params]);
  const out = await flat(gs);
  dev.dispose(y0, ys, loss, gs);
  mlp.dispose();
  return out;
}

describe('two solves at once on one device give the sequential results', () => {
  it('runs in an environment whose contexts follow async calls', () => {
    expect(concurrentContexts).toBe(true);
  });

  for (const gradient of GRADIENT_METHODS) {
    it(`${gradient} beside symplectic-adjoint (cpu float64), f async`, async () => {
      const base = cpu.memory.stats();
      const seqA = await run(cpu, gradient, 1, true);
      const seqB = await run(cpu, 'symplectic-adjoint', 7, true);
      const [a, b] = await Promise.all([run(cpu, gradient, 1, true), run(cpu, 'symplectic-adjoint', 7, true)]);
      expect(a).toEqual(seqA);
      expect(b).toEqual(seqB);
      expect(isGradEnabled()).toBe(true);
      const after = cpu.memory.stats();
      expect([after.liveBytes, after.liveTensors, after.liveBuffers]).toEqual([base.liveBytes, base.liveTensors, base.liveBuffers]);
    });
  }

  it('a user tidy running while another solve is suspended keeps its own tensors', async () => {
    const x = cpu.tensor([1, 2, 3], [3], { requiresGrad: true });
    const other = run(cpu, 'checkpoint', 3, true);
    const y = await cpu.tidy(async () => {
      const a = x.mul(2);
      await tick();
      await tick();
      return a.sum();
    });
    const [gx] = await grad(y, [x]);
    expect(Array.from(await gx.data())).toEqual([2, 2, 2]);
    await other;
    cpu.dispose(x, y, gx);
  });
});

describe('solves on two devices at once', () => {
  it('cpu backprop beside a webgpu symplectic-adjoint solve: both equal their sequential results', async () => {
    const gpu = (await webgpuDevice())!;
    const seqCpu = await run(cpu, 'backprop', 5);
    const seqGpu = await run(gpu, 'symplectic-adjoint', 9);
    const [c, g] = await Promise.all([run(cpu, 'backprop', 5), run(gpu, 'symplectic-adjoint', 9)]);
    expect(c).toEqual(seqCpu);
    expect(g).toEqual(seqGpu);
    expect(c.some((v) => v !== 0)).toBe(true);
    // Nothing global was left behind: a fresh gradient is right.
    const x = cpu.tensor([3], [1], { requiresGrad: true });
    const s = x.square().sum();
    const [gx] = await grad(s, [x]);
    expect(await gx.item()).toBe(6);
    cpu.dispose(x, s, gx);
  });
});
