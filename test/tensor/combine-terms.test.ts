/**
 * combineTerms (base + scale·Σ_j coeffs[j]·terms[j] over separate tensors): the same floats as combineRows
 * (bit for bit on cpu float64; on webgpu within 1 float32 ulp up to 6 nonzero terms, its one-dispatch form, in
 * fact bit for bit on lavapipe, and a few ulp past 6, chained), one dispatch, zero coefficients never read, one
 * graph node that keeps no tensor, a term's gradient contributions folded into its sum one dispatch each, and
 * gradients (first and second order) against central differences.
 */
import { describe, it, expect } from 'vitest';
import { combineRows, combineTerms, createDevice, enableGrad, grad, type Device, type Tensor } from '@sympode/tensor';
import { randomData } from '../helpers/reference.js';
import { webgpuDevice } from '../helpers/devices.js';
import { gradcheck } from '../helpers/gradcheck.js';

const f32 = (a: Float64Array) => Float64Array.from(new Float32Array(a));
const backends: [string, () => Promise<Device | null>][] = [
  ['cpu float64', () => createDevice({ backend: 'cpu' })],
  ['webgpu float32', () => webgpuDevice()],
];
const shape = [9, 3];
const n = 27;

/** Coefficient rows: dopri5's a[5] and b (6 nonzero), sparse ones, and 7 and 13 terms (chained on webgpu). */
const rows: number[][] = [
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  [0, 0.5],
  [0, 0, 0],
  [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7],
  Array.from({ length: 13 }, (_, j) => (j % 4 === 3 ? 0 : 1 / (j + 2) - 0.3)),
];

function setup(dev: Device, s: number, seed: number) {
  const y = dev.tensor(f32(randomData(n, seed)), shape);
  const K = dev.tensor(f32(randomData(s * n, seed + 1)), [s, ...shape]);
  const ks = Array.from({ length: s }, (_, j) => K.narrow(0, j, 1).reshape(shape).clone());
  return { y, K, ks };
}

describe.each(backends)('combineTerms (%s)', (name, make) => {
  it('gives combineRows’ floats (bit for bit on cpu) in one dispatch (a chain of them past 6 terms on webgpu)', async ({ skip }) => {
    const dev = await make();
    if (!dev) return skip();
    for (const [r, coeffs] of rows.entries()) {
      const { y, K, ks } = setup(dev, coeffs.length, 10 * r);
      const h = 0.0371;
      const want = await combineRows(y, K, coeffs, h).data();
      const d0 = dev.backend.counters.dispatches;
      const out = combineTerms(y, ks, coeffs, h);
      const nnz = coeffs.filter((c) => c !== 0).length;
      // One pass: one loop on cpu, one dispatch for up to 6 terms on webgpu, one more per further 6.
      expect(dev.backend.counters.dispatches - d0).toBe(dev.kind === 'cpu' ? 1 : Math.max(1, Math.ceil(nnz / 6)));
      const got = await out.data();
      if (dev.kind === 'cpu') {
        expect(Array.from(got), `${name}, row ${r}`).toEqual(Array.from(want));
      } else {
        // Same order of operations in float32 (bit for bit on lavapipe up to 6 terms); past 6, chained, each
        // partial result is rounded once more. Bound: ulps of the largest value summed.
        const yv = await y.data();
        const ulps = nnz <= 6 ? 1 : 4;
        for (let i = 0; i < n; i++) {
          const mag = Math.abs(yv[i]) + h * coeffs.reduce((a, c) => a + Math.abs(c), 0);
          expect(Math.abs(got[i] - want[i]), `${name}, row ${r}, element ${i}`).toBeLessThanOrEqual(ulps * 2 ** -23 * mag);
        }
      }
      dev.dispose(y, K, ks, out);
    }
  });

  it('never reads a term whose coefficient is 0 (NaN there stays out)', async ({ skip }) => {
    const dev = await make();
    if (!dev) return skip();
    const y = dev.ones(shape), a = dev.full(shape, 2), bad = dev.full(shape, NaN, { allowNonFinite: true });
    const out = combineTerms(y, [bad, a, bad], [0, 0.25, 0], 2);
    expect(Array.from(await out.data())).toEqual(new Array(n).fill(2));
    dev.dispose(y, a, bad, out);
  });

  it('records one node that keeps no tensor alive: its inputs’ memory goes when they are disposed', async ({ skip }) => {
    const dev = await make();
    if (!dev) return skip();
    const live = () => dev.memory.stats().liveBytes;
    const before = live();
    const y = dev.tensor(randomData(n, 3), shape, { requiresGrad: true });
    const ks = [4, 5, 6].map((s) => dev.tensor(randomData(n, s), shape, { requiresGrad: true }));
    const xs = ks.map((k) => k.mul(1)); // non-leaves, which a saving backward would keep alive
    const out = combineTerms(y, xs, [1, 0, 2], 0.5);
    const bytes = n * dev.backend.elementBytes;
    dev.dispose(xs);
    // y and ks are leaves (the caller's); the op's output is the only other storage alive.
    expect(live() - before).toBe(5 * bytes);
    const loss = out.sum();
    const [gy, g0, g1, g2] = await grad(loss, [y, ...ks], { allowUnused: true });
    expect(Array.from(await gy.data())).toEqual(new Array(n).fill(1));
    expect(Array.from(await g0.data())).toEqual(new Array(n).fill(0.5));
    expect(Array.from(await g1.data())).toEqual(new Array(n).fill(0)); // coefficient 0: not in the graph
    expect(Array.from(await g2.data())).toEqual(new Array(n).fill(1));
    dev.dispose(out, loss, gy, g0, g1, g2, y, ks);
    expect(live()).toBe(before);
  });

  it('folds a term’s later gradient contributions into its sum: one dispatch each, the same floats', async ({ skip }) => {
    const dev = await make();
    if (!dev) return skip();
    const y = dev.ones([n]), k = dev.tensor(randomData(n, 13), [n], { requiresGrad: true });
    const v = dev.tensor(f32(randomData(n, 14)), [n]);
    const [h, cs] = [0.1, [0.5, -2, 3]];
    const z = combineTerms(y, [k, k, k], cs, h);
    const d0 = dev.backend.counters.dispatches;
    const [gk] = await grad(z, [k], { gradOutput: v });
    // (h·c_0)·v, then sum + (h·c_j)·v in one combineTerms each: 3 dispatches where a mul and an add each took 5.
    expect(dev.backend.counters.dispatches - d0).toBe(3);
    const vv = await v.data(), got = await gk.data();
    const round = dev.kind === 'cpu' ? (x: number) => x : Math.fround;
    for (let i = 0; i < n; i++) {
      let sum = round(vv[i] * round(h * cs[0]));
      for (const c of cs.slice(1)) sum = round(sum + round(vv[i] * round(h * c)));
      // Bit for bit on cpu (and on lavapipe); a GPU may fuse the multiply-add: 1 ulp of the terms.
      const ulp = dev.kind === 'cpu' ? 0 : 2 ** -23 * Math.abs(vv[i]) * h * 5.5;
      expect(Math.abs(got[i] - sum)).toBeLessThanOrEqual(ulp);
    }
    dev.dispose(y, k, v, z, gk);
  });
});

describe('combineTerms gradients (cpu float64, central differences)', () => {
  it('first derivatives, a term used twice and as the base', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const w = dev.tensor(randomData(6, 7), [2, 3]);
    const fn = (y: Tensor, k0: Tensor, k1: Tensor) => combineTerms(y, [k0, k1, k0, y], [0.5, -1.5, 2, 0.25], 0.3).tanh().mul(w).sum();
    const inputs = [8, 9, 10].map((s) => ({ shape: [2, 3], data: randomData(6, s) }));
    const r = await gradcheck(dev, fn, inputs);
    expect(r.maxRelErr).toBeLessThan(1e-8);
    w.dispose();
  });

  it('second derivatives (a gradient penalty through it)', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    // penalty(y, k) = Σ (∂/∂k Σ tanh(combineTerms(y, [k], [c], h)))² is differentiable again in y and k.
    const [c, h] = [1.5, 0.4];
    const penalty = async (y: Tensor, k: Tensor) => {
      const [gk] = await grad(enableGrad(() => combineTerms(y, [k], [c], h).tanh().sum()), [k], { createGraph: true });
      return enableGrad(() => gk.square().sum());
    };
    const yv = randomData(4, 11), kv = randomData(4, 12);
    const y = dev.tensor(yv, [4], { requiresGrad: true }), k = dev.tensor(kv, [4], { requiresGrad: true });
    const p = await penalty(y, k);
    const [gy, gk] = await grad(p, [y, k]);
    // Closed form: z = y + h·c·k, gk = h·c·(1 − tanh²z), p = Σ (h c)²(1 − t²)², dp/dz = (h c)²·2(1 − t²)·(−2t(1 − t²)).
    const hc = h * c;
    const dz = yv.map((v, i) => v + hc * kv[i]).map((z) => {
      const t = Math.tanh(z);
      return hc * hc * 2 * (1 - t * t) * (-2 * t * (1 - t * t));
    });
    const gyv = await gy.data(), gkv = await gk.data();
    for (let i = 0; i < 4; i++) {
      expect(gyv[i]).toBeCloseTo(dz[i], 12);
      expect(gkv[i]).toBeCloseTo(hc * dz[i], 12);
    }
    dev.dispose(y, k, p, gy, gk);
  });
});
