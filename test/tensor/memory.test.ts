/** The allocator's promise: exact bytes, labels, traces, deterministic release, no growth. */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, DisposedTensorError, grad, nn, optim, type Device } from '@sympode/tensor';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

describe('allocator', () => {
  it('counts exact bytes for known shapes (float64 and float32)', async () => {
    const base = dev.memory.stats();
    const a = dev.zeros([7, 33]);
    expect(dev.memory.stats().liveBytes - base.liveBytes).toBe(7 * 33 * 8);
    const b = dev.ones([1]);
    expect(dev.memory.stats().liveBytes - base.liveBytes).toBe(7 * 33 * 8 + 8);
    expect(dev.memory.stats().liveTensors - base.liveTensors).toBe(2);
    dev.dispose(a, b);
    expect(dev.memory.stats().liveBytes).toBe(base.liveBytes);
    const f32 = await createDevice({ backend: 'cpu', dtype: 'float32' });
    const c = f32.zeros([5, 3]);
    expect(f32.memory.stats().liveBytes).toBe(60);
    expect(f32.memory.stats().paddingBytes).toBe(0);
    c.dispose();
  });

  it('tracks the peak and resets it', () => {
    dev.memory.resetPeak();
    const live = dev.memory.stats().liveBytes;
    const t = dev.zeros([1000]);
    t.dispose();
    expect(dev.memory.stats().peakBytes).toBe(live + 8000);
    dev.memory.resetPeak();
    expect(dev.memory.stats().peakBytes).toBe(live);
  });

  it('pools freed buffers: reserved bytes are exact and emptyCache releases them', () => {
    dev.memory.emptyCache();
    const t = dev.zeros([123]);
    const before = dev.memory.stats();
    t.dispose();
    const after = dev.memory.stats();
    expect(after.reservedBytes).toBe(before.reservedBytes + 123 * 8);
    const u = dev.zeros([123]);
    expect(dev.memory.stats().reservedBytes).toBe(before.reservedBytes);
    expect(dev.memory.stats().allocations).toBe(before.allocations + 1);
    u.dispose();
    dev.memory.emptyCache();
    expect(dev.memory.stats().reservedBytes).toBe(0);
  });

  it('labels allocations by scope (innermost wins) and breaks stats down by label', () => {
    const [a, b] = dev.memory.scope('checkpoints', () => [dev.zeros([10]), dev.memory.scope('stages', () => dev.zeros([4]))]);
    const s = dev.memory.stats().byLabel;
    expect(s.checkpoints.liveBytes).toBe(80);
    expect(s.stages.liveBytes).toBe(32);
    dev.dispose(a, b);
    const s2 = dev.memory.stats().byLabel;
    expect(s2.checkpoints.liveBytes).toBe(0);
    expect(s2.checkpoints.peakBytes).toBe(80);
  });

  it('records a trace exportable as Chrome trace JSON and CSV', () => {
    dev.memory.startTrace();
    const t = dev.memory.scope('x', () => dev.zeros([3]));
    t.dispose();
    const trace = dev.memory.stopTrace()!;
    expect(trace.events.map((e) => e.kind)).toEqual(['alloc', 'free']);
    expect(trace.events[0]).toMatchObject({ bytes: 24, label: 'x', labelLiveBytes: 24 });
    const json = JSON.parse(trace.toChromeTrace());
    expect(json.traceEvents.some((e: { ph: string }) => e.ph === 'C')).toBe(true);
    const csv = trace.toCSV().trim().split('\n');
    expect(csv[0]).toBe('time_ms,event,id,bytes,label,live_bytes,label_live_bytes,op,shape,phase');
    expect(csv).toHaveLength(3);
  });

  it('throws a clear error on use after dispose (also after tidy)', async () => {
    const t = dev.zeros([2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(DisposedTensorError);
    await expect(t.data()).rejects.toThrow(/used after it was disposed/);
    let inner!: ReturnType<Device['zeros']>;
    const kept = dev.tidy(() => {
      inner = dev.zeros([2]);
      return inner.add(1);
    });
    expect(() => inner.mul(2)).toThrow(DisposedTensorError);
    expect(Array.from(await kept.data())).toEqual([1, 1]);
    kept.dispose();
  });

  it('keeps saved tensors alive for backward even when the caller disposed them, then frees them', async () => {
    const base = dev.memory.stats().liveBytes;
    const x = dev.tensor([1, 2, 3], [3], { requiresGrad: true });
    const y = dev.tidy(() => x.exp().mul(x).sum()); // intermediates disposed by tidy, saved by the graph
    const [g] = await grad(y, [x]);
    expect(Array.from(await g.data()).map((v) => +v.toFixed(10))).toEqual([1, 2, 3].map((v) => +(Math.exp(v) * (1 + v)).toFixed(10)));
    dev.dispose(x, y, g);
    expect(dev.memory.stats().liveBytes).toBe(base);
  });

  it('an MLP training step under tidy leaves exactly the held bytes (100 steps, no growth)', async () => {
    const mlp = new nn.MLP(dev, [3, 16, 16, 1], 'tanh', { seed: 1 });
    const opt = new optim.Adam(mlp.parameters(), { lr: 1e-2 });
    const x = dev.randn([32, 3], { seed: 2 });
    const y = dev.tidy(() => x.sum(1, true).sin());
    const step = () =>
      dev.tidy(async () => {
        const loss = mlp.forward(x).sub(y).square().mean();
        await loss.backward();
        opt.step();
        opt.zeroGrad();
      });
    await step(); // creates Adam's state
    const held = dev.memory.stats();
    for (let i = 0; i < 100; i++) await step();
    const after = dev.memory.stats();
    expect(after.liveBytes).toBe(held.liveBytes);
    expect(after.liveTensors).toBe(held.liveTensors);
    const paramBytes = mlp.parameterCount * 8;
    expect(after.byLabel.parameters.liveBytes).toBe(paramBytes);
    expect(after.byLabel.optimizer.liveBytes).toBe(2 * paramBytes);
    opt.dispose();
    mlp.dispose();
    dev.dispose(x, y);
  });
});
