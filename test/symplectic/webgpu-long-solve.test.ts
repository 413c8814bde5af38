/**
 * Long webgpu solves (issue 21 #5). Dawn frees a bind group only when V8 collects its JS wrapper and the
 * finalizer runs in a later task; a fixed-step solve never yields, so every group it made stayed alive, and on
 * lavapipe (a mapped page per descriptor set) the process died with SIGSEGV at vm.max_map_count, near 6 000
 * rk4 steps with a checkpoint each. The solvers now call Device.relieve before every evaluation of f (and
 * backward between graph nodes), which collects and yields once enough dropped groups pile up.
 *
 * Before the fix, 2 000 steps here left ~22 000 groups alive at once (the process's 4 KiB memfd mappings
 * counted 34 000 at 3 000 steps); the bound below is the cache's 8 192 plus two reliefs' worth.
 */
import { describe, it, expect } from 'vitest';
import { createDevice, DeviceLimitError, Device, grad, type Tensor } from '@sympode/tensor';
import { createWebGpuBackend } from '../../packages/tensor/src/backends/webgpu/webgpu.js';
import { odeint, type GradientMethodName } from '@sympode/symplectic';
import { hasWebgpu, webgpuDevice } from '../helpers/devices.js';

const run = await hasWebgpu();
const STEPS = 2000;
const LIVE_BOUND = 8192 + 2 * 2048 + 512;

/** dL/dW of ‖y(T)[:, 1]‖² for y' = tanh(y W), rk4 with STEPS fixed steps, and the device's bind group peak. */
async function gradient(dev: Device, method: GradientMethodName): Promise<{ g: number[]; peak: number; made: number }> {
  const c = dev.backend.counters;
  const made = c.bindGroups;
  const g = await dev.tidy(async () => {
    const W = dev.tensor([[-0.1, 1.0], [-1.0, -0.1]], undefined, { requiresGrad: true });
    const ys = await odeint((_t: number, y: Tensor) => y.matmul(W).tanh(), dev.randn([64, 2], { seed: 1 }), [0, STEPS * 0.005], {
      method: 'rk4', stepSize: 0.005, params: [W], gradient: method,
    });
    const [gW] = await grad(ys.narrow(0, 1, 1).square().sum(), [W]);
    return Array.from(await gW.data());
  });
  return { g, peak: c.peakLiveBindGroups, made: c.bindGroups - made };
}

describe.runIf(run)('webgpu: long solves keep bind groups bounded', () => {
  it.each<GradientMethodName>(['symplectic-adjoint', 'backprop'])('%s over 2 000 rk4 steps: the gradient of cpu float32, bind groups bounded', async (method) => {
    // A device of its own, so the peak counts this solve only.
    const dev = new Device(await createWebGpuBackend());
    const cpu = await createDevice({ backend: 'cpu', dtype: 'float32' });
    const before = dev.memory.stats().liveTensors;
    try {
      const gpu = await gradient(dev, method);
      const ref = await gradient(cpu, method);
      for (let i = 0; i < 4; i++) expect(Math.abs(gpu.g[i] - ref.g[i])).toBeLessThan(1e-4 * Math.abs(ref.g[i]));
      expect(gpu.made).toBeGreaterThan(2 * LIVE_BOUND); // the solve made far more groups than stayed alive
      expect(gpu.peak).toBeLessThan(LIVE_BOUND);
      expect(dev.memory.stats().liveTensors).toBe(before);
    } finally {
      dev.destroy();
    }
  });

  it('a loop that never yields gets a DeviceLimitError at the live limit, not a crash; relieve() lets it go on', async () => {
    // 9 000 distinct inputs, one new group each: past 8 192 the cache drops its groups, which stay alive until
    // collected, so a second pass in the same synchronous run reaches the limit of 12 000.
    const rounds = async (dev: Device, n: number, relieve: boolean) => {
      const xs = Array.from({ length: 9000 }, (_, i) => dev.tensor([i]));
      try {
        for (let r = 0; r < n; r++) {
          for (const x of xs) x.add(r).dispose();
          if (relieve) await dev.relieve();
        }
      } finally {
        dev.dispose(xs);
      }
    };
    const stuck = new Device(await createWebGpuBackend({ limits: { liveBindGroups: 12_000 } }));
    const before = stuck.memory.stats().liveBytes; // the uniform ring
    try {
      const err = await rounds(stuck, 2, false).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceLimitError);
      expect(String(err)).toMatch(/12000 bind groups are alive or await garbage collection.*await device\.relieve\(\)/);
      expect(stuck.memory.stats().liveBytes).toBe(before);
    } finally {
      stuck.destroy();
    }
    const relieved = new Device(await createWebGpuBackend({ limits: { liveBindGroups: 12_000 } }));
    try {
      await rounds(relieved, 4, true);
      const c = relieved.backend.counters;
      expect(c.bindGroups).toBeGreaterThan(30_000);
      expect(c.peakLiveBindGroups).toBeLessThan(12_000);
    } finally {
      relieved.destroy();
    }
  });

  it('relieve() resolves at once on cpu and on an idle device', async () => {
    const cpu = await createDevice({ backend: 'cpu' });
    await cpu.relieve();
    await (await webgpuDevice())!.relieve();
    expect(cpu.backend.counters.liveBindGroups).toBe(0);
  });
});
