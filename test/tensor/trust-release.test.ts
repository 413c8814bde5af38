/**
 * Release and failure paths: a 10⁵-op graph and a deep backprop-through-solver graph are freed without
 * recursion; every failed backward (backward twice, f throwing in backward, a bad custom VJP, NaN in the
 * adjoint) throws a typed error and, once the caller drops its handles, leaves the allocator at its baseline.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, customVjp, grad, GraphFreedError, ShapeError, type Device, type MemoryStats, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, NonFiniteGradientError, odeint } from '@sympode/symplectic';
import { randomData } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const counts = (s: MemoryStats) => [s.liveBytes, s.liveTensors, s.liveBuffers];

describe('deep graphs are released iteratively', () => {
  it('a chain of 10⁵ ops with intermediates disposed as it goes: released, and differentiated', async () => {
    const base = dev.memory.stats();
    const x = dev.tensor([0.5], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 100_000; i++) {
      const next = y.mul(1.000001);
      if (y !== x) y.dispose();
      y = next;
    }
    const [g] = await grad(y, [x], { retainGraph: true });
    expect(await g.item()).toBeCloseTo(Math.pow(1.000001, 100_000), 10);
    y.dispose(); // the whole chain goes at once
    dev.dispose(x, g);
    expect(counts(dev.memory.stats())).toEqual(counts(base));
  });

  it('backprop through 4000 euler steps: dropped without backward, then with backward', async () => {
    const { f, params, mlp } = mlpField(dev, [2, 4, 2], 3);
    const y0 = dev.tensor(randomData(4, 2), [2, 2], { requiresGrad: true });
    const base = dev.memory.stats();
    const opts = { method: 'euler', stepSize: 1 / 4000, gradient: 'backprop', params } as const;
    const ys = await odeint(f, y0, [0, 1], opts);
    ys.dispose();
    expect(counts(dev.memory.stats())).toEqual(counts(base));
    const ys2 = await odeint(f, y0, [0, 1], opts);
    const loss = weightedLoss(ys2);
    const gs = await grad(loss, [y0, ...params]);
    dev.dispose(ys2, loss, gs);
    expect(counts(dev.memory.stats())).toEqual(counts(base));
    y0.dispose();
    mlp.dispose();
  });
});

describe('a failed backward frees everything', () => {
  it('backward twice through a freed graph: GraphFreedError, nothing left', async () => {
    const base = dev.memory.stats();
    const x = dev.tensor([1, 2, 3], [3], { requiresGrad: true });
    const y = dev.tidy(() => x.exp().mul(x).sum());
    const [g] = await grad(y, [x]);
    await expect(grad(y, [x])).rejects.toThrow(GraphFreedError);
    dev.dispose(x, y, g);
    expect(counts(dev.memory.stats())).toEqual(counts(base));
  });

  for (const gradient of GRADIENT_METHODS) {
    it(`${gradient}: f throwing during backward propagates its error and leaks nothing`, async () => {
      const { f, params, mlp } = mlpField(dev, [2, 4, 2], 4);
      let armed = false;
      const g = (t: number, y: Tensor) => {
        if (armed) throw new RangeError('boom from f');
        return f(t, y);
      };
      const y0 = dev.tensor(randomData(4, 5), [2, 2], { requiresGrad: true });
      const base = dev.memory.stats();
      const ys = await odeint(g, y0, [0, 0.5, 1], { method: 'rk4', stepSize: 0.25, gradient, params });
      const loss = weightedLoss(ys);
      armed = gradient !== 'backprop'; // backprop's backward does not call f
      if (armed) await expect(grad(loss, [y0, ...params])).rejects.toThrow('boom from f');
      else dev.dispose(await grad(loss, [y0, ...params]));
      dev.dispose(ys, loss);
      expect(counts(dev.memory.stats())).toEqual(counts(base));
      y0.dispose();
      mlp.dispose();
    });
  }

  it('a custom VJP that throws, or returns the wrong shape: typed error, nothing left', async () => {
    const base = dev.memory.stats();
    const x = dev.tensor([1, 2, 3], [3], { requiresGrad: true });
    const mid = x.mul(2);
    const bad = customVjp('bad-shape', [mid], dev.noGrad(() => mid.square()), (gr) => [gr.sum()]);
    const loss = dev.tidy(() => bad.sum().add(mid.sum()));
    await expect(grad(loss, [x], { retainGraph: true })).rejects.toThrow(ShapeError);
    await expect(grad(loss, [x], { retainGraph: true })).rejects.toThrow(/backward of 'bad-shape' returned shape \[\] as the gradient of input 0 \(shape \[3\]\)/);
    const throwing = customVjp('throws', [mid], dev.noGrad(() => mid.square()), () => {
      throw new ShapeError('custom failure');
    });
    const loss2 = dev.tidy(() => throwing.sum().add(mid.sum()));
    await expect(grad(loss2, [x])).rejects.toThrow('custom failure');
    dev.dispose(x, mid, bad, loss, throwing, loss2);
    expect(counts(dev.memory.stats())).toEqual(counts(base));
  });

  for (const gradient of ['symplectic-adjoint', 'checkpoint', 'adjoint'] as const) {
    it(`${gradient}: a NaN produced in the backward pass is a NonFiniteGradientError naming the step`, async () => {
      // f(y) = sqrt(y) at y = 0: finite forward (f ≡ 0), infinite Jacobian: λ becomes NaN/∞ in backward.
      const W = dev.tensor([1], [1], { requiresGrad: true });
      const f = (_t: number, y: Tensor) => dev.tidy(() => y.abs().sqrt().mul(W));
      const y0 = dev.tensor([0, 0], [2, 1], { requiresGrad: true });
      const base = dev.memory.stats();
      const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.5, gradient });
      const loss = dev.tidy(() => ys.sum());
      await expect(grad(loss, [y0, W])).rejects.toThrow(NonFiniteGradientError);
      dev.dispose(ys, loss);
      expect(counts(dev.memory.stats())).toEqual(counts(base));
      if (gradient === 'adjoint') {
        // Its backward solve checks its own state in any case.
        dev.dispose(W, y0);
        return;
      }
      const ys2 = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.5, gradient, checkBackward: false });
      const loss2 = dev.tidy(() => ys2.sum());
      const gs = await grad(loss2, [y0, W]);
      expect((await gs[0].data()).some((v) => !Number.isFinite(v))).toBe(true); // what the check caught
      dev.dispose(ys2, loss2, gs, W, y0);
    });
  }
});

describe('tidy keeps what is returned inside Maps and Sets', () => {
  it('returns survive, the rest is freed', () => {
    const base = dev.memory.stats();
    const { m, s } = dev.tidy(() => {
      const a = dev.ones([2]);
      const b = a.mul(2);
      const c = b.add(1);
      a.mul(5); // dropped
      return { m: new Map([['b', b]]), s: new Set([c]) };
    });
    expect(m.get('b')!.isDisposed).toBe(false);
    expect([...s][0].isDisposed).toBe(false);
    expect(dev.memory.stats().liveTensors - base.liveTensors).toBe(2);
    dev.dispose(m.get('b'), [...s]);
    expect(counts(dev.memory.stats())).toEqual(counts(base));
  });
});
