/**
 * What the caller owns stays theirs, whatever f returns: its input y, a captured constant, a captured
 * parameter, a view of y. Every gradient method × a fixed and an adaptive tableau gives backprop's values
 * and gradients (the continuous adjoint to its tolerance), the user's tensors stay alive and unchanged, and
 * nothing leaks. A parameter listed twice is one parameter.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, type GradientMethodName, type OdeintOptions } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { hasWebgpu, webgpuDevice } from '../helpers/devices.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const TS = [0, 0.4, 1];
const TABLEAUS: { name: string; opts: OdeintOptions }[] = [
  { name: 'rk4 (fixed)', opts: { method: 'rk4', stepSize: 0.1 } },
  { name: 'dopri5 (adaptive)', opts: { method: 'dopri5', rtol: 1e-8, atol: 1e-10 } },
];
/** Exact methods match backprop to rounding; the continuous adjoint only to its own solve's accuracy. */
const tol = (g: GradientMethodName, exact = 1e-12) => (g === 'adjoint' ? 1e-5 : exact);

/** A field that returns something the caller owns, with the tensors it captures. */
interface Case {
  name: string;
  make: (d: Device) => { f: (t: number, y: Tensor) => Tensor; owned: Tensor[]; wrt: Tensor[] };
}
const CASES: Case[] = [
  { name: 'f returns y', make: () => ({ f: (_t, y) => y, owned: [], wrt: [] }) },
  {
    name: 'f returns a captured constant',
    make: (d) => {
      const c = d.tensor([0.5, -1.5, 2, 0.25], [2, 2]);
      return { f: () => c, owned: [c], wrt: [] };
    },
  },
  {
    name: 'f returns a captured parameter',
    make: (d) => {
      const p = d.tensor([1, 2, -0.5, 0.75], [2, 2], { requiresGrad: true });
      return { f: () => p, owned: [p], wrt: [p] };
    },
  },
  { name: 'f returns a view of y', make: () => ({ f: (_t, y) => y.reshape([4]).reshape([2, 2]), owned: [], wrt: [] }) },
];

async function solve(d: Device, c: Case, gradient: GradientMethodName, opts: OdeintOptions) {
  const { f, owned, wrt } = c.make(d);
  const y0 = d.tensor([0.3, -0.2, 0.1, 0.4], [2, 2], { requiresGrad: true });
  const before = await Promise.all([y0, ...owned].map(async (t) => Array.from(await t.data())));
  const ys = await odeint(f, y0, TS, { ...opts, gradient });
  const loss = d.tidy(() => ys.mul(ys).sum());
  const gs = await grad(loss, [y0, ...wrt]);
  const values = Array.from(await ys.data());
  const grads = (await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat();
  // The caller's tensors: alive, and holding what they held.
  const alive = [y0, ...owned].map((t) => !t.isDisposed);
  const after = await Promise.all([y0, ...owned].map(async (t) => Array.from(await t.data())));
  d.dispose(ys, loss, gs, y0, owned);
  return { values, grads, alive, unchanged: JSON.stringify(before) === JSON.stringify(after) };
}

describe('f returning what the caller owns: every method, fixed and adaptive', () => {
  for (const c of CASES) {
    for (const tb of TABLEAUS) {
      it(`${c.name}, ${tb.name}`, async () => {
        const base = dev.memory.stats();
        const ref = await solve(dev, c, 'backprop', tb.opts);
        expect(ref.alive.every(Boolean)).toBe(true);
        expect(ref.unchanged).toBe(true);
        for (const gradient of GRADIENT_METHODS) {
          const r = await solve(dev, c, gradient, tb.opts);
          expect(r.alive, gradient).toEqual(ref.alive);
          expect(r.unchanged, gradient).toBe(true);
          expect(relErr(r.values, ref.values), gradient).toBeLessThan(1e-14);
          expect(relErr(r.grads, ref.grads), gradient).toBeLessThan(tol(gradient));
        }
        const s = dev.memory.stats();
        expect([s.liveBytes, s.liveTensors]).toEqual([base.liveBytes, base.liveTensors]);
      });
    }
  }

  it('reversible_heun with the reversible method: f returning y or a captured parameter', async () => {
    for (const c of [CASES[0], CASES[2]]) {
      const opts: OdeintOptions = { method: 'reversible_heun', stepSize: 0.1 };
      const ref = await solve(dev, c, 'backprop', opts);
      const r = await solve(dev, c, 'reversible', opts);
      expect(r.alive.every(Boolean) && r.unchanged).toBe(true);
      expect(relErr(r.grads, ref.grads)).toBeLessThan(1e-12);
    }
  });

  it('the values are right: f = y gives y0·e^t, f = p gives y0 + p·t (dopri5)', async () => {
    const y = await solve(dev, CASES[0], 'symplectic-adjoint', TABLEAUS[1].opts);
    const y0 = [0.3, -0.2, 0.1, 0.4];
    expect(relErr(y.values, TS.flatMap((t) => y0.map((v) => v * Math.exp(t))))).toBeLessThan(1e-8);
    const p = await solve(dev, CASES[2], 'symplectic-adjoint', TABLEAUS[1].opts);
    const pv = [1, 2, -0.5, 0.75];
    expect(relErr(p.values, TS.flatMap((t) => y0.map((v, i) => v + pv[i] * t)))).toBeLessThan(1e-14);
  });

  it('decreasing time: f returning a captured parameter leaves it alive', async () => {
    const p = dev.tensor([1, 2], [2], { requiresGrad: true });
    const ys = await odeint(() => p, dev.tensor([0, 0]), [1, 0], { method: 'euler', stepSize: 0.25 });
    const [g] = await grad(ys.sum(), [p]);
    expect(p.isDisposed).toBe(false);
    expect(Array.from(await g.data())).toEqual([-1, -1]);
    dev.dispose(ys, g, p);
  });
});

describe('a parameter listed twice is one parameter', () => {
  async function gradOf(gradient: GradientMethodName, params: (W: Tensor, b: Tensor) => Tensor[] | undefined) {
    const W = dev.tensor(randomData(4, 7).map((v) => v * 0.8), [2, 2], { requiresGrad: true });
    const b = dev.tensor([0.1, -0.2], [2], { requiresGrad: true });
    const y0 = dev.tensor(randomData(6, 8), [3, 2]);
    const ys = await odeint((_t, y) => dev.tidy(() => y.matmul(W).add(b).tanh()), y0, TS, { method: 'dopri5', rtol: 1e-9, atol: 1e-11, gradient, params: params(W, b) });
    const loss = dev.tidy(() => ys.square().sum());
    const gs = await grad(loss, [W, b]);
    const out = (await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat();
    dev.dispose(W, b, y0, ys, loss, gs);
    return out;
  }

  for (const gradient of GRADIENT_METHODS) {
    it(`${gradient}: params [W, W, b], [W, b, W] and [W] (+ closure b) all give backprop's gradient`, async () => {
      const ref = await gradOf('backprop', () => undefined);
      for (const p of [(W: Tensor, b: Tensor) => [W, W, b], (W: Tensor, b: Tensor) => [W, b, W], (W: Tensor) => [W, W]]) {
        expect(relErr(await gradOf(gradient, p), ref)).toBeLessThan(tol(gradient, 1e-11));
      }
    });
  }
});

describe.runIf(await hasWebgpu())('webgpu: f returning what the caller owns', () => {
  it('y and a captured parameter stay alive, gradients equal backprop', async () => {
    const gpu = (await webgpuDevice())!;
    for (const c of [CASES[0], CASES[2]]) {
      const ref = await solve(gpu, c, 'backprop', TABLEAUS[0].opts);
      for (const gradient of ['symplectic-adjoint', 'checkpoint'] as const) {
        const r = await solve(gpu, c, gradient, TABLEAUS[0].opts);
        expect(r.alive.every(Boolean) && r.unchanged).toBe(true);
        expect(relErr(r.grads, ref.grads)).toBeLessThan(1e-5);
      }
    }
  });
});

describe('a solve inside dev.tidy leaves nothing behind', () => {
  for (const gradient of [...GRADIENT_METHODS, 'reversible'] as GradientMethodName[]) {
    it(`${gradient}: the kept checkpoints go with the tidy (f reading a parameter, and f returning y)`, async () => {
      const W = dev.tensor([0.1, 0.2, 0.3, -0.1], [2, 2], { requiresGrad: true });
      const y0 = dev.tensor([1, 2], [1, 2], { requiresGrad: true });
      const opts: OdeintOptions = gradient === 'reversible' ? { method: 'reversible_heun', stepSize: 0.25, gradient } : { method: 'dopri5', gradient };
      for (const f of [(_t: number, y: Tensor) => y.matmul(W).tanh(), (_t: number, y: Tensor) => y]) {
        const base = dev.memory.stats();
        const v = await dev.tidy(async () => (await odeint(f, y0, [0, 0.5, 1], opts)).sum().item());
        expect(Number.isFinite(v)).toBe(true);
        const s = dev.memory.stats();
        expect([s.liveBytes, s.liveTensors]).toEqual([base.liveBytes, base.liveTensors]);
      }
      dev.dispose(W, y0);
    });
  }
});
