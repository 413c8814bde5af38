/**
 * Reversible Runge–Kutta (method 'reversible', McCallum & Foster 2024) on any explicit base tableau: its
 * gradient ('reversible', from the final two states, each step inverted algebraically) equals backprop
 * through the same discrete solve to ≤ 1e-12 relative in float64, for the rk4, dopri5, tsit5 and dopri8
 * bases and couplings 0.999 and 0.5, and with adaptive steps (rejections included) for the adaptive bases;
 * its peak memory does not depend on the number of steps, to the byte (N = 10, 40, 160, and across
 * tolerances); it converges at the base tableau's order; options are checked by name.
 */
import { describe, expect, it } from 'vitest';
import { createDevice, grad, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { getTableau, GRADIENTS, odeint, type OdeintOptions, type TableauName } from '@sympode/symplectic';
import { reversibleRkTableau } from '../../packages/symplectic/src/reversible-rk.js';
import { mlpField } from '../helpers/mlp-ode.js';
import { randomData, relErr } from '../helpers/reference.js';

async function lossAndGrads(dev: Device, opts: OdeintOptions, N = 12) {
  const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
  const y0 = dev.tensor(randomData(8, 7), [4, 2], { requiresGrad: true });
  const stats: { gradient?: string; nfeForward?: number; nfeBackward?: number } = {};
  const ys = await odeint(f, y0, [0, 0.4, 1.2], { stepSize: 1.2 / N, params, stats, ...opts });
  const loss = dev.tidy(() => ys.square().sum());
  const gs = await grad(loss, [y0, ...params]);
  const flat = Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
  const out = { loss: await loss.item(), flat, ys: await ys.data(), stats };
  dev.dispose(ys, loss, gs, y0);
  mlp.dispose();
  return out;
}

describe("method 'reversible': reversible Runge–Kutta on a base tableau", () => {
  const bases: TableauName[] = ['rk4', 'dopri5', 'tsit5', 'dopri8'];
  for (const base of bases) {
    for (const coupling of [0.999, 0.5]) {
      it(`${base}, λ = ${coupling}: the reversible gradient = backprop through the same solve (≤ 1e-12)`, async () => {
        const dev = await createDevice({ backend: 'cpu' });
        const rev = await lossAndGrads(dev, { method: 'reversible', base, coupling, gradient: 'reversible' });
        const bp = await lossAndGrads(dev, { method: 'reversible', base, coupling, gradient: 'backprop' });
        expect(rev.stats.gradient).toBe('reversible');
        expect(bp.stats.gradient).toBe('backprop');
        // Forward: two base steps per step (2s evaluations); backward: the two inverse base steps, and the two
        // rebuilt with a graph (an FSAL tableau's last stage skipped there: it feeds neither y1 nor the VJP).
        const tab = getTableau(base);
        const s = tab.b.length;
        expect(rev.stats.nfeForward).toBe(12 * 2 * s);
        expect(rev.stats.nfeBackward).toBe(12 * (2 * s + 2 * (tab.fsal ? s - 1 : s)));
        expect(rev.loss).toBe(bp.loss); // the same forward floats
        expect(relErr(rev.flat, bp.flat)).toBeLessThanOrEqual(1e-12);
        dev.destroy();
      });
    }
  }

  for (const base of ['dopri5', 'tsit5', 'dopri8'] as TableauName[]) {
    it(`${base}, adaptive steps (no stepSize): the reversible gradient = backprop through the same steps (≤ 1e-12)`, async () => {
      const dev = await createDevice({ backend: 'cpu' });
      const run = async (gradient: 'reversible' | 'backprop') => {
        const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
        const y0 = dev.tensor(randomData(8, 7), [4, 2], { requiresGrad: true });
        const stats: { acceptedSteps?: number; rejectedSteps?: number; stepEndTimes?: number[] } = {};
        // A first step far too large for the tolerance: the controller rejects and retries from the same z.
        const tol = base === 'dopri8' ? 1e-13 : 1e-11;
        const ys = await odeint(f, y0, [0, 0.4, 1.2], { method: 'reversible', base, rtol: tol, atol: tol, firstStep: 1, params, gradient, stats });
        const loss = dev.tidy(() => ys.square().sum());
        const gs = await grad(loss, [y0, ...params]);
        const flat = Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
        const out = { loss: await loss.item(), flat, stats };
        dev.dispose(ys, loss, gs, y0);
        mlp.dispose();
        return out;
      };
      const rev = await run('reversible');
      const bp = await run('backprop');
      expect(rev.stats.acceptedSteps).toBeGreaterThan(2); // more than the two output intervals
      expect(rev.stats.rejectedSteps).toBeGreaterThan(0);
      // The same accepted and rejected steps.
      expect([rev.stats.acceptedSteps, rev.stats.rejectedSteps, rev.stats.stepEndTimes]).toEqual([bp.stats.acceptedSteps, bp.stats.rejectedSteps, bp.stats.stepEndTimes]);
      expect(rev.loss).toBe(bp.loss);
      expect(relErr(rev.flat, bp.flat)).toBeLessThanOrEqual(1e-12);
      dev.destroy();
    });
  }

  it('adaptive: a tighter tolerance takes more steps at the same peak memory, to the byte', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
    const y0 = dev.tensor(randomData(8, 7), [4, 2], { requiresGrad: true });
    const res: { steps: number; peak: number }[] = [];
    for (const tol of [1e-4, 1e-7, 1e-10]) {
      const base = dev.memory.stats().liveBytes;
      dev.memory.resetPeak();
      const stats: { acceptedSteps?: number } = {};
      const ys = await odeint(f, y0, [0, 1], { method: 'reversible', base: 'dopri5', rtol: tol, atol: tol, params, stats });
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...params]);
      res.push({ steps: stats.acceptedSteps!, peak: dev.memory.stats().peakBytes - base });
      dev.dispose(ys, loss, gs);
      expect(dev.memory.stats().liveBytes).toBe(base);
    }
    expect(res[2].steps).toBeGreaterThan(2 * res[0].steps);
    expect(res[1].peak).toBe(res[0].peak);
    expect(res[2].peak).toBe(res[0].peak);
    dev.dispose(y0);
    mlp.dispose();
  });

  it('peak memory of forward + backward does not depend on N (10, 40, 160), to the byte', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
    const y0 = dev.tensor(randomData(8, 7), [4, 2], { requiresGrad: true });
    const peaks: number[] = [];
    for (const N of [10, 40, 160]) {
      const base = dev.memory.stats().liveBytes;
      dev.memory.resetPeak();
      const ys = await odeint(f, y0, [0, 1], { method: 'reversible', base: 'dopri5', stepSize: 1 / N, params });
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...params]);
      peaks.push(dev.memory.stats().peakBytes - base);
      dev.dispose(ys, loss, gs);
      expect(dev.memory.stats().liveBytes).toBe(base);
    }
    expect(peaks[1]).toBe(peaks[0]);
    expect(peaks[2]).toBe(peaks[0]);
    // Backprop through the same solver keeps every step's graph: its peak grows with N.
    const bpPeak = async (N: number) => {
      const base = dev.memory.stats().liveBytes;
      dev.memory.resetPeak();
      const ys = await odeint(f, y0, [0, 1], { method: 'reversible', base: 'dopri5', stepSize: 1 / N, params, gradient: 'backprop' });
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...params]);
      dev.dispose(ys, loss, gs);
      return dev.memory.stats().peakBytes - base;
    };
    expect(await bpPeak(40)).toBeGreaterThan(3 * (await bpPeak(10)));
    dev.dispose(y0);
    mlp.dispose();
  });

  it("converges at the base tableau's order (rk4: error at t = 1 falls ≈ 16× per halving of h)", async () => {
    const dev = await createDevice({ backend: 'cpu' });
    // y' = −y + sin(t) · y² on a batch: a nonlinear, non-stiff test problem.
    const f = (t: number, y: Tensor) => dev.tidy(() => y.neg().add(y.square().mul(Math.sin(t))));
    const y0 = dev.tensor([0.5, -0.3, 0.8], [3]);
    const ref = await odeint(f, y0, [0, 1], { method: 'dopri8', rtol: 1e-13, atol: 1e-13 });
    const want = Array.from(await ref.data()).slice(3);
    const errs: number[] = [];
    for (const N of [8, 16, 32]) {
      const ys = await odeint(f, y0, [0, 1], { method: 'reversible', base: 'rk4', stepSize: 1 / N });
      const got = Array.from(await ys.data()).slice(3);
      errs.push(Math.max(...got.map((v, i) => Math.abs(v - want[i]))));
      ys.dispose();
    }
    for (let i = 1; i < errs.length; i++) expect(errs[i - 1] / errs[i]).toBeGreaterThan(11);
    dev.dispose(ref, y0);
    dev.destroy();
  });

  it("linear stability on y' = μy: the solve follows the step matrix's powers; λ = 0.5 damps what λ = 0.999 lets grow", async () => {
    // With R the base's stability function (rk4: Σ_{j≤4} x^j/j!), one step maps (y, z) by
    // M = [[λ, R(hμ) − λ], [(1 − R(−hμ))λ, 1 + (1 − R(−hμ))(R(hμ) − λ)]]: the spurious mode grows unless λ is
    // small enough for the step (the region of stability shrinks as λ → 1).
    const dev = await createDevice({ backend: 'cpu' });
    const mu = -1;
    const h = 0.5;
    const N = 60;
    const R = (x: number) => 1 + x + x ** 2 / 2 + x ** 3 / 6 + x ** 4 / 24;
    const f = (_t: number, y: Tensor) => y.mul(mu);
    const y0 = dev.tensor([1], [1]);
    const times = Array.from({ length: N + 1 }, (_, n) => n * h);
    const finals: Record<number, number> = {};
    for (const lam of [0.5, 0.999]) {
      const ys = Array.from(await (await odeint(f, y0, times, { method: 'reversible', base: 'rk4', coupling: lam, stepSize: h })).data());
      let [y, z] = [1, 1];
      const want = [1];
      for (let n = 0; n < N; n++) {
        const y1 = lam * y + (R(h * mu) - lam) * z;
        z = z + (1 - R(-h * mu)) * y1;
        y = y1;
        want.push(y);
      }
      for (let n = 0; n <= N; n++) expect(Math.abs(ys[n] - want[n])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[n])));
      finals[lam] = Math.abs(ys[N]);
    }
    expect(finals[0.5]).toBeLessThan(1e-3); // decays, as e^{μt} does
    expect(finals[0.999]).toBeGreaterThan(1e3); // the spurious mode: ρ(M) ≈ 1.65 per step at hμ = −0.5
    dev.destroy();
  });

  it('its memory model is not written yet: a typed error, not a guess', () => {
    const tab = reversibleRkTableau(getTableau('rk4'), 0.999);
    expect(() => GRADIENTS.reversible.memoryModel({ tableau: tab, N: 10, T: 2 }, { S: 64, P: 100, Ge: 10, Go: 1, Vf: 10, Xb: 10, elementBytes: 8 }))
      .toThrow(/memory model of 'reversible\(rk4\)' is not written yet/);
  });

  it('options: base and coupling only with method reversible; coupling in (0, 1]; an unknown base named', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const y0 = dev.tensor([1, 2], [2]);
    const f = (_t: number, y: Tensor) => y.neg();
    await expect(odeint(f, y0, [0, 1], { method: 'rk4', base: 'rk4', stepSize: 0.1 })).rejects.toThrow(/base is an option of method 'reversible'/);
    await expect(odeint(f, y0, [0, 1], { coupling: 0.9 })).rejects.toThrow(InvalidArgumentError);
    for (const c of [0, -0.5, 1.5, NaN]) {
      await expect(odeint(f, y0, [0, 1], { method: 'reversible', coupling: c, stepSize: 0.1 })).rejects.toThrow(/coupling must be a number in \(0, 1\]/);
    }
    await expect(odeint(f, y0, [0, 1], { method: 'reversible', base: 'nope' as TableauName, stepSize: 0.1 })).rejects.toThrow(/nope/);
    await expect(odeint(f, y0, [0, 1], { method: 'reversible', gradient: 'symplectic-adjoint', stepSize: 0.1 })).rejects.toThrow(/differentiated by 'reversible' or 'backprop'/);
    dev.destroy();
  });
});
