/**
 * The PI/PID step-size controller: on a stiff problem (Prothero–Robinson, y' = −λ(y − cos t), λ = 500, whose
 * exact solution is known) explicit methods are limited by stability, and the integral controller oscillates
 * between accepted and rejected steps; the PI controller takes fewer steps at an equal or smaller error.
 * The step sequence is replayed by the per-step gradient methods, so their gradients stay exact.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { IntegralController, odeint, PIDController, type OdeintStats, type StepSizeController } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const LAMBDA = 500;
/** The exact solution of y' = −λ(y − cos t) from y(0) = y0. */
function exact(t: number, y0: number): number {
  const l2 = LAMBDA * LAMBDA;
  const particular = (s: number) => (l2 * Math.cos(s) + LAMBDA * Math.sin(s)) / (l2 + 1);
  return particular(t) + (y0 - particular(0)) * Math.exp(-LAMBDA * t);
}

async function stiffSolve(method: 'dopri5' | 'bosh3', rtol: number, controller: StepSizeController) {
  const y0v = [0, 1, 2];
  const y0 = dev.tensor(y0v, [1, 3]);
  const stats: Partial<OdeintStats> = {};
  const f = (t: number, y: Tensor) => dev.tidy(() => y.sub(Math.cos(t)).mul(-LAMBDA));
  const ys = await dev.noGrad(() => odeint(f, y0, [0, 2], { method, rtol, atol: rtol, controller, stats }));
  const v = Array.from(await ys.data()).slice(3);
  const err = Math.max(...v.map((x, i) => Math.abs(x - exact(2, y0v[i]))));
  dev.dispose(ys, y0);
  return { steps: stats.acceptedSteps! + stats.rejectedSteps!, accepted: stats.acceptedSteps!, rejected: stats.rejectedSteps!, nfe: stats.nfeForward!, err };
}

describe('PI controller on a stiff problem', () => {
  for (const [method, rtol] of [['dopri5', 1e-3], ['dopri5', 1e-5], ['bosh3', 1e-4]] as const) {
    it(`${method}, rtol ${rtol}: fewer steps and evaluations than the integral controller, error no larger`, async () => {
      const I = await stiffSolve(method, rtol, new IntegralController());
      const PI = await stiffSolve(method, rtol, new PIDController());
      expect(PI.steps).toBeLessThan(I.steps);
      expect(PI.nfe).toBeLessThan(I.nfe);
      expect(PI.rejected).toBeLessThan(I.rejected / 4);
      expect(PI.err).toBeLessThanOrEqual(I.err);
    });
  }
});

/**
 * Takes the steps ending at `ends` (a solve's stepEndTimes): backprop's forward, whose error estimates round
 * differently from the graph-free forward's, then differentiates the very steps the PI controller chose.
 */
function replayOf(t0: number, ends: readonly number[], outputs: readonly number[]): StepSizeController {
  let k = 0;
  // A step ending on an output time is made a hair longer so the loop clips it there, never short of it.
  const size = (i: number) => (ends[i] - (i === 0 ? t0 : ends[i - 1])) * (outputs.includes(ends[i]) ? 1 + 1e-12 : 1);
  return {
    initialStep: async () => size(0),
    adapt: () => ({ accept: true, next: size(++k) }),
  };
}

describe('gradients with the PI controller', () => {
  it('symplectic adjoint (budgeted or not) and checkpoint equal backprop through the same steps to 1e-12', async () => {
    const times = [0, 0.5, 1.5];
    const run = async (gradient: 'backprop' | 'symplectic-adjoint' | 'checkpoint', controller: StepSizeController, checkpoints?: number) => {
      const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
      const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
      const stats: Partial<OdeintStats> = {};
      const ys = await odeint(f, y0, times, { gradient, params, rtol: 1e-7, atol: 1e-9, controller, stats, checkpoints });
      const gs = await grad(weightedLoss(ys), [y0, ...params]);
      const flat = Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
      dev.dispose(ys, gs, y0);
      mlp.dispose();
      return { flat, stats };
    };
    const pid = new PIDController({ pcoeff: 0.3, icoeff: 0.4, dcoeff: 0.05 });
    const sa = await run('symplectic-adjoint', pid);
    expect(sa.stats.acceptedSteps).toBeGreaterThan(5);
    const bp = await run('backprop', replayOf(0, sa.stats.stepEndTimes!, times));
    expect(bp.stats.stepEndTimes!.length).toBe(sa.stats.stepEndTimes!.length);
    expect(relErr(sa.flat, bp.flat)).toBeLessThan(1e-12);
    for (const [m, c] of [['symplectic-adjoint', 3], ['checkpoint', undefined]] as const) {
      const r = await run(m, pid, c);
      expect(r.stats.stepEndTimes).toEqual(sa.stats.stepEndTimes);
      expect(relErr(r.flat, bp.flat)).toBeLessThan(1e-12);
    }
  });

  it('one instance serves several solves: each starts without error history', async () => {
    const ctl = new PIDController();
    const a = await stiffSolve('dopri5', 1e-4, ctl);
    const b = await stiffSolve('dopri5', 1e-4, ctl);
    expect(b).toEqual(a);
  });

  it('bad coefficients are typed errors', () => {
    expect(() => new PIDController({ pcoeff: 0, icoeff: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PIDController({ safety: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new PIDController({ factormax: 0.5 })).toThrow(InvalidArgumentError);
  });
});
