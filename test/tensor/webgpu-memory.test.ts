/**
 * The allocator accounts for every GPU buffer sympode creates: tensor storage, the uniform ring, readback
 * staging, temporaries and scratch. The test hands in its own GPUDevice with createBuffer/destroy wrapped,
 * so it sees every buffer the backend really holds, and checks the sum of their sizes against the
 * allocator's liveBytes + paddingBytes + reservedBytes after ops and readbacks (and after emptyCache).
 * Needs Dawn with an adapter; skipped without one unless SYMPODE_REQUIRE_WEBGPU=1.
 */
import { describe, expect, it } from 'vitest';
import { combineRows, createDevice, errorRatio, type Device } from '@sympode/tensor';
import { hasWebgpu } from '../helpers/devices.js';

const run = await hasWebgpu();

/** A Dawn device whose buffers are tracked: live buffer → size. */
async function trackedDevice(): Promise<{ gpu: GPU; device: GPUDevice; live: Map<GPUBuffer, number> }> {
  const { create } = (await import('webgpu')) as { create(flags: string[]): GPU };
  const gpu = create([]);
  const adapter = (await gpu.requestAdapter())!;
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
  });
  const live = new Map<GPUBuffer, number>();
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    const buf = createBuffer(desc);
    live.set(buf, desc.size);
    const destroy = buf.destroy.bind(buf);
    buf.destroy = () => {
      live.delete(buf);
      destroy();
    };
    return buf;
  };
  return { gpu, device, live };
}

const held = (live: Map<GPUBuffer, number>) => [...live.values()].reduce((a, b) => a + b, 0);
function accounted(d: Device): number {
  const s = d.memory.stats();
  return s.liveBytes + s.paddingBytes + s.reservedBytes;
}

describe.runIf(run)('webgpu memory accounting', () => {
  it('the allocator counts every GPU buffer: storage, uniform ring, staging, temporaries, scratch', async () => {
    const { gpu, device, live } = await trackedDevice();
    const d = await createDevice({ device, gpu });
    expect(held(live)).toBe(accounted(d)); // the uniform ring, from the start
    expect(d.memory.stats().byLabel.internal.liveBytes).toBe(held(live));

    const x = d.randn([64, 33], { seed: 1 });
    const w = d.randn([33, 17], { seed: 2 });
    const y = x.matmul(w).tanh().add(d.ones([17]));
    const s = y.sum(0);
    const empty = d.zeros([0]); // 4 bytes of padding
    expect((await s.data()).length).toBe(17); // a readback: staging, then pooled
    expect(held(live)).toBe(accounted(d));

    // Temporaries: an output aliasing its input, a self-copy, and the error ratio's two-pass scratch.
    d.backend.unary('neg', y._raw, y._raw, y.size);
    d.backend.copy(y._raw, { offset: 0, strides: [1, 64] }, y._raw, { offset: 0, strides: [17, 1] }, [17, 17]);
    const n = 20_000;
    const rows = d.randn([3, n], { seed: 3 });
    const base = d.randn([n], { seed: 4 });
    const next = combineRows(base, rows, [0.5, 0, 0.25], 0.1);
    const ratio = errorRatio(base, next, rows, [0.1, -0.2, 0.3], 0.1, 1e-3, 1e-6);
    expect(Number.isFinite((await ratio.data())[0])).toBe(true);
    expect((await y.data()).length).toBe(64 * 17);
    const big = d.zeros([5_000_000]); // a 20 MB readback: its staging buffer is destroyed, not pooled
    expect((await big.data()).length).toBe(5_000_000);
    expect(held(live)).toBe(accounted(d));

    d.dispose(x, w, y, s, empty, rows, base, next, ratio, big);
    expect(held(live)).toBe(accounted(d));
    expect(d.memory.stats().reservedBytes).toBeGreaterThan(0);
    d.memory.emptyCache();
    expect(d.memory.stats().reservedBytes).toBe(0);
    expect(held(live)).toBe(accounted(d));

    // Destroying the device frees the ring and the pool; what stays is the storage of tensors still held
    // (a handed-in GPUDevice lives on).
    d.destroy();
    expect(d.memory.stats().byLabel.internal.liveBytes).toBe(0);
    expect(held(live)).toBe(accounted(d));
    device.destroy();
  });
});
