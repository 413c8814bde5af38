/**
 * WebGPU backend against the float64 cpu reference, on random, oddly-sized inputs (never tile multiples).
 * Inputs are float32 values, so both backends start from identical data; tolerances are float32 rounding
 * bounds for each kernel (see `close`). Skipped when no adapter exists, unless SYMPODE_REQUIRE_WEBGPU=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BinaryOp, UnaryOp, View } from '../../packages/tensor/src/backends/backend.js';
import { CpuBackend } from '../../packages/tensor/src/backends/cpu.js';
import { DeviceUnavailableError } from '../../packages/tensor/src/errors.js';
import { compileChecked } from '../../packages/tensor/src/backends/webgpu/programs.js';
import { createWebGpuBackend, NO_ADAPTER_MESSAGE, type WebGpuBackend } from '../../packages/tensor/src/backends/webgpu/webgpu.js';

let gpu: WebGpuBackend | null = null;
let whyNot = '';
let unavailable = false;
try {
  gpu = await createWebGpuBackend();
} catch (e) {
  whyNot = e instanceof Error ? e.message : String(e);
  unavailable = e instanceof DeviceUnavailableError;
}
// No adapter (or no Dawn binary) skips the suite unless SYMPODE_REQUIRE_WEBGPU=1; any other failure to start is a bug.
const required = process.env.SYMPODE_REQUIRE_WEBGPU === '1';

it('says how to install a Vulkan driver when there is no adapter (system packages, not a repository script)', () => {
  expect(NO_ADAPTER_MESSAGE).toMatch(/no WebGPU adapter/);
  expect(NO_ADAPTER_MESSAGE).toMatch(/apt-get install mesa-vulkan-drivers/);
  expect(NO_ADAPTER_MESSAGE).not.toMatch(/scripts\//);
  expect(NO_ADAPTER_MESSAGE).toMatch(/lavapipe/);
});

if (!gpu && (required || !unavailable)) {
  describe('webgpu backend', () => {
    it('starts (a WebGPU adapter is required when SYMPODE_REQUIRE_WEBGPU=1)', () => {
      throw new Error(`the webgpu backend could not start: ${whyNot}`);
    });
  });
}

afterAll(() => gpu?.destroy());

// ---- helpers ---------------------------------------------------------------------------------------------

/** mulberry32: deterministic float32 inputs. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(12345);
function uniform(n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}
/** |x| in [lo, hi] with a random sign. */
function awayFromZero(n: number, lo: number, hi: number): Float32Array {
  const a = uniform(n, lo, hi);
  for (let i = 0; i < n; i++) if (rand() < 0.5) a[i] = -a[i];
  return a;
}

const cpu = new CpuBackend('float64');
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

function g(): WebGpuBackend {
  if (!gpu) throw new Error('no webgpu backend');
  return gpu;
}
function up(data: ArrayLike<number>, extra = 0): GPUBuffer {
  const b = g().createRaw(g().allocationSize((data.length + extra) * 4));
  g().write(b, data, 0);
  return b;
}
function empty(n: number): GPUBuffer {
  return g().createRaw(g().allocationSize(n * 4));
}
async function down(b: GPUBuffer, n: number, offset = 0): Promise<Float32Array> {
  return (await g().read(b, offset, n)) as Float32Array;
}

/**
 * got[i] must be within tol(i) of ref[i]; NaN must match NaN and infinities must match exactly. Values both
 * below float32's normal range (denormals may be flushed) count as equal.
 */
function close(got: ArrayLike<number>, ref: ArrayLike<number>, tol: (i: number) => number, what: string): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  let bad = 0;
  let first = '';
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i];
    const v = got[i];
    let ok: boolean;
    if (Number.isNaN(r)) ok = Number.isNaN(v);
    else if (!Number.isFinite(r)) ok = v === r;
    else if (Math.abs(r) < 1.2e-38 && Math.abs(v) < 1.2e-38) ok = true;
    else ok = Math.abs(v - r) <= tol(i);
    if (!ok) {
      if (bad === 0) first = `[${i}] got ${v}, want ${r} (tol ${tol(i)})`;
      bad++;
    }
  }
  expect(bad, `${what}: ${bad} of ${ref.length} out of tolerance, first ${first}`).toBe(0);
}
const rel = (ref: ArrayLike<number>, rtol: number, atol = 0) => (i: number) => rtol * Math.abs(ref[i]) + atol;

function contiguous(shape: readonly number[], offset = 0): View {
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return { offset, strides };
}
const numel = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
/** Elements a view touches (max index + 1). */
function extent(shape: readonly number[], v: View): number {
  let hi = v.offset;
  shape.forEach((d, k) => (hi += Math.max(0, (d - 1) * v.strides[k])));
  return hi + 1;
}

// ---- tests -----------------------------------------------------------------------------------------------

describe.skipIf(!gpu)('webgpu backend', () => {
  it('describes itself and sizes buffers', () => {
    const b = g();
    expect(b.kind).toBe('webgpu');
    expect(b.dtype).toBe('float32');
    expect(b.elementBytes).toBe(4);
    expect(b.description).toMatch(/webgpu/);
    expect(b.allocationSize(0)).toBe(4);
    expect(b.allocationSize(1)).toBe(4);
    expect(b.allocationSize(5)).toBe(8);
    expect(b.allocationSize(4 * 33)).toBe(132);
  });

  it('writes and reads at offsets', async () => {
    const data = uniform(65, -1, 1);
    const b = empty(80);
    g().write(b, data, 7);
    close(await down(b, 65, 7), data, () => 0, 'read back');
    g().write(b, [1, 2, 3], 0);
    close(await down(b, 3), [1, 2, 3], () => 0, 'array write');
    expect((await g().read(b, 0, 0)).length).toBe(0);
    g().destroyRaw(b);
  });

  it('fills, leaving the rest of the buffer alone', async () => {
    for (const n of [1, 7, 33, 257]) {
      const b = up(new Float32Array(n + 5).fill(-1));
      g().fill(b, 0.375, n);
      const want = new Float32Array(n + 5).fill(-1).fill(0.375, 0, n);
      close(await down(b, n + 5), want, () => 0, `fill ${n}`);
      g().destroyRaw(b);
    }
    const b = empty(3);
    g().fill(b, NaN, 3);
    expect(Array.from(await down(b, 3)).every(Number.isNaN)).toBe(true);
    g().destroyRaw(b);
  });

  it('uses a 2-D grid beyond 65535 workgroups', async () => {
    const n = 65536 * 256 + 301;
    const x = empty(n);
    const y = empty(n);
    g().fill(x, 2.5, n);
    g().unary('adds', x, y, n, 1);
    close(await down(y, 1000, n - 1000), new Float32Array(1000).fill(3.5), () => 0, 'tail');
    close(await down(y, 1000, 0), new Float32Array(1000).fill(3.5), () => 0, 'head');
    g().destroyRaw(x);
    g().destroyRaw(y);
  });

  // Inputs and tolerance per unary op. Correctly rounded operations get ~2 ulp, transcendental ones 1e-5.
  const unaryCases: Array<{ op: UnaryOp; x: (n: number) => Float32Array; alpha?: number; rtol: number; atol?: number }> = [
    { op: 'neg', x: (n) => uniform(n, -3, 3), rtol: 0 },
    { op: 'exp', x: (n) => uniform(n, -10, 10), rtol: 1e-5 },
    { op: 'log', x: (n) => { const a = uniform(n, 0.01, 10); a.set(uniform(Math.ceil(n / 3), 0.999, 1.001)); return a; }, rtol: 1e-5 },
    { op: 'tanh', x: (n) => { const a = uniform(n, -5, 5); a.set(awayFromZero(Math.ceil(n / 3), 1e-6, 0.5)); return a; }, rtol: 1e-5 },
    { op: 'sigmoid', x: (n) => uniform(n, -20, 20), rtol: 1e-5 },
    { op: 'softplus', x: (n) => uniform(n, -20, 20), rtol: 1e-5 },
    { op: 'relu', x: (n) => uniform(n, -3, 3), rtol: 0 },
    { op: 'sin', x: (n) => uniform(n, -6, 6), rtol: 1e-5, atol: 1e-6 },
    { op: 'cos', x: (n) => uniform(n, -6, 6), rtol: 1e-5, atol: 1e-6 },
    { op: 'square', x: (n) => uniform(n, -3, 3), rtol: 1.2e-7 },
    { op: 'sqrt', x: (n) => uniform(n, 0, 10), rtol: 2.4e-7 },
    { op: 'abs', x: (n) => uniform(n, -3, 3), rtol: 0 },
    { op: 'sign', x: (n) => { const a = uniform(n, -3, 3); a[0] = 0; return a; }, rtol: 0 },
    { op: 'step', x: (n) => { const a = uniform(n, -3, 3); a[0] = 0; return a; }, rtol: 0 },
    { op: 'recip', x: (n) => awayFromZero(n, 0.1, 3), rtol: 2.4e-7 },
    { op: 'adds', x: (n) => uniform(n, -3, 3), alpha: 0.7, rtol: 1.2e-7, atol: 3e-7 },
    { op: 'muls', x: (n) => uniform(n, -3, 3), alpha: -1.3, rtol: 1.2e-7 },
    { op: 'rsubs', x: (n) => uniform(n, -3, 3), alpha: 0.7, rtol: 1.2e-7, atol: 3e-7 },
    { op: 'rdivs', x: (n) => awayFromZero(n, 0.1, 3), alpha: 1.7, rtol: 2.4e-7 },
    { op: 'pows', x: (n) => uniform(n, 0.1, 3), alpha: 2.5, rtol: 1e-5 },
    { op: 'pows', x: (n) => uniform(n, -3, 3), alpha: 3, rtol: 1e-5 },
    { op: 'pows', x: (n) => awayFromZero(n, 0.2, 3), alpha: -2, rtol: 1e-5 },
    { op: 'pows', x: (n) => uniform(n, 0.1, 3), alpha: -0.37, rtol: 1e-5 },
    { op: 'pows', x: (n) => uniform(n, 0.99, 1.01), alpha: 300, rtol: 1e-5 },
    { op: 'maxs', x: (n) => uniform(n, -3, 3), alpha: 0.25, rtol: 0 },
    { op: 'mins', x: (n) => uniform(n, -3, 3), alpha: 0.25, rtol: 0 },
  ];
  // Alpha is a float32 uniform on the GPU: give the reference the same value.
  for (const c of unaryCases) {
    it(`unary ${c.op}${c.alpha !== undefined ? ` ${c.alpha}` : ''}`, async () => {
      const alpha = Math.fround(c.alpha ?? 0);
      for (const n of [1, 7, 33, 65, 257, 1000]) {
        const x = c.x(n);
        const xb = up(x);
        const ob = empty(n);
        g().unary(c.op, xb, ob, n, alpha);
        const ref = new Float64Array(n);
        cpu.unary(c.op, f64(x), ref, n, alpha);
        close(await down(ob, n), ref, rel(ref, c.rtol, c.atol ?? 0), `${c.op} n=${n}`);
        g().destroyRaw(xb);
        g().destroyRaw(ob);
      }
    });
  }

  it('unary ops on special values match the reference (NaN, infinities, signed zeros, extremes)', async () => {
    const specials = [0, -0, 1e-8, -1e-8, 1e-30, 0.5, -0.5, 1, -1, 2, -2, 50, -50, 100, -100, 1e30, -1e30, NaN, Infinity, -Infinity];
    const x = Float32Array.from(specials);
    const n = x.length;
    const ops: Array<[UnaryOp, number]> = [
      ['neg', 0], ['exp', 0], ['log', 0], ['tanh', 0], ['sigmoid', 0], ['softplus', 0], ['relu', 0],
      ['square', 0], ['sqrt', 0], ['abs', 0], ['sign', 0], ['step', 0], ['recip', 0],
      ['pows', 2], ['pows', 3], ['pows', 0], ['pows', -1], ['pows', 0.5], ['maxs', 0], ['mins', 0], ['rdivs', 1],
    ];
    const xb = up(x);
    for (const [op, alpha] of ops) {
      const ob = empty(n);
      g().unary(op, xb, ob, n, alpha);
      const ref = new Float64Array(n);
      cpu.unary(op, f64(x), ref, n, alpha);
      // Results beyond float32's range are infinities in float32.
      const ref32 = Float32Array.from(ref);
      close(await down(ob, n), ref32, rel(ref32, 1e-5), `${op}(${alpha}) on specials ${specials.join(',')}`);
      g().destroyRaw(ob);
    }
    g().destroyRaw(xb);
  });

  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'lt', 'le', 'gt', 'ge', 'eq', 'ne'];
  function binaryInputs(op: BinaryOp, na: number, nb: number): [Float32Array, Float32Array, number] {
    if (op === 'pow') return [uniform(na, 0.1, 3), uniform(nb, -2.5, 2.5), 1e-5];
    if (op === 'div') return [uniform(na, -3, 3), awayFromZero(nb, 0.1, 3), 2.4e-7];
    if (['lt', 'le', 'gt', 'ge', 'eq', 'ne', 'max', 'min'].includes(op)) {
      // Half-integers, so ties happen often.
      const q = (a: Float32Array) => a.map((v) => Math.round(v * 2) / 2);
      return [q(uniform(na, -2, 2)), q(uniform(nb, -2, 2)), 0];
    }
    return [uniform(na, -3, 3), uniform(nb, -3, 3), 1.2e-7];
  }
  // [name, shape, view a, view b]: views over buffers sized by `extent`.
  const layouts: Array<[string, number[], View, View]> = [
    ['contiguous 257', [257], contiguous([257]), contiguous([257])],
    ['scalar', [], { offset: 3, strides: [] }, { offset: 0, strides: [] }],
    ['row+col broadcast 7x65x33', [7, 65, 33], { offset: 5, strides: [33, 0, 1] }, { offset: 0, strides: [0, 33, 1] }],
    ['scalar broadcast 33x7', [33, 7], { offset: 2, strides: [0, 0] }, contiguous([33, 7])],
    ['transposed 33x65', [33, 65], { offset: 0, strides: [1, 33] }, { offset: 11, strides: [65, 1] }],
    ['rank 6', [2, 3, 1, 5, 4, 3], { offset: 1, strides: [180, 1, 7, 36, 0, 12] }, contiguous([2, 3, 1, 5, 4, 3], 4)],
    ['negative strides', [7, 33], { offset: 7 * 33 - 1, strides: [-33, -1] }, { offset: 32, strides: [0, -1] }],
  ];

  for (const op of binaryOps) {
    it(`binary ${op} with broadcasting views`, async () => {
      for (const [name, shape, av, bv] of layouts) {
        const n = numel(shape);
        const [a, b, rtol] = binaryInputs(op, extent(shape, av), extent(shape, bv));
        const ab = up(a);
        const bb = up(b);
        const ob = empty(n);
        g().binary(op, ab, av, bb, bv, ob, shape);
        const ref = new Float64Array(n);
        cpu.binary(op, f64(a), av, f64(b), bv, ref, shape);
        close(await down(ob, n), ref, rel(ref, rtol), `${op} ${name}`);
        for (const buf of [ab, bb, ob]) g().destroyRaw(buf);
      }
    });
  }

  it('binary ops propagate NaN like the reference', async () => {
    const a = Float32Array.from([NaN, 1, NaN, 2, -0, Infinity]);
    const b = Float32Array.from([1, NaN, NaN, 2, 0, Infinity]);
    const v = contiguous([6]);
    const ab = up(a);
    const bb = up(b);
    for (const op of binaryOps) {
      const ob = empty(6);
      g().binary(op, ab, v, bb, v, ob, [6]);
      const ref = new Float64Array(6);
      cpu.binary(op, f64(a), v, f64(b), v, ref, [6]);
      close(await down(ob, 6), ref, () => 0, `${op} on NaN/inf/signed zero`);
      g().destroyRaw(ob);
    }
    g().destroyRaw(ab);
    g().destroyRaw(bb);
  });

  it('pow with negative bases and integral exponents', async () => {
    const a = Float32Array.from([-2, -2, -2, -0.5, -3, 0, 0, -0, 2, -2]);
    const b = Float32Array.from([2, 3, -3, 5, 0.5, 2, -1, 3, 0, 0]);
    const v = contiguous([10]);
    const ab = up(a);
    const bb = up(b);
    const ob = empty(10);
    g().binary('pow', ab, v, bb, v, ob, [10]);
    const ref = new Float64Array(10);
    cpu.binary('pow', f64(a), v, f64(b), v, ref, [10]);
    close(await down(ob, 10), ref, rel(ref, 1e-6), 'pow');
    for (const buf of [ab, bb, ob]) g().destroyRaw(buf);
  });

  it('where with broadcasting views', async () => {
    const cases: Array<[number[], View, View, View]> = [
      [[257], contiguous([257]), contiguous([257], 3), contiguous([257])],
      [[7, 65, 33], { offset: 0, strides: [65, 1, 0] }, { offset: 0, strides: [0, 33, 1] }, { offset: 1, strides: [0, 0, 0] }],
      [[33, 7], { offset: 0, strides: [1, 33] }, contiguous([33, 7]), { offset: 0, strides: [7, 1] }],
    ];
    for (const [shape, cv, av, bv] of cases) {
      const n = numel(shape);
      const cond = uniform(extent(shape, cv), -1, 1).map((x) => (x < 0 ? 0 : x < 0.1 ? NaN : x));
      cond[0] = -0;
      const a = uniform(extent(shape, av), -3, 3);
      const b = uniform(extent(shape, bv), -3, 3);
      const [cb, ab, bb, ob] = [up(cond), up(a), up(b), empty(n)];
      g().where(cb, cv, ab, av, bb, bv, ob, shape);
      const ref = new Float64Array(n);
      cpu.where(f64(cond), cv, f64(a), av, f64(b), bv, ref, shape);
      close(await down(ob, n), ref, () => 0, `where ${shape}`);
      for (const buf of [cb, ab, bb, ob]) g().destroyRaw(buf);
    }
  });

  it('reduces sum and max over the middle axis, small and large n', async () => {
    const shapes: Array<[number, number, number]> = [
      [1, 1, 1], [3, 7, 5], [1, 5000, 1], [2, 5000, 3], [4, 33, 257], [1, 600, 2100], [65, 257, 1], [5, 0, 3],
      [1, 20000, 3],
    ];
    for (const [outer, n, inner] of shapes) {
      const x = uniform(outer * n * inner, -1, 1);
      const xb = up(x);
      const absSum = new Float64Array(outer * inner);
      cpu.reduce('sum', f64(x.map(Math.abs)), absSum, outer, n, inner);
      for (const [op, style] of (['sum', 'max'] as const).flatMap((op) => (['gpu', 'cpu'] as const).map((st) => [op, st] as const))) {
        const ob = empty(outer * inner);
        const chosen = g().kernelStyle;
        g().kernelStyle = style;
        try {
          g().reduce(op, xb, ob, outer, n, inner);
        } finally {
          g().kernelStyle = chosen;
        }
        const ref = new Float64Array(outer * inner);
        cpu.reduce(op, f64(x), ref, outer, n, inner);
        // float32 summation: error well inside 1e-6 of the sum of magnitudes for these n; max is exact.
        const tol = op === 'sum' ? (i: number) => 1e-6 * absSum[i] : () => 0;
        close(await down(ob, outer * inner), ref, tol, `${op} [${outer}, ${n}, ${inner}] ${style} style`);
        g().destroyRaw(ob);
      }
      g().destroyRaw(xb);
    }
  });

  it('reduce max propagates NaN and handles -inf', async () => {
    const chosen = g().kernelStyle;
    for (const style of ['gpu', 'cpu'] as const) {
      g().kernelStyle = style;
      for (const n of [9, 3000, 20000]) {
        const x = uniform(n, -1, 1).fill(-Infinity);
        x[n - 2] = NaN;
        const xb = up(x);
        const ob = empty(1);
        g().reduce('max', xb, ob, 1, n, 1);
        expect(Number.isNaN((await down(ob, 1))[0]), `n=${n} ${style}`).toBe(true);
        g().write(xb, [-Infinity], n - 2);
        g().reduce('max', xb, ob, 1, n, 1);
        expect((await down(ob, 1))[0], `n=${n} ${style}`).toBe(-Infinity);
        g().destroyRaw(xb);
        g().destroyRaw(ob);
      }
    }
    g().kernelStyle = chosen;
  });

  // [batch, m, n, k, aBatchStride (-1: dense), bBatchStride (-1: dense)]; each through the GPU-style kernels
  // (64x64 tiles or the thin path) and the CPU-adapter kernel (8x8 register blocks, tall and wide tiles).
  const mmShapes: Array<[number, number, number, number, number, number]> = [
    [1, 1, 1, 1, -1, -1],
    [1, 7, 33, 65, -1, -1],
    [1, 65, 257, 33, -1, -1],
    [1, 130, 67, 200, -1, -1],
    [1, 9, 129, 5, -1, -1],
    [1, 33, 9, 257, -1, -1],
    [1, 300, 1, 70, -1, -1],
    [3, 65, 70, 17, -1, 0],
    [4, 17, 66, 31, 0, -1],
    [5, 7, 5, 3, -1, -1],
    [2, 20, 20, 0, -1, -1],
  ];
  for (const [batch, m, n, k, asb, bsb] of mmShapes) {
    it(`matmul batch=${batch} ${m}x${n}x${k}${asb === 0 ? ' (A broadcast)' : ''}${bsb === 0 ? ' (B broadcast)' : ''}`, async () => {
      const aStride = asb < 0 ? m * k : asb;
      const bStride = bsb < 0 ? k * n : bsb;
      const a = uniform(aStride * (batch - 1) + m * k, -1, 1);
      const b = uniform(bStride * (batch - 1) + k * n, -1, 1);
      const [ab, bb] = [up(a), up(b)];
      const chosen = g().kernelStyle;
      for (const [mode, transA, transB] of (['gpu', 'cpu'] as const).flatMap((mode) =>
        [false, true].flatMap((tA) => [false, true].map((tB) => [mode, tA, tB] as const)),
      )) {
        {
          const ob = up(new Float32Array(batch * m * n).fill(NaN));
          g().kernelStyle = mode;
          try {
            g().matmul(ab, bb, ob, batch, m, n, k, transA, transB, aStride, bStride);
          } finally {
            g().kernelStyle = chosen;
          }
          const ref = new Float64Array(batch * m * n);
          cpu.matmul(f64(a), f64(b), ref, batch, m, n, k, transA, transB, aStride, bStride);
          const scale = new Float64Array(batch * m * n);
          cpu.matmul(f64(a.map(Math.abs)), f64(b.map(Math.abs)), scale, batch, m, n, k, transA, transB, aStride, bStride);
          // float32 dot products of k terms: a random walk of k roundings, 4 sigma.
          const tol = (i: number) => 4 * Math.sqrt(Math.max(k, 1)) * 2 ** -24 * scale[i];
          close(await down(ob, batch * m * n), ref, tol, `matmul ${mode} kernels tA=${transA} tB=${transB}`);
          g().destroyRaw(ob);
        }
      }
      g().destroyRaw(ab);
      g().destroyRaw(bb);
    });
  }

  it('copies strided views (transpose, offsets, broadcast, rank 5, in place)', async () => {
    const cases: Array<[string, number[], View, View, number, number]> = [
      ['contiguous', [257], contiguous([257]), contiguous([257], 3), 257, 300],
      ['transpose 33x7', [33, 7], { offset: 4, strides: [1, 33] }, { offset: 2, strides: [7, 1] }, 4 + 7 * 33, 240],
      ['into padded rows', [7, 33], contiguous([7, 33]), { offset: 5, strides: [40, 1] }, 231, 300],
      ['broadcast', [5, 65], { offset: 1, strides: [0, 1] }, { offset: 0, strides: [65, 1] }, 70, 325],
      ['rank 5', [2, 3, 4, 5, 2], { offset: 0, strides: [1, 2, 6, 24, 120] }, contiguous([2, 3, 4, 5, 2], 1), 240, 241],
    ];
    for (const [name, shape, sv, dv, ns, nd] of cases) {
      const s = uniform(ns, -1, 1);
      const d = uniform(nd, -1, 1);
      const [sb, db] = [up(s), up(d)];
      g().copy(sb, sv, db, dv, shape);
      const ref = f64(d);
      cpu.copy(f64(s), sv, ref, dv, shape);
      close(await down(db, nd), ref, () => 0, `copy ${name}`);
      g().destroyRaw(sb);
      g().destroyRaw(db);
    }
    // In place, src and dst in one buffer: rows 0..3 -> rows 4..7 of an 8x9 matrix, transposed blocks.
    const buf = uniform(72, -1, 1);
    const bb = up(buf);
    const sv: View = { offset: 0, strides: [1, 9] };
    const dv: View = { offset: 36, strides: [9, 1] };
    g().copy(bb, sv, bb, dv, [4, 4]);
    const ref = f64(buf);
    cpu.copy(f64(buf), sv, ref, dv, [4, 4]);
    close(await down(bb, 72), ref, () => 0, 'copy in place');
    g().destroyRaw(bb);
  });

  it('rkCombine with s = 13 skips zero coefficients over NaN-filled rows; 17 and 33 rows chain dispatches', async () => {
    const s = 13;
    const coeffs = [0.1, 0, -0.25, 0.3, 0, 0, 1e-3, 0.5, 0, 2, -1, 0, 0.07];
    for (const n of [1, 7, 257, 70000]) {
      const stages = uniform(s * n, -2, 2);
      coeffs.forEach((c, j) => c === 0 && stages.fill(NaN, j * n, (j + 1) * n));
      const y = uniform(n, -1, 1);
      const h = Math.fround(0.037);
      const c32 = coeffs.map(Math.fround);
      const [yb, sb, ob] = [up(y), up(stages), empty(n)];
      g().rkCombine(yb, sb, c32, h, ob, n);
      const ref = new Float64Array(n);
      cpu.rkCombine(f64(y), f64(stages), c32, h, ref, n);
      // Per element: |y| + |h| sum |c_j k_j|, ~20 float32 roundings at most.
      const scale = (i: number) => Math.abs(y[i]) + Math.abs(h) * c32.reduce((acc, c, j) => acc + (c ? Math.abs(c * stages[j * n + i]) : 0), 0);
      close(await down(ob, n), ref, (i) => 20 * 2 ** -24 * scale(i), `rkCombine n=${n}`);
      for (const buf of [yb, sb, ob]) g().destroyRaw(buf);
    }
    // Past 16 coefficients the backend chains dispatches (accumulate mode): same result as cpu.
    for (const rows of [17, 33]) {
      const n = 300;
      const cs = Array.from({ length: rows }, (_, j) => Math.fround(j % 5 === 0 ? 0 : (j + 1) / rows - 0.4));
      const stages = uniform(rows * n, -2, 2);
      cs.forEach((c, j) => c === 0 && stages.fill(NaN, j * n, (j + 1) * n));
      const y = uniform(n, -1, 1);
      const [yb, sb, ob] = [up(y), up(stages), empty(n)];
      g().rkCombine(yb, sb, cs, 0.5, ob, n);
      const ref = new Float64Array(n);
      cpu.rkCombine(f64(y), f64(stages), cs, 0.5, ref, n);
      const scale = (i: number) => Math.abs(y[i]) + 0.5 * cs.reduce((acc, c, j) => acc + (c ? Math.abs(c * stages[j * n + i]) : 0), 0);
      close(await down(ob, n), ref, (i) => 2 * rows * 2 ** -24 * scale(i), `rkCombine rows=${rows}`);
      for (const buf of [yb, sb, ob]) g().destroyRaw(buf);
    }
  });

  it('rkErrorRatio reduces to one scalar (single and two-pass)', async () => {
    const e = [0.01, 0, -0.02, 0.005, 0, 0.001, -0.003];
    for (const n of [1, 7, 257, 5000, 100000]) {
      const s = e.length;
      const stages = uniform(s * n, -2, 2);
      e.forEach((c, j) => c === 0 && stages.fill(NaN, j * n, (j + 1) * n));
      const y0 = uniform(n, -1, 1);
      const y1 = uniform(n, -1, 1);
      const [h, rtol, atol] = [0.1, 1e-3, 1e-6].map(Math.fround);
      const e32 = e.map(Math.fround);
      const [ab, bb, sb, ob] = [up(y0), up(y1), up(stages), up([NaN])];
      g().rkErrorRatio(ab, bb, sb, e32, h, rtol, atol, ob, n);
      const ref = new Float64Array(1);
      cpu.rkErrorRatio(f64(y0), f64(y1), f64(stages), e32, h, rtol, atol, ref, n);
      close(await down(ob, 1), ref, rel(ref, 1e-5), `rkErrorRatio n=${n}`);
      for (const buf of [ab, bb, sb, ob]) g().destroyRaw(buf);
    }
  });

  it('treats empty inputs as no-ops', async () => {
    const b = g();
    const x = up([1, 2, 3]);
    const before = b.counters.dispatches;
    const v = contiguous([0]);
    b.fill(x, 5, 0);
    b.unary('exp', x, x, 0);
    b.binary('add', x, v, x, v, x, [3, 0]);
    b.where(x, v, x, v, x, v, x, [0]);
    b.reduce('sum', x, x, 0, 5, 1);
    b.matmul(x, x, x, 1, 0, 3, 3, false, false, 0, 0);
    b.copy(x, v, x, v, [0, 4]);
    b.rkCombine(x, x, [1], 1, x, 0);
    expect(b.counters.dispatches).toBe(before);
    close(await down(x, 3), [1, 2, 3], () => 0, 'untouched');
    b.destroyRaw(x);
  });

  it('counts dispatches, submits and readbacks; flushes every 16 dispatches', async () => {
    const b = g();
    b.flush();
    const x = up(uniform(33, -1, 1));
    const y = empty(33);
    const c0 = { ...b.counters };
    for (let i = 0; i < 40; i++) b.unary('neg', i % 2 ? y : x, i % 2 ? x : y, 33);
    expect(b.counters.dispatches - c0.dispatches).toBe(40);
    expect(b.counters.submits - c0.submits).toBe(2);
    await down(x, 33);
    expect(b.counters.submits - c0.submits).toBe(3);
    expect(b.counters.readbacks - c0.readbacks).toBe(1);
    b.destroyRaw(x);
    b.destroyRaw(y);
  });

  it('defers destroyRaw of a buffer used by recorded commands; reuse after write sees correct data', async () => {
    const b = g();
    b.flush();
    const n = 257;
    const data = uniform(n, -1, 1);
    const x = up(data);
    const out = empty(n);
    const submits = b.counters.submits;
    b.unary('muls', x, out, n, 2); // recorded, not submitted
    b.destroyRaw(x); // must not destroy under the recorded dispatch
    expect(b.counters.submits).toBe(submits);
    const x2 = up(uniform(n, -1, 1)); // a new allocation right after the free (write flushes)
    const out2 = empty(n);
    b.unary('muls', out, out2, n, 0.5);
    close(await down(out2, n), data, () => 0, 'dispatch recorded before destroyRaw');

    // The allocator reuses a buffer for new data while an earlier dispatch that reads it is still recorded.
    const y = up(data);
    const r1 = empty(n);
    b.unary('neg', y, r1, n);
    const fresh = uniform(n, -1, 1);
    b.write(y, fresh, 0);
    const r2 = empty(n);
    b.unary('neg', y, r2, n);
    close(await down(r1, n), data.map((v) => -v), () => 0, 'dispatch before the write reads old data');
    close(await down(r2, n), fresh.map((v) => -v), () => 0, 'dispatch after the write reads new data');
    for (const buf of [x2, out, out2, y, r1, r2]) b.destroyRaw(buf);
  });

  it('survives out aliasing an input (computed through a temporary)', async () => {
    const data = uniform(65, -1, 1);
    const x = up(data);
    g().unary('muls', x, x, 65, 3);
    close(await down(x, 65), data.map((v) => Math.fround(v * 3)), () => 0, 'x *= 3 in place');
    g().destroyRaw(x);
  });

  it('reports WGSL compile errors with line numbers', async () => {
    const code = 'struct S { a: f32 }\n@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n';
    await expect(compileChecked(g().device, 'broken.wgsl', code, 'main')).rejects.toThrow(/broken\.wgsl:4:\d+: error/);
  });
});
