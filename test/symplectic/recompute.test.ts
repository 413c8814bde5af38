/**
 * 'recompute' (the paper's baseline: keep y0, retake the solve with a graph in backward): its gradient equals
 * backprop's to ≤ 1e-12 relative (cpu float64, fixed and adaptive tableaus, decreasing time, second
 * derivatives), it holds nothing but y0 between forward and backward, and its backward peak grows per step
 * like backprop's graph, as its memory model says.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { combineTerms, createDevice, enableGrad, grad, type Device } from '@sympode/tensor';
import { GRADIENTS, getTableau, odeint, type GradientMethodName, type OdeintOptions } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { measureSolve, mlpField, weightedLoss } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

async function gradients(gradient: GradientMethodName, times: number[], extra: OdeintOptions) {
  const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
  const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
  const ys = await odeint(f, y0, times, { gradient, params, rtol: 1e-6, atol: 1e-8, ...extra });
  const loss = weightedLoss(ys);
  const gs = await grad(loss, [y0, ...params]);
  const out = await Promise.all(gs.map(async (g) => Float64Array.from(await g.data())));
  dev.dispose(y0, ys, loss, gs);
  mlp.dispose();
  return out;
}

describe('recompute = backprop (≤ 1e-12 relative)', () => {
  const times = [0, 0.3, 0.7, 1.2];
  const cases: [string, OdeintOptions, number[]][] = [
    ['dopri5', { method: 'dopri5' }, times],
    ['bosh3', { method: 'bosh3' }, times],
    ['tsit5', { method: 'tsit5' }, times],
    ['rk4, stepSize 0.1', { method: 'rk4', stepSize: 0.1 }, times],
    ['midpoint', { method: 'midpoint' }, times],
    ['dopri5, decreasing time', { method: 'dopri5' }, [...times].reverse()],
  ];
  for (const [label, opts, t] of cases) {
    it(label, async () => {
      const bp = await gradients('backprop', t, opts);
      const rc = await gradients('recompute', t, opts);
      rc.forEach((g, i) => expect(relErr(g, bp[i])).toBeLessThan(1e-12));
    });
  }

  it('second derivatives (a gradient penalty) equal backprop’s', async () => {
    const second = async (gradient: GradientMethodName) => {
      const { f, params, mlp } = mlpField(dev, [2, 6, 2], 7);
      const y0 = dev.tensor(randomData(4, 8), [2, 2], { requiresGrad: true });
      const ys = await odeint(f, y0, [0, 0.5, 1], { method: 'bosh3', gradient, params, rtol: 1e-6, atol: 1e-8 });
      const [gy0] = await grad(weightedLoss(ys), [y0], { createGraph: true });
      const penalty = enableGrad(() => gy0.square().sum());
      const gs = await grad(penalty, params);
      const out = await Promise.all(gs.map(async (g) => Float64Array.from(await g.data())));
      dev.dispose(ys, gy0, penalty, gs, y0);
      mlp.dispose();
      return out;
    };
    const bp = await second('backprop');
    const rc = await second('recompute');
    rc.forEach((g, i) => expect(relErr(g, bp[i])).toBeLessThan(1e-10));
  });
});

describe('recompute memory', () => {
  const BATCH = 8, DIM = 3;
  const S = BATCH * DIM * 8;

  /** Bytes between forward and backward (above the caller's), and the backward's peak, for N rk4 steps. */
  async function measure(gradient: GradientMethodName, N: number) {
    const m = await measureSolve(dev, [DIM, 16, 16, DIM], [0, 1], { method: 'rk4', stepSize: 1 / N, gradient });
    expect(m.stats.acceptedSteps).toBe(N);
    return { between: m.between, peak: m.backwardPeak };
  }

  it('holds nothing but y0 (shared) after the forward; its backward grows per step like backprop’s graph, as modelled', async () => {
    const Ns = [10, 20, 40];
    const rc = [], bp = [];
    for (const N of Ns) {
      rc.push(await measure('recompute', N));
      bp.push(await measure('backprop', N));
    }
    for (const r of rc) expect(r.between).toBe(0);
    // Ge of this f: what one recorded evaluation keeps alive.
    const { f, mlp } = mlpField(dev, [DIM, 16, 16, DIM], 2, false);
    const before = dev.memory.stats().liveBytes;
    const x = dev.tensor(randomData(BATCH * DIM, 1), [BATCH, DIM], { requiresGrad: true });
    const out = enableGrad(() => f(0, x));
    const Ge = dev.memory.stats().liveBytes - before;
    // Go: what releasing the output frees while a stage combination (which saves nothing) holds the graph.
    const next = enableGrad(() => combineTerms(x, [out], [0.1]));
    const held = dev.memory.stats().liveBytes;
    out.dispose();
    const Go = held - dev.memory.stats().liveBytes;
    dev.dispose(next, x);
    mlp.dispose();
    const fb = { S, P: 0, Ge, Go, Vf: 0, Xb: 0, elementBytes: 8 };
    const model = (N: number) => GRADIENTS.recompute.memoryModel({ tableau: getTableau('rk4'), N, T: 2 }, fb).total;
    for (let i = 1; i < Ns.length; i++) {
      const slope = (rc[i].peak - rc[i - 1].peak) / (Ns[i] - Ns[i - 1]);
      expect(slope).toBe((bp[i].peak - bp[i - 1].peak) / (Ns[i] - Ns[i - 1]));
      expect(slope).toBe((model(Ns[i]) - model(Ns[i - 1])) / (Ns[i] - Ns[i - 1]));
    }
  });
});
