/**
 * Per-sample error norms (`norm: 'per-sample'`): the tensor op against a float64 host reference on both
 * backends, and a batch whose samples differ in scale and speed: with one RMS over the batch the fast, small
 * sample is averaged away, its local error exceeds the tolerance in some steps and its error grows; per
 * sample, every step is within tolerance for it and it is as accurate as when solved alone, at the cost of
 * the steps it needs.
 */
import { describe, it, expect } from 'vitest';
import { concat, createDevice, errorRatio, errorRatioPerSample, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type OdeintStats } from '@sympode/symplectic';
import { randomData } from '../helpers/reference.js';
import { webgpuDevice } from '../helpers/devices.js';

const backends: [string, () => Promise<Device | null>, number][] = [
  ['cpu float64', () => createDevice({ backend: 'cpu' }), 1e-14],
  ['webgpu float32', webgpuDevice, 1e-5],
];

describe.each(backends)('errorRatioPerSample (%s)', (_name, make, tol) => {
  it('is the largest per-sample RMS of the scaled error estimate; one sample gives errorRatio', async () => {
    const dev = await make();
    if (!dev) return;
    const shape = [4, 2, 3];
    const n = 24, s = 3, per = 6;
    const a = randomData(n, 1), b = randomData(n, 2), rows = randomData(s * n, 3);
    // Sample 2 ten times larger: it must decide.
    for (let i = 2 * per; i < 3 * per; i++) rows[i] *= 10;
    const e = [0.2, -0.5, 0.3], h = 0.1, rtol = 1e-3, atol = 1e-4;
    const A = dev.tensor(a, shape), Bt = dev.tensor(b, shape), R = dev.tensor(rows, [s, ...shape]);
    const r = errorRatioPerSample(A, Bt, R, e, h, rtol, atol);
    expect(r.shape).toEqual([1]);
    const ref = Math.max(...[0, 1, 2, 3].map((k) => {
      let acc = 0;
      for (let i = k * per; i < (k + 1) * per; i++) {
        let err = 0;
        for (let j = 0; j < s; j++) err += e[j] * rows[j * n + i];
        const q = (h * err) / (atol + rtol * Math.max(Math.abs(a[i]), Math.abs(b[i])));
        acc += q * q;
      }
      return Math.sqrt(acc / per);
    }));
    expect(Math.abs((await r.item()) - ref) / ref).toBeLessThan(tol);
    // A rank-1 state is one sample: the batch norm.
    const a1 = dev.tensor(a, [n]), b1 = dev.tensor(b, [n]), R1 = dev.tensor(rows, [s, n]);
    const one = errorRatioPerSample(a1, b1, R1, e, h, rtol, atol), all = errorRatio(a1, b1, R1, e, h, rtol, atol);
    expect(Math.abs((await one.item()) - (await all.item())) / (await all.item())).toBeLessThan(tol);
    dev.dispose(A, Bt, R, r, a1, b1, R1, one, all);
  });
});

describe("odeint's norm option", () => {
  const B = 16, FAST = 10, SMALL = 1e-3, T = 5;
  /** B harmonic oscillators: 15 slow ones of amplitude 1, the last 10× faster and 1000× smaller. */
  async function solve(dev: Device, norm: 'batch' | 'per-sample' | undefined, alone = false) {
    const omega = alone ? [FAST] : Array.from({ length: B }, (_, b) => (b === B - 1 ? FAST : 1));
    const amp = alone ? [SMALL] : Array.from({ length: B }, (_, b) => (b === B - 1 ? SMALL : 1));
    const w = dev.tensor(omega, [omega.length, 1]);
    const f = (_t: number, y: Tensor) => dev.tidy(() => concat([y.narrow(1, 1, 1).mul(w), y.narrow(1, 0, 1).mul(w).neg()], 1));
    const y0 = dev.tensor(amp.flatMap((a) => [a, 0]), [omega.length, 2]);
    const stats: Partial<OdeintStats> = {};
    const rtol = 1e-6, atol = 1e-9;
    const ys = await dev.noGrad(() => odeint(f, y0, [0, T], { rtol, atol, norm, stats }));
    const v = Array.from(await ys.data()).slice(2 * omega.length);
    // Error of each sample at T in units of its own tolerance.
    const errs = omega.map((o, b) => {
      const exact = [amp[b] * Math.cos(o * T), -amp[b] * Math.sin(o * T)];
      return Math.max(...exact.map((x, i) => Math.abs(v[2 * b + i] - x) / (atol + rtol * Math.abs(x))));
    });
    dev.dispose(w, y0, ys);
    return { errs, steps: stats.acceptedSteps! };
  }

  it('per-sample: the worst sample is as accurate as solved alone (batch: several times worse), with its steps', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const batch = await solve(dev, undefined);
    const perSample = await solve(dev, 'per-sample');
    const alone = await solve(dev, 'batch', true);
    const worst = (r: { errs: number[] }) => Math.max(...r.errs);
    expect(worst(perSample)).toBeLessThanOrEqual(alone.errs[0] * 1.01);
    expect(worst(batch)).toBeGreaterThan(3 * worst(perSample));
    expect(perSample.steps).toBeGreaterThan(batch.steps);
    expect(perSample.steps).toBeLessThanOrEqual(alone.steps + 2);
    // The slow samples are no worse for it.
    for (let b = 0; b < B - 1; b++) expect(perSample.errs[b]).toBeLessThanOrEqual(batch.errs[b] * 1.01);
  });

  it('per-sample: every accepted step is within tolerance for every sample (batch: not for the fast one)', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const rtol = 1e-6, atol = 1e-9;
    const omega = Array.from({ length: B }, (_, b) => (b === B - 1 ? FAST : 1));
    const amp = Array.from({ length: B }, (_, b) => (b === B - 1 ? SMALL : 1));
    const field = (w: Tensor) => (_t: number, y: Tensor) => dev.tidy(() => concat([y.narrow(1, 1, 1).mul(w), y.narrow(1, 0, 1).mul(w).neg()], 1));
    const w = dev.tensor(omega, [B, 1]), wFast = dev.tensor([FAST], [1, 1]);
    const y0 = dev.tensor(amp.flatMap((a) => [a, 0]), [B, 2]);
    /** The fast sample's own error ratio in each accepted step of a solve with this norm. */
    const fastRatios = async (norm: 'batch' | 'per-sample') => {
      const stats: Partial<OdeintStats> = {};
      await dev.noGrad(async () => (await odeint(field(w), y0, [0, T], { rtol, atol, norm, stats })).dispose());
      const ends = stats.stepEndTimes!;
      // The same steps again, with every step's start state as an output.
      let k = 0;
      const span = (i: number) => (ends[i] - (i === 0 ? 0 : ends[i - 1])) * (1 + 1e-12);
      const replay = { initialStep: async () => span(0), adapt: () => ({ accept: true, next: span(++k) }) };
      const ys = await dev.noGrad(() => odeint(field(w), y0, [0, ...ends], { rtol, atol, controller: replay }));
      const states = await ys.data();
      const ratios: number[] = [];
      for (let n = 0; n < ends.length; n++) {
        const t = n === 0 ? 0 : ends[n - 1];
        const i = (n * B + B - 1) * 2;
        const yFast = dev.tensor([states[i], states[i + 1]], [1, 2]);
        // One step of the fast sample alone, of the size the batch took: its error ratio is the first decision.
        let first: number | null = null;
        const record = { initialStep: async () => 0, adapt: (h: number, r: number) => ((first ??= r), { accept: true, next: h }) };
        const out = await dev.noGrad(() => odeint(field(wFast), yFast, [t, ends[n]], { rtol, atol, firstStep: ends[n] - t, controller: record }));
        ratios.push(first!);
        dev.dispose(yFast, out);
      }
      ys.dispose();
      return ratios;
    };
    const perSample = await fastRatios('per-sample');
    const batch = await fastRatios('batch');
    expect(Math.max(...perSample)).toBeLessThanOrEqual(1);
    expect(Math.max(...batch)).toBeGreaterThan(2);
    dev.dispose(w, wFast, y0);
  });

  it('rejects other values', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const y0 = dev.tensor([1, 2], [1, 2]);
    await expect(odeint((_t, y) => y.neg(), y0, [0, 1], { norm: 'max' as 'batch' })).rejects.toThrow(InvalidArgumentError);
    y0.dispose();
  });
});
