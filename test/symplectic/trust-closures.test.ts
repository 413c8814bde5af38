/**
 * Parameters f reads from its closure, not passed as `params`, get their true gradient with every method
 * (compared with the same solve given explicit params, and with central differences); a tensor that f starts
 * reading only later throws UntrackedParameterError instead of a silent zero.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, UnusedInputError, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, UntrackedParameterError } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { centralDifference } from '../helpers/gradcheck.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const flat = async (ts: Tensor[]) => Float64Array.from((await Promise.all(ts.map(async (t) => Array.from(await t.data())))).flat());

function closureField() {
  const W = dev.tensor(randomData(4, 31).map((v) => v * 0.8), [2, 2], { requiresGrad: true });
  const b = dev.tensor(randomData(2, 32).map((v) => v * 0.3), [2], { requiresGrad: true });
  const f = (_t: number, y: Tensor) => dev.tidy(() => y.matmul(W).add(b).tanh());
  return { W, b, f };
}

async function lossAndGrads(gradient: (typeof GRADIENT_METHODS)[number], explicit: boolean) {
  const { W, b, f } = closureField();
  const y0 = dev.tensor(randomData(6, 33), [3, 2]);
  const ys = await odeint(f, y0, [0, 0.5, 1], { method: 'dopri5', rtol: 1e-9, atol: 1e-11, gradient, params: explicit ? [W, b] : undefined });
  const loss = dev.tidy(() => ys.square().sum());
  const gs = await flat(await grad(loss, [W, b]));
  const v = await loss.item();
  dev.dispose(W, b, y0, ys, loss);
  return { v, gs };
}

describe('closure parameters (no `params`) get their gradient', () => {
  for (const gradient of GRADIENT_METHODS) {
    it(`${gradient}: equals the explicit-params gradient, not zeros`, async () => {
      const implicit = await lossAndGrads(gradient, false);
      const explicit = await lossAndGrads(gradient, true);
      expect(implicit.gs.some((x) => Math.abs(x) > 1e-3)).toBe(true);
      expect(relErr(implicit.gs, explicit.gs)).toBeLessThan(1e-12);
    });
  }

  it('symplectic adjoint: central differences agree', async () => {
    const { gs } = await lossAndGrads('symplectic-adjoint', false);
    const { W, b, f } = closureField();
    const y0 = dev.tensor(randomData(6, 33), [3, 2]);
    const lossAt = async () => {
      const ys = await dev.noGrad(() => odeint(f, y0, [0, 0.5, 1], { method: 'dopri5', rtol: 1e-9, atol: 1e-11 }));
      const l = dev.tidy(() => ys.square().sum());
      const v = await l.item();
      dev.dispose(ys, l);
      return v;
    };
    for (const j of [0, 3]) expect(Math.abs((await centralDifference(W, j, lossAt, 1e-6)) - gs[j])).toBeLessThan(1e-6);
    dev.dispose(W, b, y0);
  });

  it('a tensor f reads only after its first evaluation throws UntrackedParameterError in backward', async () => {
    const { W, b } = closureField();
    const late = dev.tensor([0.5, -0.5], [2], { requiresGrad: true });
    const f = (t: number, y: Tensor) => dev.tidy(() => (t < 0.2 ? y.matmul(W).tanh() : y.matmul(W).add(late).add(b).tanh()));
    const y0 = dev.tensor(randomData(4, 3), [2, 2]);
    const base = dev.memory.stats();
    const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.1, gradient: 'symplectic-adjoint' });
    const loss = dev.tidy(() => ys.square().sum());
    await expect(grad(loss, [W])).rejects.toThrow(UntrackedParameterError);
    dev.dispose(ys, loss);
    const after = dev.memory.stats();
    expect([after.liveBytes, after.liveTensors, after.liveBuffers]).toEqual([base.liveBytes, base.liveTensors, base.liveBuffers]);
    dev.dispose(W, b, late, y0);
  });

  it('grad of an input the output does not depend on throws (allowUnused gives zeros)', async () => {
    const x = dev.tensor([1, 2], [2], { requiresGrad: true });
    const z = dev.tensor([3], [1], { requiresGrad: true });
    const s = x.square().sum();
    await expect(grad(s, [x, z], { retainGraph: true })).rejects.toThrow(UnusedInputError);
    const [gx, gz] = await grad(s, [x, z], { allowUnused: true });
    expect(Array.from(await gx.data())).toEqual([2, 4]);
    expect(Array.from(await gz.data())).toEqual([0]);
    dev.dispose(x, z, s, gx, gz);
  });
});
