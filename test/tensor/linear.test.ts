/**
 * The fused linear layer act(x·Wᵀ + b) against the unfused composition (matmul, add, activation): bitwise on
 * cpu float64 (softplus's derivative to rounding), second derivatives to rounding; webgpu float32 against cpu float64
 * to float32 accuracy; and the dispatch counts of an MLP field (forward ≤ L + 1, one VJP ≤ 3L + 2) on both
 * backends.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createDevice, grad, linear, nn, type Device, type LinearActivation, type Tensor } from '@sympode/tensor';
import { randomData } from '../helpers/reference.js';
import { hasWebgpu, webgpuDevice } from '../helpers/devices.js';

const ACTS: LinearActivation[] = ['identity', 'tanh', 'relu', 'sigmoid', 'softplus'];

function unfused(x: Tensor, w: Tensor, b: Tensor, act: LinearActivation): Tensor {
  const z = x.matmul(w.transpose()).add(b);
  switch (act) {
    case 'tanh': return z.tanh();
    case 'relu': return z.relu();
    case 'sigmoid': return z.sigmoid();
    case 'softplus': return z.softplus();
    default: return z;
  }
}

/** The layer's output, the gradients of Σ y·v, and the gradients of ‖those gradients‖² (second order). */
async function run(dev: Device, layer: (x: Tensor, w: Tensor, b: Tensor) => Tensor, secondOrder: boolean, [m, k, n] = [5, 4, 3]) {
  return dev.tidy(async () => {
    const x = dev.tensor(randomData(m * k, 1), [m, k], { requiresGrad: true });
    const w = dev.tensor(randomData(n * k, 2), [n, k], { requiresGrad: true });
    const b = dev.tensor(randomData(n, 3), [n], { requiresGrad: true });
    const v = dev.tensor(randomData(m * n, 4), [m, n]);
    const y = layer(x, w, b);
    const loss = y.mul(v).sum();
    const gs = await grad(loss, [x, w, b], { createGraph: secondOrder });
    const out: Float64Array[] = [Float64Array.from(await y.data()), ...(await Promise.all(gs.map(async (g) => Float64Array.from(await g.data()))))];
    if (secondOrder) {
      const pen = gs.map((g) => g.square().sum()).reduce((a, c) => a.add(c));
      const hs = await grad(pen, [x, w, b], { allowUnused: true });
      for (const h of hs) out.push(Float64Array.from(await h.data()));
    }
    return out;
  });
}

const maxRel = (a: Float64Array, b: Float64Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
};

let cpu: Device;
beforeAll(async () => {
  cpu = await createDevice({ backend: 'cpu' });
});

describe('fused linear on cpu float64', () => {
  for (const act of ACTS) {
    it(`${act}: output, first and second derivatives equal the unfused composition`, async () => {
      const fused = await run(cpu, (x, w, b) => linear(x, w, b, act), true);
      const ref = await run(cpu, (x, w, b) => unfused(x, w, b, act), true);
      expect(fused.length).toBe(7);
      fused.forEach((f, i) => {
        // softplus's derivative is computed from its output (1 − exp(−y) instead of sigmoid(z)); second
        // derivatives (pieces 4–6) use the closed-form second derivative in y, equal to rounding.
        if ((act === 'softplus' && i > 0) || i >= 4) expect(maxRel(f, ref[i]), `piece ${i}`).toBeLessThan(1e-14);
        else expect(Array.from(f), `piece ${i}`).toEqual(Array.from(ref[i]));
      });
    });
  }

  it('batched input [2, 5, 4] and no bias', async () => {
    const x = cpu.tensor(randomData(40, 7), [2, 5, 4]);
    const w = cpu.tensor(randomData(12, 8), [3, 4]);
    const y = linear(x, w, null, 'tanh');
    expect(y.shape).toEqual([2, 5, 3]);
    const r = x.matmul(w.transpose()).tanh();
    expect(Array.from(await y.data())).toEqual(Array.from(await r.data()));
    cpu.dispose(x, w, y, r);
  });

  it('rejects mismatched shapes and unknown activations', () => {
    const x = cpu.zeros([2, 3]);
    const w = cpu.zeros([4, 3]);
    expect(() => linear(x, cpu.zeros([4, 2]), null)).toThrow(/features/);
    expect(() => linear(x, w, cpu.zeros([3]))).toThrow(/bias/);
    expect(() => linear(x, w, null, 'gelu' as LinearActivation)).toThrow(/unknown activation/);
  });
});

describe('fused linear on webgpu float32', () => {
  for (const act of ACTS) {
    it(`${act}: output and gradients match cpu float64 to float32 accuracy`, async ({ skip }) => {
      if (!(await hasWebgpu())) skip();
      const gpu = (await webgpuDevice())!;
      const got = await run(gpu, (x, w, b) => linear(x, w, b, act), false);
      const ref = await run(cpu, (x, w, b) => linear(x, w, b, act), false);
      got.forEach((g, i) => expect(maxRel(g, ref[i]), `piece ${i}`).toBeLessThan(2e-6));
    });
  }
});

describe('fused linear on webgpu, both kernel styles, several tiles', () => {
  for (const style of ['cpu', 'gpu'] as const) {
    it(`${style} style: [37, 70] · [45, 70]ᵀ (tanh) matches cpu float64`, async ({ skip }) => {
      if (!(await hasWebgpu())) skip();
      const gpu = (await webgpuDevice())!;
      const backend = gpu.backend as unknown as { kernelStyle: 'cpu' | 'gpu' };
      const before = backend.kernelStyle;
      backend.kernelStyle = style;
      try {
        const got = await run(gpu, (x, w, b) => linear(x, w, b, 'tanh'), false, [37, 70, 45]);
        const ref = await run(cpu, (x, w, b) => linear(x, w, b, 'tanh'), false, [37, 70, 45]);
        got.forEach((g, i) => expect(maxRel(g, ref[i]), `piece ${i}`).toBeLessThan(1e-5));
      } finally {
        backend.kernelStyle = before;
      }
    });
  }
});

/** Dispatches of one forward and of one VJP (gradient of y and of every parameter) of an MLP field. */
async function fieldDispatches(dev: Device, sizes: number[]) {
  const mlp = new nn.MLP(dev, sizes, 'tanh', { seed: 3 });
  const y = dev.tensor(randomData(8 * sizes[0], 9), [8, sizes[0]], { requiresGrad: true });
  const v = dev.tensor(randomData(8 * sizes[sizes.length - 1], 10), [8, sizes[sizes.length - 1]]);
  const c = dev.backend.counters;
  const d0 = c.dispatches;
  const out = mlp.forward(y);
  const d1 = c.dispatches;
  const gs = await grad(out, [y, ...mlp.parameters()], { gradOutput: v });
  const d2 = c.dispatches;
  dev.dispose(out, y, v, gs);
  mlp.dispose();
  return { forward: d1 - d0, vjp: d2 - d1 };
}

describe('dispatches of an L-layer MLP field', () => {
  for (const sizes of [[2, 50, 2], [2, 16, 16, 2], [3, 8, 8, 8, 3]]) {
    const L = sizes.length - 1;
    it(`cpu, ${L} layers: forward ≤ L + 1, VJP ≤ 3L + 2`, async () => {
      const n = await fieldDispatches(cpu, sizes);
      expect(n.forward).toBeLessThanOrEqual(L + 1);
      expect(n.vjp).toBeLessThanOrEqual(3 * L + 2);
    });
    it(`webgpu, ${L} layers: forward ≤ L + 1, VJP ≤ 3L + 2`, async ({ skip }) => {
      if (!(await hasWebgpu())) skip();
      const n = await fieldDispatches((await webgpuDevice())!, sizes);
      expect(n.forward).toBeLessThanOrEqual(L + 1);
      expect(n.vjp).toBeLessThanOrEqual(3 * L + 2);
    });
  }
});

describe('cpu float32 tanh', () => {
  it('stays within 2 float32 ulp of Math.tanh (the fast rational form)', async () => {
    const dev = await createDevice({ backend: 'cpu', dtype: 'float32' });
    const xs = Array.from({ length: 4001 }, (_, i) => (i - 2000) / 150);
    xs.push(1e-5, -3e-4, 5e-4, 7.9, 8.5, 9.5, 30, -30);
    const x = dev.tensor(xs, [xs.length]);
    const y = await x.tanh().data();
    const f32 = new Float32Array(xs);
    let worst = 0;
    f32.forEach((v, i) => (worst = Math.max(worst, Math.abs(y[i] - Math.tanh(v)) / Math.max(Math.abs(Math.tanh(v)), 1e-30))));
    expect(worst).toBeLessThan(2 * 2 ** -23 + 1e-9);
    dev.destroy();
  });
});
