/**
 * The profiling tools against known shapes: bounded traces (ring buffer, dropped summary, streamed export),
 * the op/shape/phase of every event, `snapshot()` and `profile()` to the byte.
 */
import { describe, expect, it } from 'vitest';
import { createDevice, InvalidArgumentError, profileTable, type Device } from '@sympode/tensor';
import { webgpuDevice } from '../helpers/devices.js';

const cpu = await createDevice({ backend: 'cpu' });
const gpu = await webgpuDevice();
const devices: [string, Device][] = [['cpu', cpu], ...(gpu ? ([['webgpu', gpu]] as [string, Device][]) : [])];

describe.each(devices)('%s', (_name, dev) => {
  const B = dev.dtype === 'float64' ? 8 : 4;

  it('keeps the newest maxEvents events and says what it dropped', () => {
    const trace = dev.memory.startTrace({ maxEvents: 100 });
    for (let i = 0; i < 300; i++) dev.zeros([i + 1]).dispose();
    dev.memory.stopTrace();
    const events = trace.events;
    expect(events).toHaveLength(100);
    const dropped = trace.dropped;
    expect(dropped.events).toBe(500);
    expect(dropped.allocs).toBe(250);
    expect(dropped.frees).toBe(250);
    // Dropped allocs are zeros([1..250]): Σ i·B.
    expect(dropped.allocBytes).toBe(((250 * 251) / 2) * B);
    expect(events[0]).toMatchObject({ kind: 'alloc', bytes: 251 * B, op: 'full' });
    expect(events.at(-1)).toMatchObject({ kind: 'free', bytes: 300 * B });
    expect(() => dev.memory.startTrace({ maxEvents: 0 })).toThrow(InvalidArgumentError);
  });

  it('names the op, shapes and phase of each allocation, and exports phases as slices in chunks', async () => {
    const a = dev.tensor([[1, 2], [3, 4], [5, 6]]);
    const w = dev.ones([2, 5]);
    const trace = dev.memory.startTrace();
    const y = await dev.memory.phase('forward', async () => {
      await Promise.resolve();
      return dev.memory.phase('layer 1', () => a.matmul(w).tanh());
    });
    dev.memory.stopTrace();
    const allocs = trace.events.filter((e) => e.kind === 'alloc');
    expect(allocs.map((e) => e.op)).toEqual(['matmul', 'tanh']);
    expect(allocs[0]).toMatchObject({ shape: [3, 5], inputShapes: [[3, 2], [2, 5]], phase: 'layer 1', bytes: 15 * B });
    const phases = trace.events.filter((e) => e.kind === 'begin' || e.kind === 'end').map((e) => `${e.kind} ${e.label}`);
    expect(phases).toEqual(['begin forward', 'begin layer 1', 'end layer 1', 'end forward']);
    const chunks = [...trace.chromeTraceChunks('t', 2)];
    expect(chunks.length).toBeGreaterThan(3);
    const json = JSON.parse(chunks.join('')) as { traceEvents: { ph: string; name: string; id?: number; args?: { op?: string } }[] };
    const slices = json.traceEvents.filter((e) => e.ph === 'b' || e.ph === 'e');
    expect(slices).toHaveLength(4);
    expect(new Set(slices.map((e) => e.id)).size).toBe(1); // nested phases share their root's track
    expect(json.traceEvents.filter((e) => e.ph === 'i' && e.args?.op === 'matmul')).toHaveLength(1);
    expect(trace.toCSV().split('\n')[0]).toBe('time_ms,event,id,bytes,label,live_bytes,label_live_bytes,op,shape,phase');
    dev.dispose(a, w, y);
  });

  it('captures allocation stacks only when asked', () => {
    const t1 = dev.memory.startTrace({ stacks: true });
    dev.zeros([2]).dispose();
    dev.memory.stopTrace();
    expect(t1.events[0].stack).toMatch(/memory-profiling\.test/);
    const t2 = dev.memory.startTrace();
    dev.zeros([2]).dispose();
    dev.memory.stopTrace();
    expect(t2.events[0].stack).toBeUndefined();
  });

  it('snapshot lists every live storage with its op, shape and bytes, and the pool', () => {
    dev.memory.emptyCache();
    const base = dev.memory.snapshot();
    const x = dev.randn([4, 3], { seed: 1 });
    const s = dev.memory.scope('weights', () => dev.ones([3, 7]));
    const p = x.matmul(s);
    const v = p.reshape([28]); // a view: no new storage
    dev.zeros([9]).dispose(); // pooled
    const snap = dev.memory.snapshot();
    const mine = snap.storages.filter((st) => !base.storages.some((b) => b.id === st.id));
    expect(mine.map((st) => [st.op, st.shape, st.bytes, st.label])).toEqual([
      ['randn', [4, 3], 12 * B, 'unlabeled'],
      ['full', [3, 7], 21 * B, 'weights'],
      ['matmul', [4, 7], 28 * B, 'unlabeled'],
    ]);
    expect(mine[2].inputShapes).toEqual([[4, 3], [3, 7]]);
    expect(snap.storages.reduce((n, st) => n + st.bytes, 0)).toBe(snap.stats.liveBytes);
    expect(snap.pool.reduce((n, q) => n + q.allocBytes * q.buffers, 0)).toBe(snap.stats.reservedBytes);
    expect(snap.storages.every((st) => st.dtype === dev.dtype)).toBe(true);
    expect(JSON.parse(JSON.stringify(snap)).storages).toHaveLength(snap.storages.length);
    dev.dispose(x, s, p, v);
  });

  it('profile gives new and peak bytes, new tensors and per-op bytes', async () => {
    const x = dev.ones([4, 8]);
    const w = dev.ones([8, 16]);
    const prof = await dev.memory.profile(() =>
      dev.tidy(() => {
        const h = x.matmul(w); // 64 elements
        const a = h.tanh(); // 64
        return a.sum(); // 1
      }),
    );
    expect(prof.newBytes).toBe(1 * B);
    expect(prof.newTensors).toBe(1);
    expect(prof.peakBytes).toBe((64 + 64 + 1) * B);
    const by = Object.fromEntries(prof.ops.map((o) => [o.op, o]));
    expect(by.matmul).toMatchObject({ calls: 1, bytesAdded: 64 * B });
    expect(by.tanh).toMatchObject({ calls: 1, bytesAdded: 64 * B });
    expect(prof.ops.reduce((n, o) => n + o.bytesAdded, 0)).toBeGreaterThanOrEqual((64 + 64 + 1) * B);
    expect(profileTable(prof)).toMatch(/^new bytes \d+, peak bytes \d+/);
    expect(profileTable(prof)).toMatch(/matmul\s+1\s+\d+/);
    dev.dispose(x, w, prof.result);
  });
});

describe('a long run within a fixed trace budget', () => {
  it('200 000 allocations kept to 10 000 events, streamed without one giant string', () => {
    const trace = cpu.memory.startTrace({ maxEvents: 10_000 });
    for (let i = 0; i < 100_000; i++) cpu.zeros([1]).dispose();
    cpu.memory.stopTrace();
    expect(trace.events).toHaveLength(10_000);
    expect(trace.dropped.events).toBe(190_000);
    let bytes = 0;
    let largest = 0;
    for (const chunk of trace.chromeTraceChunks()) {
      bytes += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    expect(largest).toBeLessThan(bytes / 4);
  });
});

describe('relabel in a trace', () => {
  it('is a free under the old label and an alloc under the new one, the total unchanged', () => {
    const x = cpu.memory.scope('stages', () => cpu.zeros([4]));
    const trace = cpu.memory.startTrace();
    cpu.memory.relabel(x, 'checkpoints');
    cpu.memory.stopTrace();
    expect(trace.events.map((e) => [e.kind, e.label, e.op, e.bytes, e.labelLiveBytes])).toEqual([
      ['free', 'stages', 'relabel', 32, cpu.memory.stats().byLabel.stages.liveBytes],
      ['alloc', 'checkpoints', 'relabel', 32, cpu.memory.stats().byLabel.checkpoints.liveBytes],
    ]);
    expect(trace.events[0].liveBytes).toBe(trace.events[1].liveBytes);
    x.dispose();
  });
});

describe.runIf(gpu !== null)('GPU time per kernel', () => {
  it('profile() on webgpu with timestamp-query reports each kernel, and the counts stay exact', async () => {
    const dev = gpu!;
    const x = dev.ones([64, 32]);
    const w = dev.ones([32, 16]);
    const before = dev.memory.stats();
    const prof = await dev.memory.profile(() => dev.tidy(() => x.matmul(w).tanh().sum()));
    const kernels = prof.kernels ?? [];
    // lavapipe has timestamp-query; an adapter without it gives no `kernels` (host times only).
    if (!dev.backend.startKernelTiming || kernels.length === 0) {
      expect(prof.kernels).toBeUndefined();
    } else {
      expect(kernels.map((k) => k.kernel)).toEqual(expect.arrayContaining([expect.stringMatching(/^matmul:/)]));
      expect(kernels.reduce((n, k) => n + k.dispatches, 0)).toBeGreaterThanOrEqual(3);
      expect(kernels.every((k) => k.gpuMs >= 0 && Number.isFinite(k.gpuMs))).toBe(true);
      expect(profileTable(prof)).toMatch(/GPU ms/);
    }
    // The timer's buffers went back: only the result is new.
    const after = dev.memory.stats();
    expect(after.liveBytes - before.liveBytes).toBe(4);
    expect(after.liveTensors - before.liveTensors).toBe(1);
    dev.dispose(x, w, prof.result);
  });
});
