/**
 * The cpu backend's WebAssembly SIMD GEMM against the JS loop it replaces: float64 bit for bit (same
 * summation order, multiply then add), float32 within its rounding of float64 sums; every transpose, ragged
 * edges, k across the KC = 256 block and m across the MC = 128 block, bias or none; results independent of
 * the thread count (1, 2, 3) bit for bit; the WebAssembly memory counted by the allocator.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, Device, createDevice, linear, weightGrad } from '@sympode/tensor';
import { gemm } from '../../packages/tensor/src/backends/cpu-gemm.js';
import { WasmGemm } from '../../packages/tensor/src/backends/wasm/gemm.js';
import { tanh32 } from '../../packages/tensor/src/backends/cpu-linear.js';
import type { BackendCounters } from '@sympode/tensor';

const counters = (): BackendCounters => ({
  dispatches: 0, submits: 0, readbacks: 0, bindGroups: 0, liveBindGroups: 0, peakLiveBindGroups: 0, wasmCalls: 0, wasmCopyBytes: 0, wasmCopyMs: 0,
});

function random(n: number, seed: number, Ctor: Float64ArrayConstructor | Float32ArrayConstructor): Float64Array | Float32Array {
  const out = new Ctor(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** [m, n, k]: ragged sizes, k over one KC block, m over one MC block. */
const SIZES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [4, 8, 1], [13, 9, 17], [67, 45, 300], [133, 21, 513], [5, 70, 260]];
const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;

/** A's and B's strides for [m, k] and [k, n] stored transposed or not, with a leading offset of 3. */
function operands(m: number, n: number, k: number, tA: boolean, tB: boolean, Ctor: Float64ArrayConstructor | Float32ArrayConstructor, seed: number) {
  const a = random(3 + m * k, seed, Ctor);
  const b = random(3 + k * n, seed + 1, Ctor);
  const [ar, ac] = tA ? [1, m] : [k, 1];
  const [br, bc] = tB ? [1, k] : [n, 1];
  return { a, b, ar, ac, br, bc, bias: random(n, seed + 2, Ctor) };
}

describe.each([['float64', Float64Array], ['float32', Float32Array]] as const)('WebAssembly GEMM, %s', (dtype, Ctor) => {
  const f64 = dtype === 'float64';
  it.each(SIZES)('m=%i n=%i k=%i, every transpose, with and without bias, equals the JS loop', (m, n, k) => {
    const w = new WasmGemm(f64, 1, counters());
    for (const [tA, tB] of TRANSPOSES) {
      for (const withBias of [false, true]) {
        const { a, b, ar, ac, br, bc, bias } = operands(m, n, k, tA, tB, Ctor, m * 7 + n * 3 + k);
        const want = new Ctor(2 + m * n);
        const got = new Ctor(2 + m * n).fill(9);
        gemm(a, 3, ar, ac, b, 3, br, bc, want, 2, m, n, k, withBias ? bias : null);
        expect(w.gemm(a, 3, ar, ac, b, 3, br, bc, got, 2, m, n, k, withBias ? bias : null)).toBe(true);
        expect(Array.from(got.subarray(0, 2))).toEqual([9, 9]); // nothing outside the output written
        if (f64) {
          expect(got.subarray(2)).toEqual(want.subarray(2));
        } else {
          // float32 sums (the JS loop sums in float64 and rounds once): |Δ| ≤ k·u·Σ|a||b| + rounding of the result.
          const u = 2 ** -24;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let mag = withBias ? Math.abs(bias[j]) : 0;
              for (let q = 0; q < k; q++) mag += Math.abs(a[3 + i * ar + q * ac] * b[3 + q * br + j * bc]);
              const d = Math.abs(got[2 + i * n + j] - want[2 + i * n + j]);
              expect(d).toBeLessThanOrEqual((k + 2) * u * mag);
            }
          }
        }
      }
    }
    w.release();
  });

  it('the same bits on 1, 2 and 3 threads', async () => {
    const [m, n, k] = [203, 97, 300];
    const runs = [];
    for (const threads of [1, 2, 3]) {
      const w = new WasmGemm(f64, threads, counters());
      expect(await w.startThreads()).toBe(threads);
      const { a, b, ar, ac, br, bc, bias } = operands(m, n, k, false, true, Ctor, 11);
      const out = new Ctor(m * n);
      w.gemm(a, 3, ar, ac, b, 3, br, bc, out, 0, m, n, k, bias);
      expect(w.lastThreads).toBe(threads);
      // A product this size is split (m·n·k ≥ THREAD_MIN_MNK) over the `threads` threads running.
      expect(w.runningCount).toBe(threads);
      expect(w.threadsNote).toBe('');
      w.release();
      runs.push(out);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});

describe('the fused float32 tanh in WebAssembly', () => {
  it('gives tanh32\'s bits (the JS function of the fused layer) on specials and a sweep', () => {
    const specials = [0, -0, 1e-5, -3.9e-4, 4e-4, 0.5, -1, 7.9, 7.905311107635498, 8, -8.99, 9, 9.01, -9.01, 100, NaN, Infinity, -Infinity, 1e-40];
    const sweep = Array.from(random(4000, 5, Float64Array), (v) => v * 12);
    const xs = Float32Array.from([...specials, ...sweep]);
    const n = xs.length;
    // k = 1, A = 1: C = 0 + 1·x = x (−0 becomes +0, as in the JS loop), then tanh.
    const a = new Float32Array(3).fill(1);
    const w = new WasmGemm(false, 2, counters());
    const got = new Float32Array(3 * n);
    w.gemm(a, 0, 1, 1, xs, 0, 1, 1, got, 0, 3, n, 1, null, true);
    const want = new Float32Array(3 * n);
    for (let r = 0; r < 3; r++) for (let j = 0; j < n; j++) want[r * n + j] = tanh32(0 + xs[j]); // the sum starts from +0, as the JS loop's
    const bad = [];
    for (let i = 0; i < 3 * n; i++) if (!Object.is(got[i], want[i])) bad.push([xs[i % n], got[i], want[i]]);
    expect(bad.slice(0, 5)).toEqual([]);
    w.release();
  });
});

describe('the cpu backend on WebAssembly', () => {
  it('matmul, linear and its weight gradient equal the JS loops (float64, 1 and 2 threads)', async () => {
    const results = [];
    for (const options of [{ wasm: false }, { threads: 1 }, { threads: 2 }]) {
      const backend = new CpuBackend('float64', options);
      const dev = new Device(backend, 0);
      const x = dev.randn([150, 90], { seed: 1 });
      const w = dev.randn([70, 90], { seed: 2 });
      const b = dev.randn([70], { seed: 3 });
      const y = x.matmul(w.transpose([1, 0]));
      const z = linear(x, w, b, 'tanh');
      const [gw, gb] = weightGrad(z, x, true);
      const yt = w.matmul(x.transpose([1, 0])); // the other transposes
      results.push({
        y: await y.data(), z: await z.data(), gw: await gw.data(), gb: await gb!.data(), yt: await yt.data(), wasm: backend.counters.wasmCalls,
      });
      dev.destroy();
    }
    expect(results[0].wasm).toBe(0);
    expect(results[1].wasm).toBe(4);
    for (const r of results.slice(1)) {
      const { wasm: _, ...rest } = r;
      const { wasm: __, ...want } = results[0];
      expect(rest).toEqual(want);
    }
  });

  it('the WebAssembly memory is counted: internal while a product runs, reserved after, gone on emptyCache', async () => {
    const backend = new CpuBackend('float32', { threads: 2 });
    const dev = new Device(backend, 0);
    const a = dev.randn([256, 256], { seed: 1 });
    const b = dev.randn([256, 256], { seed: 2 });
    const before = dev.memory.stats();
    const c = a.matmul(b);
    const after = dev.memory.stats();
    expect(backend.counters.wasmCalls).toBe(1);
    // Live: what the user holds (a, b, c); the memory is pooled, not live.
    expect(after.liveBytes).toBe(3 * 256 * 256 * 4);
    expect(after.byLabel.internal.liveBytes).toBe(0);
    // While it ran it was live under `internal`: the peak saw it, at least A, B and C plus the scratch.
    expect(after.byLabel.internal.peakBytes).toBeGreaterThanOrEqual(3 * 256 * 256 * 4);
    expect(after.reservedBytes - before.reservedBytes).toBe(after.byLabel.internal.peakBytes);
    // Copies in and out counted: A, B in, C out.
    expect(backend.counters.wasmCopyBytes).toBe(3 * 256 * 256 * 4);
    dev.memory.emptyCache();
    expect(dev.memory.stats().reservedBytes).toBe(0);
    // A later product makes a new memory and counts it again.
    const d = c.matmul(b);
    expect(dev.memory.stats().reservedBytes).toBe(after.byLabel.internal.peakBytes);
    expect(Array.from(await d.data()).every(Number.isFinite)).toBe(true);
    dev.destroy();
  });

  it('a memory the runtime refuses (RangeError) leaves the product to the JS loop, the same bits, nothing counted', async () => {
    const wa = (globalThis as unknown as { WebAssembly: { Memory: unknown } }).WebAssembly;
    const Memory = wa.Memory;
    const backend = new CpuBackend('float64', { threads: 2 });
    const dev = new Device(backend, 0);
    const a = dev.randn([100, 80], { seed: 1 });
    const b = dev.randn([80, 60], { seed: 2 });
    wa.Memory = function refuse() {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    };
    let c;
    try {
      c = a.matmul(b);
    } finally {
      wa.Memory = Memory;
    }
    expect(backend.counters.wasmCalls).toBe(0);
    expect(dev.memory.stats().byLabel.internal?.peakBytes ?? 0).toBe(0);
    const js = new Device(new CpuBackend('float64', { wasm: false }), 0);
    const want = js.randn([100, 80], { seed: 1 }).matmul(js.randn([80, 60], { seed: 2 }));
    expect(await c.data()).toEqual(await want.data());
    // Once the runtime gives memory again, the next product runs on the kernels.
    a.matmul(b).dispose();
    expect(backend.counters.wasmCalls).toBe(1);
    dev.destroy();
    js.destroy();
  });

  it('createDevice takes threads; bad values are InvalidArgumentErrors', async () => {
    const dev = await createDevice({ backend: 'cpu', threads: 3 });
    expect((dev.backend as CpuBackend).threads).toBe(3);
    dev.destroy();
    for (const threads of [0, 1.5, -1, 1000, '2']) {
      await expect(createDevice({ backend: 'cpu', threads } as never)).rejects.toThrow(/threads must be an integer/);
    }
    await expect(createDevice({ backend: 'webgpu', threads: 2 })).rejects.toThrow(/threads/);
  });
});
