/** What is not an error: disposing twice, destroying twice, disposing the tensors of a destroyed device. */
import { describe, it, expect } from 'vitest';
import { combineRows, combineTerms, concat, createDevice, DeviceDestroyedError, errorRatio, where, type Backend, type Device, type Tensor } from '@sympode/tensor';
import { webgpuDevice } from '../helpers/devices.js';

const counts = (dev: Device) => {
  const s = dev.memory.stats();
  return [s.liveBytes, s.liveTensors, s.liveBuffers];
};

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`lifetimes (${backend})`, () => {
    it('dispose twice is a no-op', async (ctx) => {
      const dev = backend === 'cpu' ? await createDevice({ backend }) : await webgpuDevice();
      if (!dev) return ctx.skip();
      const base = counts(dev);
      const x = dev.ones([3]);
      const y = x.reshape([3, 1]);
      x.dispose();
      x.dispose();
      dev.dispose(x, [x], { x });
      expect(x.isDisposed).toBe(true);
      expect(Array.from(await y.data())).toEqual([1, 1, 1]); // the storage lives while a handle does
      y.dispose();
      expect(counts(dev)).toEqual(base);
    });

    it('tidy keeps tensors returned inside a Map or a Set and frees the rest', async (ctx) => {
      const dev = backend === 'cpu' ? await createDevice({ backend }) : await webgpuDevice();
      if (!dev) return ctx.skip();
      const base = counts(dev);
      const { m, s } = dev.tidy(() => {
        const a = dev.ones([2]);
        const b = a.mul(3);
        a.add(b); // a temporary: freed
        return { m: new Map([['b', b]]), s: new Set([a]) };
      });
      expect(Array.from(await m.get('b')!.data())).toEqual([3, 3]);
      expect([...s][0].isDisposed).toBe(false);
      expect(counts(dev)[1]).toBe(base[1] + 2);
      dev.dispose(m.get('b'), [...s]);
      expect(counts(dev)).toEqual(base);
    });

    it('a destroyed device refuses work, its tensors say so and can still be disposed; destroy twice is a no-op', async (ctx) => {
      if (backend === 'webgpu' && !(await webgpuDevice())) return ctx.skip();
      const dev = await createDevice({ backend });
      const x = dev.tensor([1, 2]);
      const y = x.mul(2);
      expect(dev.destroyed).toBe(false);
      dev.destroy();
      dev.destroy();
      expect(dev.destroyed).toBe(true);
      expect(String(x)).toMatch(/device destroyed/);
      expect(() => x.add(y)).toThrow(DeviceDestroyedError);
      await expect(y.data()).rejects.toThrow(DeviceDestroyedError);
      await expect(dev.sync()).rejects.toThrow(DeviceDestroyedError);
      dev.dispose(x, y);
      const s = dev.memory.stats();
      expect([s.liveBytes, s.liveTensors, s.liveBuffers, s.reservedBytes]).toEqual([0, 0, 0, 0]);
      dev.memory.emptyCache(); // nothing left to release, and no call into the destroyed backend
    });
  });
}

describe('a kernel that throws', () => {
  // A backend failure (a device lost, a limit the checks did not foresee) must not leak the op's output.
  // Each case makes its inputs from x first (they are not the op's to free), then returns the op.
  type Prep = (x: Tensor, dev: Device) => { inputs: Tensor[]; run: () => unknown };
  const plain = (f: (x: Tensor) => unknown): Prep => (x) => ({ inputs: [], run: () => f(x) });
  const cases: [keyof Backend, string, Prep, number?][] = [
    ['unary', 'exp', plain((x) => x.exp())],
    ['binary', 'add', plain((x) => x.add(x))],
    ['where', 'where', plain((x) => where(x, x, 0))],
    ['matmul', 'matmul', (x) => { const w = x.reshape([3, 2]); return { inputs: [w], run: () => x.matmul(w) }; }],
    ['copy', 'transpose', plain((x) => x.transpose())],
    ['copy', 'broadcastTo', plain((x) => x.broadcastTo([2, 2, 3]))],
    ['copy', 'narrow', plain((x) => x.narrow(1, 1, 2))],
    ['copy', 'concat', plain((x) => concat([x, x], 1))],
    ['copy', 'clone', plain((x) => x.clone())],
    ['reduce', 'sum of all', plain((x) => x.sum())],
    ['reduce', 'second pass of a two-axis sum', (x) => { const x3 = x.reshape([1, 2, 3]); return { inputs: [x3], run: () => x3.sum([1, 2]) }; }, 1],
    ['rkCombine', 'combineRows', (x, dev) => { const y = dev.ones([3]); return { inputs: [y], run: () => combineRows(y, x, [1, 1]) }; }],
    ['combineTerms', 'combineTerms', (x, dev) => { const y = dev.ones([2, 3]); return { inputs: [y], run: () => combineTerms(y, [x, x], [1, 2]) }; }],
    ['rkErrorRatio', 'errorRatio', (x) => { const rows = x.reshape([1, 2, 3]); return { inputs: [rows], run: () => errorRatio(x, x, rows, [1], 1, 1e-3, 1e-6) }; }],
  ];
  for (const [method, name, prep, okCalls = 0] of cases) {
    it(`frees the output of ${name}`, async () => {
      const dev = await createDevice({ backend: 'cpu' });
      const x = dev.tensor([[1, 2, 3], [4, 5, 6]]);
      const { inputs, run } = prep(x, dev);
      const base = counts(dev);
      const real = (dev.backend[method] as (...a: unknown[]) => unknown).bind(dev.backend);
      let calls = 0;
      (dev.backend as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => {
        if (calls++ % (okCalls + 1) < okCalls) return real(...a);
        throw new Error('kernel failed');
      };
      expect(run).toThrow('kernel failed');
      expect(counts(dev)).toEqual(base);
      dev.dispose(x, inputs);
      dev.destroy();
    });
  }
});
