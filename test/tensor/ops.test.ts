/**
 * Every op on the float64 cpu backend against the independent reference (test/helpers/reference.ts), on
 * odd sizes and broadcasting cases; every op's gradient against float64 central differences.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { concat, createDevice, stack, where, type Device, type Tensor } from '@sympode/tensor';
import * as R from '../helpers/reference.js';
import { gradcheck } from '../helpers/gradcheck.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const rnd = (shape: number[], seed: number, lo = -1, hi = 1) => R.ref(shape, R.randomData(R.size(shape), seed, lo, hi));
const T = (r: R.Ref) => dev.tensor(r.data, r.shape);

async function expectClose(t: Tensor, r: R.Ref, tol = 1e-13) {
  expect(t.shape).toEqual(r.shape);
  expect(R.relErr(await t.data(), r.data)).toBeLessThanOrEqual(tol);
}

const unaryCases: [string, (t: Tensor) => Tensor, (v: number) => number, number, number][] = [
  ['neg', (t) => t.neg(), (v) => -v, -2, 2],
  ['exp', (t) => t.exp(), Math.exp, -2, 2],
  ['log', (t) => t.log(), Math.log, 0.1, 3],
  ['tanh', (t) => t.tanh(), Math.tanh, -3, 3],
  ['sigmoid', (t) => t.sigmoid(), (v) => 1 / (1 + Math.exp(-v)), -5, 5],
  ['softplus', (t) => t.softplus(), (v) => Math.log(1 + Math.exp(v)), -5, 5],
  ['relu', (t) => t.relu(), (v) => Math.max(v, 0), -2, 2],
  ['sin', (t) => t.sin(), Math.sin, -3, 3],
  ['cos', (t) => t.cos(), Math.cos, -3, 3],
  ['square', (t) => t.square(), (v) => v * v, -2, 2],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, 0.1, 4],
  ['abs', (t) => t.abs(), Math.abs, -2, 2],
  ['pow(3)', (t) => t.pow(3), (v) => v ** 3, -2, 2],
  ['pow(-1.5)', (t) => t.pow(-1.5), (v) => v ** -1.5, 0.5, 2],
  ['add(2.5)', (t) => t.add(2.5), (v) => v + 2.5, -2, 2],
  ['sub(0.5)', (t) => t.sub(0.5), (v) => v - 0.5, -2, 2],
  ['mul(-3)', (t) => t.mul(-3), (v) => v * -3, -2, 2],
  ['div(4)', (t) => t.div(4), (v) => v / 4, -2, 2],
  ['maximum(0.2)', (t) => t.maximum(0.2), (v) => Math.max(v, 0.2), -2, 2],
  ['minimum(0.2)', (t) => t.minimum(0.2), (v) => Math.min(v, 0.2), -2, 2],
];

describe('unary ops (cpu float64 vs reference)', () => {
  for (const [name, op, f, lo, hi] of unaryCases) {
    it(`${name}: forward on sizes 1, 7, 33x65, and gradient`, async () => {
      for (const [k, shape] of [[1], [7], [33, 65]].entries()) {
        const x = rnd(shape, 10 + k, lo, hi);
        await expectClose(op(T(x)), R.map(x, f), 1e-14);
      }
      const { maxRelErr } = await gradcheck(dev, (t) => op(t).mul(dev.tensor([1, -2, 3, 0.5, 1.5, -1, 2], [7])).sum(), [rnd([7], 3, lo, hi)]);
      expect(maxRelErr).toBeLessThan(1e-7);
    });
  }
});

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number][] = [
  ['add', (a, b) => a.add(b), (a, b) => a + b],
  ['sub', (a, b) => a.sub(b), (a, b) => a - b],
  ['mul', (a, b) => a.mul(b), (a, b) => a * b],
  ['div', (a, b) => a.div(b), (a, b) => a / b],
  ['maximum', (a, b) => a.maximum(b), (a, b) => Math.max(a, b)],
  ['minimum', (a, b) => a.minimum(b), (a, b) => Math.min(a, b)],
];
const broadcastPairs: [number[], number[]][] = [
  [[7], [7]],
  [[33, 65], [65]],
  [[5, 1, 7], [3, 1]],
  [[1], [4, 9]],
  [[257], []],
];

describe('binary ops with broadcasting', () => {
  for (const [name, op, f] of binaryCases) {
    it(`${name}: forward over broadcast pairs and gradient for both inputs`, async () => {
      for (const [k, [sa, sb]] of broadcastPairs.entries()) {
        const a = rnd(sa, 20 + k), b = rnd(sb, 40 + k, 0.5, 2);
        await expectClose(op(T(a), T(b)), R.zip(a, b, f), 1e-14);
      }
      const { maxRelErr } = await gradcheck(dev, (a, b) => op(a, b).square().sum(), [rnd([3, 1, 4], 5), rnd([2, 1], 6, 0.5, 2)]);
      expect(maxRelErr).toBeLessThan(1e-7);
    });
  }

  it('comparisons give 0/1 masks and where selects with broadcasting', async () => {
    const a = rnd([6, 5], 1), b = rnd([5], 2);
    const cmp: [string, (x: Tensor, y: Tensor) => Tensor, (x: number, y: number) => boolean][] = [
      ['lt', (x, y) => x.lt(y), (x, y) => x < y], ['le', (x, y) => x.le(y), (x, y) => x <= y],
      ['gt', (x, y) => x.gt(y), (x, y) => x > y], ['ge', (x, y) => x.ge(y), (x, y) => x >= y],
      ['eq', (x, y) => x.eq(y), (x, y) => x === y], ['ne', (x, y) => x.ne(y), (x, y) => x !== y],
    ];
    for (const [, op, f] of cmp) await expectClose(op(T(a), T(b)), R.zip(a, b, (x, y) => (f(x, y) ? 1 : 0)), 0);
    const c = T(a).gt(0);
    await expectClose(where(c, T(a), T(b)), R.zip(a, b, (x, y) => (x > 0 ? x : y)), 0);
    const { maxRelErr } = await gradcheck(dev, (x, y) => where(x.gt(0), x.mul(y), y.square()).sum(), [rnd([4, 3], 8), rnd([3], 9)]);
    expect(maxRelErr).toBeLessThan(1e-7);
  });
});

describe('reductions', () => {
  const x = rnd([7, 33, 5], 77);
  const sum = (a: number, v: number) => a + v;
  const mx = (a: number, v: number) => Math.max(a, v);
  it('sum/mean/max over one axis, several axes and all, with keepdims', async () => {
    for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
      for (const keep of [false, true]) {
        await expectClose(T(x).sum(axes, keep), R.reduce(x, axes, sum, 0, keep), 1e-13);
        await expectClose(T(x).max(axes, keep), R.reduce(x, axes, mx, -Infinity, keep), 0);
        const n = axes.reduce((p, a) => p * x.shape[a], 1);
        await expectClose(T(x).mean(axes, keep), R.map(R.reduce(x, axes, sum, 0, keep), (v) => v / n), 1e-13);
      }
    }
    await expectClose(T(x).sum(), R.reduce(x, [0, 1, 2], sum, 0), 1e-13);
    await expectClose(T(x).sum(-1), R.reduce(x, [2], sum, 0), 1e-13);
  });
  it('gradients of sum, mean, max', async () => {
    const w = dev.tensor(R.randomData(12, 4), [4, 3]);
    for (const f of [(t: Tensor) => t.sum(1), (t: Tensor) => t.mean(0), (t: Tensor) => t.max(1)]) {
      const { maxRelErr } = await gradcheck(dev, (t) => f(t.mul(w)).square().sum(), [rnd([4, 3], 12)]);
      expect(maxRelErr).toBeLessThan(1e-7);
    }
  });
  it('reduces a long axis (n = 5000)', async () => {
    const y = rnd([3, 5000], 5);
    await expectClose(T(y).sum(1), R.reduce(y, [1], sum, 0), 1e-13);
  });
});

describe('matmul', () => {
  const cases: [number[], number[]][] = [
    [[1, 1], [1, 1]],
    [[7, 33], [33, 65]],
    [[65, 1], [1, 7]],
    [[3, 5, 7], [3, 7, 4]],
    [[3, 5, 7], [7, 4]],
    [[5, 7], [3, 7, 4]],
  ];
  it('2-D, batched and broadcast-batched products', async () => {
    for (const [k, [sa, sb]] of cases.entries()) {
      const a = rnd(sa, 100 + k), b = rnd(sb, 200 + k);
      await expectClose(T(a).matmul(T(b)), R.matmul(a, b), 1e-13);
    }
  });
  it('gradients for every case', async () => {
    for (const [sa, sb] of [[[3, 4], [4, 2]], [[2, 3, 4], [2, 4, 5]], [[2, 3, 4], [4, 5]], [[3, 4], [2, 4, 5]]]) {
      const { maxRelErr } = await gradcheck(dev, (a, b) => a.matmul(b).tanh().sum(), [rnd(sa, 1), rnd(sb, 2)]);
      expect(maxRelErr).toBeLessThan(1e-7);
    }
  });
});

describe('movement ops', () => {
  const x = rnd([4, 7, 3], 31);
  it('reshape (incl. -1) shares storage; transpose; broadcastTo', async () => {
    const t = T(x);
    const before = dev.memory.stats().liveBytes;
    const r = t.reshape([28, -1]);
    expect(dev.memory.stats().liveBytes).toBe(before);
    await expectClose(r, R.ref([28, 3], x.data), 0);
    await expectClose(t.transpose([2, 0, 1]), R.transpose(x, [2, 0, 1]), 0);
    await expectClose(t.transpose(), R.transpose(x, [2, 1, 0]), 0);
    const b = rnd([3, 1], 2);
    await expectClose(T(b).broadcastTo([2, 3, 5]), R.zip(b, R.ref([2, 3, 5], new Float64Array(30)), (u) => u), 0);
  });
  it('slice, narrow, concat, stack', async () => {
    const t = T(x);
    await expectClose(t.narrow(1, 2, 4), R.sliceRef(x, [0, 2, 0], [4, 4, 3]), 0);
    await expectClose(t.slice([[1, 3], null, [-2, 3]]), R.sliceRef(x, [1, 0, 1], [2, 7, 2]), 0);
    const y = rnd([4, 2, 3], 32);
    await expectClose(concat([t, T(y)], 1), R.concatRef([x, y], 1), 0);
    const s = stack([T(y), T(y)], 1);
    expect(s.shape).toEqual([4, 2, 2, 3]);
    const u = R.ref([4, 1, 6], y.data);
    await expectClose(s.reshape([4, 2, 6]), R.concatRef([u, u], 1), 0);
  });
  it('gradients of transpose, broadcastTo, slice, concat, stack, reshape', async () => {
    const w = R.randomData(24, 9);
    const weight = (t: Tensor) => t.mul(dev.tensor(w.subarray(0, t.size), t.shape));
    const fs: ((...t: Tensor[]) => Tensor)[] = [
      (a) => weight(a.transpose([1, 2, 0])).sum(),
      (a) => weight(a.narrow(2, 1, 1).broadcastTo([2, 2, 3, 1])).square().sum(),
      (a) => weight(a.slice([null, [1, 3]])).square().sum(),
      (a) => weight(concat([a, a.square()], 0)).sum(),
      (a) => weight(stack([a, a.sin()], 2)).sum(),
      (a) => weight(a.reshape([6, 2]).square()).sum(),
    ];
    for (const f of fs) {
      const { maxRelErr } = await gradcheck(dev, f, [rnd([2, 3, 2], 50)]);
      expect(maxRelErr).toBeLessThan(1e-7);
    }
  });
});
