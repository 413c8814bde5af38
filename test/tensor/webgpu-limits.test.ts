/**
 * The webgpu backend at the device's limits, against the float64 cpu backend: views of rank above the
 * kernels' 8 dimensions (rank 9 and 12 broadcasts and transposes), grids past 65535 workgroups in one
 * dimension (real sizes where lavapipe's 128 MiB binding limit allows them, and every kernel on a backend
 * whose grid is capped at 16 workgroups a dimension), buffers over the binding limit (DeviceLimitError before
 * anything is allocated), device failures (DeviceError) and use after destroy (DeviceDestroyedError).
 * Needs Dawn with an adapter; skipped without one unless SYMPODE_REQUIRE_WEBGPU=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDevice, CpuBackend, Device, DeviceDestroyedError, DeviceError, DeviceLimitError, type MemoryStats, type Tensor, type View,
} from '@sympode/tensor';
import { createWebGpuBackend, type WebGpuBackend } from '../../packages/tensor/src/backends/webgpu/webgpu.js';
import { hasWebgpu } from '../helpers/devices.js';

const run = await hasWebgpu();
const cpu = await createDevice({ backend: 'cpu' });
const gpu = run ? new Device(await createWebGpuBackend({})) : null;
/** Grid capped at 16 workgroups a dimension: every kernel splits its grid at small sizes. */
const capped = run ? new Device(await createWebGpuBackend({ limits: { maxComputeWorkgroupsPerDimension: 16 } })) : null;
afterAll(() => {
  gpu?.destroy();
  capped?.destroy();
});

/** Deterministic float32 data (mulberry32). */
function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    a[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 2;
  }
  return a;
}
const numel = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
/** The same float32 data on a device and on the cpu reference. */
function pair(dev: Device, shape: readonly number[], seed: number): [Tensor, Tensor] {
  const d = data(numel(shape), seed);
  return [dev.tensor(d, shape), cpu.tensor(d, shape)];
}

async function expectClose(got: Tensor, want: Tensor, what: string, rtol = 1e-6, atol = 1e-6): Promise<void> {
  expect(got.shape, what).toEqual(want.shape);
  const [g, w] = [await got.data(), await want.data()];
  let bad = 0;
  let first = '';
  for (let i = 0; i < w.length; i++) {
    if (!(Math.abs(g[i] - w[i]) <= rtol * Math.abs(w[i]) + atol)) {
      if (!bad) first = `[${i}] got ${g[i]}, want ${w[i]}`;
      bad++;
    }
  }
  expect(bad, `${what}: ${bad} of ${w.length} differ, first ${first}`).toBe(0);
}

/** A shape alternating 2 and 3, and the two operand shapes that broadcast to it with no mergeable dims. */
function alternating(rank: number): { out: number[]; a: number[]; b: number[] } {
  const out = Array.from({ length: rank }, (_, d) => 2 + (d % 2));
  return { out, a: out.map((n, d) => (d % 2 ? 1 : n)), b: out.map((n, d) => (d % 2 ? n : 1)) };
}

const counts = (s: MemoryStats) => [s.liveBytes, s.liveTensors, s.liveBuffers, s.reservedBytes];

describe.runIf(run)('webgpu beyond the kernels\' rank', () => {
  for (const rank of [9, 12]) {
    it(`rank-${rank} broadcasts (add, mul) and a rank-${rank} transpose equal the cpu backend`, async () => {
      const s = alternating(rank);
      const [ga, ca] = pair(gpu!, s.a, 1);
      const [gb, cb] = pair(gpu!, s.b, 2);
      await expectClose(ga.add(gb), ca.add(cb), `rank ${rank} add`);
      await expectClose(ga.mul(gb), ca.mul(cb), `rank ${rank} mul`);
      // A strided (transposed) operand: copy kernel at full rank, then a broadcast against it.
      const perm = Array.from({ length: rank }, (_, d) => rank - 1 - d);
      const [gx, cx] = pair(gpu!, s.out, 3);
      const gt = gx.transpose(perm);
      const ct = cx.transpose(perm);
      await expectClose(gt, ct, `rank ${rank} transpose`);
      await expectClose(gt.mul(gb.transpose(perm)), ct.mul(cb.transpose(perm)), `rank ${rank} mul of transposes`);
      await expectClose(gx.where(gx.gt(0), ga), cx.where(cx.gt(0), ca), `rank ${rank} where`);
    });
  }

  it('strided views of rank 12 with offsets and negative strides (binary, where, copy) at the backend', async () => {
    const b = gpu!.backend as WebGpuBackend;
    const ref = new CpuBackend('float64');
    const shape = alternating(12).out;
    const n = numel(shape);
    // View 0: reversed along every dim (negative strides, offset at the far end); view 1: every other dim broadcast.
    const base: number[] = [];
    let st = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      base[d] = st;
      st *= shape[d];
    }
    const rev: View = { offset: n - 1, strides: base.map((x) => -x) };
    const bc: View = { offset: 5, strides: base.map((x, d) => (d % 2 ? 0 : x)) };
    const x = data(n + 5, 7);
    const y = data(n + 5, 8);
    const upload = (a: Float32Array) => {
      const buf = b.createRaw(a.length * 4);
      b.write(buf, a, 0);
      return buf;
    };
    const [gx, gy, out] = [upload(x), upload(y), b.createRaw(n * 4)];
    const want = new Float64Array(n);
    b.binary('sub', gx, rev, gy, bc, out, shape);
    ref.binary('sub', Float64Array.from(x), rev, Float64Array.from(y), bc, want, shape);
    expect(Array.from(await b.read(out, 0, n))).toEqual(Array.from(want, Math.fround));
    b.where(gx, bc, gx, rev, gy, bc, out, shape);
    ref.where(Float64Array.from(x), bc, Float64Array.from(x), rev, Float64Array.from(y), bc, want, shape);
    expect(Array.from(await b.read(out, 0, n))).toEqual(Array.from(want, Math.fround));
    // Copy into a reversed destination view.
    const dst = b.createRaw(n * 4);
    const wantDst = new Float64Array(n);
    b.copy(gx, bc, dst, rev, shape);
    ref.copy(Float64Array.from(x), bc, wantDst, rev, shape);
    expect(Array.from(await b.read(dst, 0, n))).toEqual(Array.from(wantDst, Math.fround));
    for (const buf of [gx, gy, out, dst]) b.destroyRaw(buf);
  });
});

describe.runIf(run)('webgpu grids past 65535 workgroups a dimension', () => {
  it('matmul [1,2]x[2,5000000] (78125 register-block tiles in x) equals the cpu backend', async () => {
    const b = gpu!.backend as WebGpuBackend;
    const style = b.kernelStyle;
    b.kernelStyle = 'cpu';
    try {
      const [ga, ca] = pair(gpu!, [1, 2], 11);
      const [gb, cb] = pair(gpu!, [2, 5_000_000], 12);
      await expectClose(ga.matmul(gb), ca.matmul(cb), 'matmul 1x5e6', 1e-6, 1e-6);
      gpu!.dispose(ga, gb);
    } finally {
      b.kernelStyle = style;
    }
  });

  it('fill and an element-wise broadcast of 16 777 217 elements (65537 workgroups) are exact', async () => {
    const n = 65536 * 256 + 1;
    const a = gpu!.full([n], 0.25);
    const b = gpu!.tensor([0.5], [1]);
    const c = a.add(b);
    const got = await c.data();
    expect(got.length).toBe(n);
    expect(got.every((v) => v === 0.75)).toBe(true);
    gpu!.dispose(a, b, c);
  });

  describe('every kernel on a grid capped at 16 workgroups a dimension', () => {
    for (const style of ['cpu', 'gpu'] as const) {
      it(`${style} kernels: fill, unary, binary, where, copy, reductions, matmul variants, RK kernels`, async () => {
        const d = capped!;
        (d.backend as WebGpuBackend).kernelStyle = style;
        const [gx, cx] = pair(d, [3, 5000], 21);
        await expectClose(d.full([7000], 1.5), cpu.full([7000], 1.5), 'fill');
        await expectClose(gx.tanh(), cx.tanh(), 'unary', 1e-5, 1e-6);
        const [gr, cr] = pair(d, [1, 5000], 22);
        await expectClose(gx.mul(gr), cx.mul(cr), 'binary');
        await expectClose(gx.where(gx.gt(gr), gr), cx.where(cx.gt(cr), cr), 'where');
        await expectClose(gx.transpose([1, 0]), cx.transpose([1, 0]), 'copy');
        await expectClose(gx.sum(0), cx.sum(0), 'reduce loop (5000 outputs)', 1e-5, 1e-5);
        await expectClose(gx.max(0), cx.max(0), 'reduce max');
        const [gl, cl] = pair(d, [20, 600], 23);
        await expectClose(gl.sum(1), cl.sum(1), 'reduce tree or loop (20 outputs of 600)', 1e-5, 1e-5);
        for (const [m, k, n] of [[3, 5, 1100], [1100, 5, 3], [20, 7, 1100], [1100, 7, 20]]) {
          const [ga, ca] = pair(d, [m, k], m + n);
          const [gb, cb] = pair(d, [k, n], m * n);
          await expectClose(ga.matmul(gb), ca.matmul(cb), `matmul ${m}x${k}x${n}`, 1e-5, 1e-5);
        }
        // The grid cap splits dispatches: 18 tiles of 64 columns in x take two.
        const [g1, g2] = [d.zeros([3, 5]), d.zeros([5, 1100])];
        const before = d.backend.counters.dispatches;
        d.dispose(g1.matmul(g2), g1, g2);
        expect(d.backend.counters.dispatches - before).toBe(style === 'cpu' ? 2 : 1); // gpu style: thin kernel, 2-D grid
        const [gba, cba] = pair(d, [20, 2, 3], 31);
        const [gbb, cbb] = pair(d, [20, 3, 2], 32);
        await expectClose(gba.matmul(gbb), cba.matmul(cbb), 'matmul batch 20', 1e-5, 1e-5);
        d.dispose(gx, gr, gl, gba, gbb);
      });
    }

    it('RK stage combination and error ratio', async () => {
      const { combineRows, errorRatio } = await import('@sympode/tensor');
      const d = capped!;
      const n = 9000;
      const [gy, cy] = pair(d, [n], 41);
      const [gk, ck] = pair(d, [3, n], 42);
      const coeffs = [0.25, 0, -0.5];
      await expectClose(combineRows(gy, gk, coeffs, 0.1), combineRows(cy, ck, coeffs, 0.1), 'combineRows', 1e-6, 1e-6);
      const [gy1, cy1] = pair(d, [n], 43);
      const e = [0.1, -0.2, 0.05];
      const g = await errorRatio(gy, gy1, gk, e, 0.1, 1e-3, 1e-6).data();
      const c = await errorRatio(cy, cy1, ck, e, 0.1, 1e-3, 1e-6).data();
      expect(Math.abs(g[0] - c[0])).toBeLessThan(1e-5 * Math.abs(c[0]));
    });
  });
});

describe.runIf(run)('webgpu limit errors', () => {
  it('an over-limit buffer throws DeviceLimitError before allocating; the device still computes', async () => {
    const d = gpu!;
    const limit = (d.backend as WebGpuBackend).maxBufferBytes;
    const over = limit / 4 + 1;
    const a = d.tensor([1, 2, 3], [3, 1]);
    const wide = d.zeros([1, Math.ceil(over / 3)]);
    const before = d.memory.stats();
    expect(() => d.zeros([over])).toThrow(DeviceLimitError);
    expect(() => a.add(wide)).toThrow(DeviceLimitError);
    expect(() => a.matmul(wide)).toThrow(DeviceLimitError);
    expect(() => d.zeros([over])).toThrow(new RegExp(`${limit} bytes.*maxStorageBufferBindingSize.*smaller batches`));
    expect(counts(d.memory.stats())).toEqual(counts(before));
    const c = a.mul(2);
    expect(Array.from(await c.data())).toEqual([2, 4, 6]);
    d.dispose(a, wide, c);
  });

  it('a lost device throws DeviceError; use after destroy throws DeviceDestroyedError', async () => {
    const b = await createWebGpuBackend({});
    const lost = await createWebGpuBackend({});
    const buf = lost.createRaw(16);
    lost.device.destroy();
    await lost.device.lost;
    await expect(lost.read(buf, 0, 4)).rejects.toThrow(DeviceError);
    expect(() => lost.fill(buf, 1, 4)).toThrow(DeviceError);
    lost.destroy();

    const x = b.createRaw(16);
    b.fill(x, 1, 4);
    expect(Array.from(await b.read(x, 0, 4))).toEqual([1, 1, 1, 1]);
    b.destroy();
    expect(() => b.createRaw(16)).toThrow(DeviceDestroyedError);
    expect(() => b.fill(x, 2, 4)).toThrow(DeviceDestroyedError);
    expect(() => b.write(x, [1], 0)).toThrow(DeviceDestroyedError);
    await expect(b.read(x, 0, 4)).rejects.toThrow(DeviceDestroyedError);

    // The same through a Device: nothing is allocated, reads reject.
    const dev = new Device(await createWebGpuBackend({}));
    const t = dev.tensor([1, 2]);
    dev.destroy();
    const before = dev.memory.stats();
    expect(() => dev.zeros([3])).toThrow(DeviceDestroyedError);
    expect(() => t.mul(2)).toThrow(DeviceDestroyedError);
    await expect(t.data()).rejects.toThrow(DeviceDestroyedError);
    expect(counts(dev.memory.stats())).toEqual(counts(before));
  });

  it('an uncaptured device error surfaces as DeviceError', async () => {
    const b = await createWebGpuBackend({});
    const x = b.createRaw(16);
    b.device.createBuffer({ size: 16, usage: 0 }); // invalid usage: a validation error nobody captures
    let err: unknown;
    for (let i = 0; i < 50 && !err; i++) {
      try {
        b.fill(x, 1, 4);
        await b.sync();
        await new Promise((r) => setTimeout(r, 10));
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(DeviceError);
    expect(String(err)).toMatch(/device error: .*usage/);
    expect(() => b.createRaw(16)).toThrow(DeviceError);
    b.destroyRaw(x);
    b.destroy();
  });
});
