/** What is not an error: disposing twice, destroying twice, disposing the tensors of a destroyed device. */
import { describe, it, expect } from 'vitest';
import { createDevice, DeviceDestroyedError, type Device } from '@sympode/tensor';
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
