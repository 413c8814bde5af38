/** Autograd semantics: grad-of-grad, .grad accumulation, graph freeing, custom VJPs. */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, customVjp, grad, GraphFreedError, InvalidArgumentError, nn, ShapeError, type Device, type Tensor } from '@sympode/tensor';
import { randomData, relErr } from '../helpers/reference.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

describe('higher-order gradients', () => {
  it('d²/dx² of x³ and of sin is exact', async () => {
    const x = dev.tensor([0.3, -1.2, 2], [3], { requiresGrad: true });
    const [g] = await grad(x.pow(3).sum(), [x], { createGraph: true });
    const [h] = await grad(g.sum(), [x]);
    expect(Array.from(await h.data())).toEqual([0.3, -1.2, 2].map((v) => 6 * v).map((v) => expect.closeTo(v, 12)));
    const [gs] = await grad(x.sin().sum(), [x], { createGraph: true });
    const [hs] = await grad(gs.sum(), [x]);
    expect(relErr(await hs.data(), [0.3, -1.2, 2].map((v) => -Math.sin(v)))).toBeLessThan(1e-14);
  });

  it('grad of grad of a small MLP matches central differences of its gradient', async () => {
    // φ(x) = Σ (∂/∂x Σ MLP(x))² ; compare ∂φ/∂x (second-order autograd) with differences of the first-order gradient.
    const mlp = new nn.MLP(dev, [3, 5, 2], 'tanh', { seed: 3 });
    const phi = async (xv: Float64Array, create: boolean): Promise<{ val: number; dphi?: Float64Array }> => {
      const x = dev.tensor(xv, [2, 3], { requiresGrad: true });
      const y = mlp.forward(x).sum();
      const [g] = await grad(y, [x], { createGraph: create });
      const p = g.square().sum();
      const val = await p.item();
      let dphi: Float64Array | undefined;
      if (create) {
        const [d] = await grad(p, [x]);
        dphi = Float64Array.from(await d.data());
        d.dispose();
      }
      dev.dispose(x, y, g, p);
      return { val, dphi };
    };
    const x0 = randomData(6, 11);
    const { dphi } = await phi(x0, true);
    const eps = 1e-6;
    const num = new Float64Array(6);
    for (let i = 0; i < 6; i++) {
      const xp = Float64Array.from(x0); xp[i] += eps;
      const xm = Float64Array.from(x0); xm[i] -= eps;
      num[i] = ((await phi(xp, false)).val - (await phi(xm, false)).val) / (2 * eps);
    }
    expect(relErr(dphi!, num)).toBeLessThan(1e-7);
    mlp.dispose();
  });
});

describe('backward()', () => {
  it('accumulates into .grad of leaves, and a second backward needs retainGraph', async () => {
    const w = dev.tensor([1, 2, 3], [3], { requiresGrad: true });
    const loss = w.square().sum();
    await loss.backward({ retainGraph: true });
    expect(Array.from(await w.grad!.data())).toEqual([2, 4, 6]);
    await loss.backward();
    expect(Array.from(await w.grad!.data())).toEqual([4, 8, 12]);
    await expect(loss.backward()).rejects.toThrow(GraphFreedError);
    dev.dispose(w, loss);
  });

  it('non-scalar outputs need gradOutput; inputs must require grad', async () => {
    const x = dev.tensor([1, 2], [2], { requiresGrad: true });
    const y = x.mul(3);
    await expect(grad(y, [x])).rejects.toThrow(ShapeError);
    const [g] = await grad(y, [x], { gradOutput: dev.tensor([1, -1]) });
    expect(Array.from(await g.data())).toEqual([3, -3]);
    const c = dev.tensor([1, 2]);
    await expect(grad(y.sum(), [c])).rejects.toThrow(InvalidArgumentError);
  });

  it('runs a deep chain (20000 ops) without stack overflow', async () => {
    const x = dev.tensor([1], [1], { requiresGrad: true });
    let y: Tensor = x;
    for (let i = 0; i < 20000; i++) y = y.mul(1.0001);
    const [g] = await grad(y.sum(), [x]);
    expect(await g.item()).toBeCloseTo(1.0001 ** 20000, 8);
  });
});

describe('customVjp', () => {
  it('uses the hand-written backward (async allowed) and releases on dispose', async () => {
    const x = dev.tensor([1, 2, 3], [3], { requiresGrad: true });
    let released = 0;
    const out = dev.noGrad(() => x.mul(2));
    const y = customVjp('double', [x], out, async (g) => [g.mul(2)], { onRelease: () => released++ });
    const [gx] = await grad(y.sum(), [x]);
    expect(Array.from(await gx.data())).toEqual([2, 2, 2]);
    expect(released).toBe(1); // freed by backward
    const y2 = customVjp('double', [x], dev.noGrad(() => x.mul(2)), (g) => [g.mul(2)], { onRelease: () => released++ });
    y2.dispose();
    expect(released).toBe(2); // freed with its output
  });
});
