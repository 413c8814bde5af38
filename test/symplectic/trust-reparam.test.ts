/**
 * Parameters computed outside f (A = −w², weight norm, A = −LLᵀ) get backprop's gradient from every method:
 * the solve treats them as its inputs and their own graph runs once, after it. And an in-place update of a
 * parameter or of y0 between forward and backward (an optimizer step before `grad`) throws
 * InPlaceModificationError naming the tensor and the op, with every method, instead of a silently wrong
 * gradient; a training loop that updates after `grad` is untouched.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, customVjp, grad, InPlaceModificationError, nn, optim, traceInputs, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, type GradientMethodName } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { centralDifference } from '../helpers/gradcheck.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const TS = [0, 0.5, 1];
const tol = (g: GradientMethodName) => (g === 'adjoint' ? 1e-6 : 1e-12);

/** Three reparametrisations of a 3×3 weight from a leaf w (and a scale g for weight norm). */
const REPARAMS: { name: string; build: (w: Tensor, g: Tensor) => Tensor }[] = [
  { name: 'A = −w ⊙ w', build: (w) => w.mul(w).neg() },
  { name: 'weight norm A = g · w / ‖w‖', build: (w, g) => w.mul(g).div(w.square().sum().sqrt()) },
  { name: 'A = −L·Lᵀ (stable)', build: (w) => w.matmul(w.transpose()).neg() },
];

async function gradients(gradient: GradientMethodName, build: (w: Tensor, g: Tensor) => Tensor, listA: boolean) {
  const w = dev.tensor(randomData(9, 11).map((v) => v * 0.6), [3, 3], { requiresGrad: true });
  const g = dev.tensor([1.3], [1], { requiresGrad: true });
  const A = dev.tidy(() => build(w, g));
  const y0 = dev.tensor(randomData(6, 12), [2, 3], { requiresGrad: true });
  const ys = await odeint((_t, y) => dev.tidy(() => y.matmul(A).tanh()), y0, TS, { method: 'dopri5', rtol: 1e-10, atol: 1e-12, gradient, params: listA ? [A] : undefined });
  const loss = dev.tidy(() => ys.square().sum());
  const gs = await grad(loss, [w, g, y0], { allowUnused: true });
  const out = (await Promise.all(gs.map(async (t) => Array.from(await t.data())))).flat();
  dev.dispose(w, g, A, y0, ys, loss, gs);
  return out;
}

describe('parameters computed outside f', () => {
  for (const r of REPARAMS) {
    it(`${r.name}: every method equals backprop, found in the closure or listed in params`, async () => {
      const base = dev.memory.stats();
      const ref = await gradients('backprop', r.build, false);
      expect(ref.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      for (const gradient of GRADIENT_METHODS) {
        for (const listA of [false, true]) expect(relErr(await gradients(gradient, r.build, listA), ref), `${gradient} ${listA}`).toBeLessThan(tol(gradient));
      }
      const s = dev.memory.stats();
      expect([s.liveBytes, s.liveTensors]).toEqual([base.liveBytes, base.liveTensors]);
    });
  }

  it('the symplectic adjoint agrees with central differences through A = −w ⊙ w', async () => {
    const gs = await gradients('symplectic-adjoint', REPARAMS[0].build, false);
    const w = dev.tensor(randomData(9, 11).map((v) => v * 0.6), [3, 3]);
    const y0 = dev.tensor(randomData(6, 12), [2, 3]);
    const lossAt = async () => {
      const A = dev.tidy(() => w.mul(w).neg());
      const ys = await dev.noGrad(() => odeint((_t, y) => dev.tidy(() => y.matmul(A).tanh()), y0, TS, { method: 'dopri5', rtol: 1e-10, atol: 1e-12 }));
      const v = await dev.tidy(() => ys.square().sum()).item();
      dev.dispose(A, ys);
      return v;
    };
    for (const j of [0, 4, 8]) expect(Math.abs((await centralDifference(w, j, lossAt, 1e-6)) - gs[j])).toBeLessThan(1e-6);
    dev.dispose(w, y0);
  });

  for (const gradient of GRADIENT_METHODS) {
    it(`${gradient}: A's own backward runs once per grad, not once per step`, async () => {
      const w = dev.tensor(randomData(9, 3), [3, 3], { requiresGrad: true });
      let calls = 0;
      // A = 2w through a custom op that counts its backward runs.
      const A = customVjp('count', [w], dev.noGrad(() => w.mul(2)), (g) => {
        calls++;
        return [g.mul(2)];
      });
      const y0 = dev.tensor(randomData(3, 4), [1, 3]);
      const ys = await odeint((_t, y) => dev.tidy(() => y.matmul(A).tanh()), y0, TS, { method: 'rk4', stepSize: 0.1, gradient });
      const loss = dev.tidy(() => ys.sum());
      const [gw] = await grad(loss, [w]);
      expect(calls).toBe(1);
      dev.dispose(w, A, y0, ys, loss, gw);
    });
  }

  it('traceInputs reports the leaves and the computed tensors a function reads, not what it makes', async () => {
    const w = dev.tensor([1, 2], [2], { requiresGrad: true });
    const A = w.mul(2);
    const c = dev.tensor([3, 4], [2]);
    const { value, inputs } = await traceInputs(() => {
      const inner = dev.tensor([1, 1], [2], { requiresGrad: true });
      return A.mul(c).add(w).add(inner).sum();
    });
    expect(inputs).toEqual([A, w]);
    dev.dispose(w, A, c, value);
  });
});

describe('in-place modification between forward and backward', () => {
  async function modifiedBetween(gradient: GradientMethodName, what: 'param' | 'y0' | 'state dict') {
    const lin = new nn.Linear(dev, 2, 2, { seed: 3 });
    const y0 = dev.tensor([0.5, -0.25], [1, 2], { requiresGrad: true });
    const opts = gradient === 'reversible' ? { method: 'reversible_heun' as const, stepSize: 0.1 } : { method: 'rk4' as const, stepSize: 0.1 };
    const ys = await odeint((_t, y) => dev.tidy(() => lin.forward(y).tanh()), y0, TS, { ...opts, gradient });
    const loss = dev.tidy(() => ys.square().sum());
    const base = dev.memory.stats();
    if (what === 'state dict') {
      lin.loadStateDict(await lin.stateDict());
    } else {
      const p = what === 'param' ? lin.parameters()[0] : y0;
      p.grad = dev.onesLike(p);
      new optim.SGD([p], { lr: 0.1 }).step();
      p.grad.dispose();
      p.grad = null;
    }
    const err = await grad(loss, [y0, ...lin.parameters()]).then(() => null, (e: unknown) => e);
    const after = dev.memory.stats();
    dev.dispose(ys, loss, y0);
    lin.dispose();
    return { err, leaked: after.liveBytes - base.liveBytes };
  }

  for (const gradient of [...GRADIENT_METHODS, 'reversible'] as GradientMethodName[]) {
    for (const what of ['param', 'y0', 'state dict'] as const) {
      it(`${gradient}: ${what} modified in place before grad throws InPlaceModificationError`, async () => {
        const { err, leaked } = await modifiedBetween(gradient, what);
        expect(err).toBeInstanceOf(InPlaceModificationError);
        const op = what === 'state dict' ? 'loadStateDict' : 'SGD.step';
        expect((err as Error).message).toMatch(new RegExp(`tensor #\\d+ \\(shape \\[[\\d, ]+\\]\\).*modified in place by ${op}`));
        // A failed backward frees what it allocated.
        expect(leaked).toBe(0);
      });
    }
  }

  it('a training loop (grad, then step, then the next solve) is unaffected', async () => {
    const lin = new nn.Linear(dev, 2, 2, { seed: 5 });
    const opt = new optim.Adam(lin.parameters(), { lr: 0.01 });
    const y0 = dev.tensor([0.5, -0.25], [1, 2]);
    for (let i = 0; i < 3; i++) {
      const ys = await odeint((_t, y) => dev.tidy(() => lin.forward(y).tanh()), y0, TS, { method: 'dopri5' });
      const loss = dev.tidy(() => ys.square().sum());
      await loss.backward();
      opt.step();
      opt.zeroGrad();
      dev.dispose(ys, loss);
    }
    opt.dispose();
    lin.dispose();
    y0.dispose();
  });
});
