/**
 * The graph-free row ops of the tensor package's public API (combineRows, writeRow, writeRows, errorRatio), the RK
 * solver's building blocks, against a float64 host reference on both backends; they refuse to cut a graph.
 */
import { describe, it, expect } from 'vitest';
import { combineRows, createDevice, errorRatio, InvalidArgumentError, ShapeError, writeRow, writeRows, type Device } from '@sympode/tensor';
import { randomData } from '../helpers/reference.js';
import { webgpuDevice } from '../helpers/devices.js';

const f32 = (a: Float64Array) => Float64Array.from(new Float32Array(a));
const backends: [string, () => Promise<Device>, number][] = [
  ['cpu float64', () => createDevice({ backend: 'cpu' }), 1e-15],
  ['webgpu float32', async () => (await webgpuDevice())!, 2e-6],
];

describe.each(backends)('row ops (%s)', (_name, make, tol) => {
  const shape = [7, 3];
  const n = 21;
  const s = 5;

  it('combineRows = base + scale·Σ coeffs·rows; writeRow writes one row', async () => {
    const dev = await make();
    const base = f32(randomData(n, 1)), rowsV = f32(randomData(s * n, 2));
    const coeffs = [0.5, 0, -1.25, 2, 0.125];
    const b = dev.tensor(base, shape), R = dev.tensor(rowsV, [s, ...shape]);
    const out = combineRows(b, R, coeffs, 0.3);
    const got = await out.data();
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < s; j++) acc += coeffs[j] * rowsV[j * n + i];
      expect(Math.abs(got[i] - (base[i] + 0.3 * acc))).toBeLessThan(tol * 10);
    }
    writeRow(R, 3, b);
    const after = await R.data();
    for (let i = 0; i < n; i++) expect(after[3 * n + i]).toBe(base[i]);
    expect(after[2 * n]).toBe(rowsV[2 * n]);
    dev.dispose(b, R, out);
  });

  it('writeRows writes a block of rows and leaves the others', async () => {
    const dev = await make();
    const rowsV = f32(randomData(s * n, 6)), vals = f32(randomData(2 * n, 7));
    const R = dev.tensor(rowsV, [s, ...shape]), V = dev.tensor(vals, [2, ...shape]);
    writeRows(R, 2, V);
    const after = await R.data();
    for (let i = 0; i < s * n; i++) expect(after[i]).toBe(i >= 2 * n && i < 4 * n ? vals[i - 2 * n] : rowsV[i]);
    dev.dispose(R, V);
  });

  it('errorRatio is the RMS of the scaled error estimate', async () => {
    const dev = await make();
    const a = f32(randomData(n, 3)), b = f32(randomData(n, 4)), rowsV = f32(randomData(s * n, 5));
    const e = [0.1, -0.2, 0, 0.05, 0.3];
    const [h, rtol, atol] = [0.2, 1e-3, 1e-4];
    const r = errorRatio(dev.tensor(a, shape), dev.tensor(b, shape), dev.tensor(rowsV, [s, ...shape]), e, h, rtol, atol);
    let sq = 0;
    for (let i = 0; i < n; i++) {
      let err = 0;
      for (let j = 0; j < s; j++) err += e[j] * rowsV[j * n + i];
      const q = (h * err) / (atol + rtol * Math.max(Math.abs(a[i]), Math.abs(b[i])));
      sq += q * q;
    }
    const want = Math.sqrt(sq / n);
    expect(Math.abs((await r.item()) - want) / want).toBeLessThan(tol * 10);
    dev.dispose(r);
  });

  // Past 16 rows webgpu chains a dispatch per 16 nonzero coefficients (the kernel's table); cpu loops.
  it.each([17, 33, 100])('combineRows and errorRatio take %i rows', async (r) => {
    const dev = await make();
    const base = f32(randomData(n, 11)), a = f32(randomData(n, 12)), rowsV = f32(randomData(r * n, 13));
    // Some zeros (never read), the rest in [-1, 1]; fewer coefficients than rows (the rest count as zeros).
    const coeffs = Array.from({ length: r - 1 }, (_, j) => (j % 7 === 3 ? 0 : Math.fround(Math.sin(j + 1))));
    const [h, rtol, atol] = [0.05, 1e-3, 1e-4];
    const R = dev.tensor(rowsV, [r, ...shape]), B = dev.tensor(base, shape), A = dev.tensor(a, shape);
    const out = combineRows(B, R, coeffs, h);
    const ratio = errorRatio(B, A, R, coeffs, h, rtol, atol);
    const got = await out.data();
    let sq = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0, mag = 0;
      for (let j = 0; j < coeffs.length; j++) {
        acc += coeffs[j] * rowsV[j * n + i];
        mag += Math.abs(coeffs[j] * rowsV[j * n + i]);
      }
      // float32 rounds each of the r products and partial sums: bound by the terms' magnitude.
      expect(Math.abs(got[i] - (base[i] + h * acc))).toBeLessThan(tol * 10 * (Math.abs(base[i]) + h * mag));
      const q = (h * acc) / (atol + rtol * Math.max(Math.abs(base[i]), Math.abs(a[i])));
      sq += q * q;
    }
    const want = Math.sqrt(sq / n);
    expect(Math.abs((await ratio.item()) - want) / want).toBeLessThan(tol * 10 * r);
    dev.dispose(R, B, A, out, ratio);
  });

  it('refuses tensors that record a graph, wrong shapes and more coefficients than rows', async () => {
    const dev = await make();
    const before = dev.memory.stats().liveTensors;
    dev.tidy(() => {
      const x = dev.ones(shape, { requiresGrad: true });
      const R = dev.zeros([s, ...shape]);
      expect(() => combineRows(x, R, [1])).toThrow(InvalidArgumentError);
      expect(() => dev.noGrad(() => combineRows(x, R, [1])).dispose()).not.toThrow();
      expect(() => combineRows(dev.ones([3, 7]), R, [1])).toThrow(ShapeError);
      expect(() => combineRows(R.narrow(0, 0, 1).reshape(shape), R, [1, 1, 1, 1, 1, 1])).toThrow(ShapeError);
      expect(() => writeRow(R, 5, dev.ones(shape))).toThrow(ShapeError);
      expect(() => writeRows(R, 4, dev.ones([2, ...shape]))).toThrow(ShapeError);
      expect(() => writeRows(R, 0, dev.ones([2, 3, 7]))).toThrow(ShapeError);
      expect(() => writeRows(R, 0, dev.ones([1, ...shape], { requiresGrad: true }))).toThrow(InvalidArgumentError);
    });
    expect(dev.memory.stats().liveTensors).toBe(before);
  });
});
