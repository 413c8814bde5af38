/**
 * Bind groups are cached by (layout, buffers) with one group per uniform-ring slot, and a dispatch takes any
 * cached group whose slot is free in the current submit. So an op on the same buffers reuses its group even
 * when it lands at a different position within a submit — which the earlier (layout, slot, buffers) key
 * missed every time. Counted with the backend's `bindGroups` counter (groups created).
 */
import { describe, it, expect } from 'vitest';
import { hasWebgpu, webgpuDevice } from '../helpers/devices.js';

const run = await hasWebgpu();

describe.runIf(run)('webgpu bind group cache', () => {
  it('reuses a group at any position within a submit', async () => {
    const dev = (await webgpuDevice())!;
    const a = dev.tensor([1, 2, 3, 4]), b = dev.tensor([5, 6, 7, 8]);
    // A sequence: `shift` scalar multiplies of a (each freed), then a + b; read back (a submit boundary).
    const sequence = async (shift: number) => {
      for (let i = 0; i < shift; i++) a.mul(2).dispose();
      const c = a.add(b);
      expect(Array.from(await c.data())).toEqual([6, 8, 10, 12]);
      c.dispose();
    };
    // Warm-up: a + b at positions 0, 1 and 10 (the multiplies, ten in one submit, need ten slots of their own).
    for (const shift of [0, 1, 10]) await sequence(shift);
    const before = dev.backend.counters.bindGroups;
    // The same ops on the same (pooled) buffers, a + b now at positions 2–9 of its submit.
    for (const shift of [2, 3, 4, 5, 6, 7, 8, 9]) await sequence(shift);
    expect(dev.backend.counters.bindGroups - before).toBe(0);
    expect(dev.backend.counters.dispatches).toBeGreaterThan(0);
    dev.dispose(a, b);
  });

  it('counts nothing on cpu', async () => {
    const { createDevice } = await import('@sympode/tensor');
    const cpu = await createDevice({ backend: 'cpu' });
    cpu.tensor([1]).add(1).dispose();
    expect(cpu.backend.counters.bindGroups).toBe(0);
  });
});
