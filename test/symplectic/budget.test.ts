/**
 * A checkpoint budget (`checkpoints: c`): the per-step methods keep at most c step states and recompute the
 * others during backward. Gradients equal the unbudgeted ones (≤ 1e-12 relative, every tableau, fixed and
 * adaptive steps); for fixed steps the recomputed steps are revolve's optimum (checked against a brute-force
 * dynamic programme); the backward peak is the memory model's prediction to the byte and grows with c, not N.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, enableGrad, grad, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENTS, getTableau, odeint, revolveCost, TABLEAU_NAMES, TABLEAUS, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';
import { webgpuDevice } from '../helpers/devices.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

async function gradients(opts: OdeintOptions, retain = false) {
  const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
  const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const ys = await odeint(f, y0, [0, 0.3, 0.7, 1.2], { params, rtol: 1e-4, atol: 1e-6, stats, ...opts });
  const loss = weightedLoss(ys);
  const flat = async (gs: Tensor[]) => Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
  const gs = await grad(loss, [y0, ...params], { retainGraph: retain });
  const out = { g: await flat(gs), stats: { ...stats }, again: null as Float64Array | null };
  if (retain) {
    const gs2 = await grad(loss, [y0, ...params]);
    out.again = await flat(gs2);
    dev.dispose(gs2);
  }
  dev.dispose(y0, ys, loss, gs);
  mlp.dispose();
  return out;
}

describe('gradients under a checkpoint budget equal the unbudgeted ones (≤ 1e-12 relative)', () => {
  for (const name of TABLEAU_NAMES) {
    // Tolerances that make each adaptive tableau take ~10–50 steps (some rejected); fixed: 24 steps.
    const tab = TABLEAUS[name];
    const rtol = tab.order <= 2 ? 1e-4 : tab.order === 3 ? 1e-6 : tab.order < 7 ? 1e-9 : 1e-12;
    const variant: OdeintOptions = tab.adaptive ? { rtol, atol: rtol / 100 } : { stepSize: 0.05 };
    it(`${name}, ${TABLEAUS[name].adaptive ? 'adaptive' : 'fixed steps'}`, async () => {
      for (const gradient of ['symplectic-adjoint', 'checkpoint'] as const) {
        const full = await gradients({ method: name, gradient, ...variant });
        for (const c of gradient === 'checkpoint' ? [3] : [2, 5]) {
          const b = await gradients({ method: name, gradient, checkpoints: c, ...variant });
          expect(b.stats.acceptedSteps).toBe(full.stats.acceptedSteps);
          expect(relErr(b.g, full.g)).toBeLessThan(1e-12);
          expect(b.stats.recomputedSteps).toBeGreaterThan(0);
          if (!TABLEAUS[name].adaptive) expect(b.stats.recomputedSteps).toBe(revolveCost(full.stats.acceptedSteps!, c) - (full.stats.acceptedSteps! - 1));
        }
      }
    });
  }
});

/** t(l, s) by brute force over every first split (Griewank's recursion), independent of revolve.ts. */
function bruteRevolve(N: number, c: number): number {
  const t: number[][] = Array.from({ length: N + 1 }, () => new Array<number>(c + 1).fill(Infinity));
  for (let s = 1; s <= c; s++) t[1][s] = 0;
  for (let l = 2; l <= N; l++) {
    t[l][1] = t[l - 1][1] + (l - 1); // one snapshot: advance to the last step from the start every time
    for (let s = 2; s <= c; s++) {
      for (let j = 1; j < l; j++) t[l][s] = Math.min(t[l][s], j + t[l - j][s - 1] + t[j][s]);
    }
  }
  return t[N][c];
}

const BATCH = 8, DIM = 3;

/** The peak of one VJP of f above its inputs (the model's Vf), measured as the bench measures it. */
async function vjpPeak(f: (t: number, y: Tensor) => Tensor, params: Tensor[]): Promise<number> {
  const y = dev.tensor(randomData(BATCH * DIM, 2), [BATCH, DIM]);
  const kappa = dev.tensor(randomData(BATCH * DIM, 3), [BATCH, DIM]);
  dev.memory.resetPeak();
  const base = dev.memory.stats().liveBytes;
  const leaf = y.detach();
  leaf.requiresGrad = true;
  const o = enableGrad(() => f(0, leaf));
  const gs = await grad(o, [leaf, ...params], { gradOutput: kappa });
  const peak = dev.memory.stats().peakBytes - base;
  dev.dispose(o, leaf, gs, y, kappa);
  return peak;
}

async function budgetedPeak(N: number, c: number | undefined, gradient: 'symplectic-adjoint' | 'checkpoint' = 'symplectic-adjoint') {
  const start = dev.memory.stats().liveBytes;
  const { f, params, mlp } = mlpField(dev, [DIM, 16, 16, DIM], 2, false);
  const Vf = await vjpPeak(f, params);
  const y0 = dev.tensor(randomData(BATCH * DIM, 4), [BATCH, DIM], { requiresGrad: true });
  const g = dev.tensor(randomData(2 * BATCH * DIM, 5), [2, BATCH, DIM]);
  const stats: Partial<OdeintStats> = {};
  // Peak above what the caller holds (y0, θ, the cotangent), from the solve through the backward.
  const held = dev.memory.stats().liveBytes;
  const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 1 / N, params, stats, checkpoints: c, gradient });
  dev.memory.resetPeak();
  const gs = await grad(ys, [y0, ...params], { gradOutput: g });
  const peak = dev.memory.stats().peakBytes - held;
  dev.dispose(ys, gs, y0, g);
  mlp.dispose();
  // Everything the solve and its backward made is freed.
  expect(dev.memory.stats().liveBytes).toBe(start);
  const S = BATCH * DIM * 8;
  const P = params.reduce((n, p) => n + p.size * 8, 0);
  const model = GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('rk4'), N, T: 2, checkpoints: c }, { S, P, Vf, Ge: 0, Go: 0, Xb: 0, elementBytes: 8 });
  return { peak, model, stats };
}

describe('fixed steps: revolve', () => {
  it('recomputes exactly revolve’s optimum (brute-force programme and closed form); the peak is the model’s to the byte, grows by one state per snapshot and not with N', async () => {
    const S = BATCH * DIM * 8;
    const N = 256;
    const peaks: number[] = [];
    for (const c of [4, 8, 16]) {
      const r = await budgetedPeak(N, c);
      expect(revolveCost(N, c)).toBe(bruteRevolve(N, c));
      // The forward solve advanced N − 1 of the steps revolve counts; the backward replays the rest.
      expect(r.stats.recomputedSteps).toBe(bruteRevolve(N, c) - (N - 1));
      // rk4 (no FSAL): four evaluations per replayed step, inside the backward's count.
      expect(r.stats.recomputedNfe).toBe(4 * r.stats.recomputedSteps!);
      expect(r.stats.nfeBackward).toBeGreaterThan(r.stats.recomputedNfe!);
      expect(r.peak).toBe(r.model.total);
      expect(r.model.terms.checkpoints).toBe(c * S);
      expect(r.model.hostBytes).toBe(16 * N);
      peaks.push(r.peak);
    }
    expect(peaks[1] - peaks[0]).toBe(4 * S);
    expect(peaks[2] - peaks[1]).toBe(8 * S);
    // test/symplectic/memory.test.ts checks the unbudgeted model; here it is the reference.
    const fb = { S, P: 0, Vf: 0, Ge: 0, Go: 0, Xb: 0, elementBytes: 8 };
    const unbudgeted = GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('rk4'), N, T: 2 }, fb).total;
    const budgeted = GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('rk4'), N, T: 2, checkpoints: 16 }, fb).total;
    expect(unbudgeted - budgeted).toBe((N - 1 - 16) * S);
    // Half the steps, the same budget: the same peak.
    expect((await budgetedPeak(N / 2, 8)).peak).toBe(peaks[1]);
  });

  it('checkpoint (ACA): one state per snapshot too, and not N', async () => {
    const S = BATCH * DIM * 8;
    const [a, b, c] = [await budgetedPeak(64, 4, 'checkpoint'), await budgetedPeak(64, 8, 'checkpoint'), await budgetedPeak(128, 8, 'checkpoint')];
    expect(b.peak - a.peak).toBe(4 * S);
    expect(c.peak).toBe(b.peak);
    expect(b.stats.recomputedSteps).toBe(revolveCost(64, 8) - 63);
  });
});

describe('adaptive steps: online thinning', () => {
  it('replays the accepted steps (rejections in the forward), stays within the model and recomputes a bounded number of steps', async () => {
    const { f, params, mlp } = mlpField(dev, [DIM, 16, 16, DIM], 2, false);
    const Vf = await vjpPeak(f, params);
    const y0 = dev.tensor(randomData(BATCH * DIM, 4), [BATCH, DIM], { requiresGrad: true });
    const g = dev.tensor(randomData(2 * BATCH * DIM, 5), [2, BATCH, DIM]);
    const run = async (c: number | undefined) => {
      const stats: Partial<OdeintStats> = {};
      const held = dev.memory.stats().liveBytes;
      const ys = await odeint(f, y0, [0, 4], { method: 'bosh3', rtol: 1e-7, atol: 1e-9, params, stats, checkpoints: c });
      dev.memory.resetPeak();
      const gs = await grad(ys, [y0, ...params], { gradOutput: g });
      const peak = dev.memory.stats().peakBytes - held;
      const flat = Float64Array.from((await Promise.all(gs.map(async (x) => Array.from(await x.data())))).flat());
      dev.dispose(ys, gs);
      return { peak, flat, stats };
    };
    const full = await run(undefined);
    const N = full.stats.acceptedSteps!;
    expect(full.stats.rejectedSteps).toBeGreaterThan(0);
    const S = BATCH * DIM * 8;
    const P = params.reduce((n, p) => n + p.size * 8, 0);
    for (const c of [4, 8]) {
      const r = await run(c);
      expect(relErr(r.flat, full.flat)).toBeLessThan(1e-12);
      const model = GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('bosh3'), N, T: 2, checkpoints: c }, { S, P, Vf, Ge: 0, Go: 0, Xb: 0, elementBytes: 8 });
      expect(r.peak).toBeLessThanOrEqual(model.total);
      // Thinning keeps ⌈c/2⌉ states; each segment is reversed by revolve with the snapshots then free.
      expect(r.stats.recomputedSteps).toBeLessThan(1.5 * (revolveCost(N, c) - (N - 1)));
    }
    dev.dispose(y0, g);
    mlp.dispose();
  });
});

describe('a second backward and the option’s checks', () => {
  it('a budget of N or more recomputes nothing; decreasing time and second derivatives work under a budget', async () => {
    const full = await gradients({ method: 'rk4', stepSize: 0.05 });
    for (const c of [24, 100]) {
      const r = await gradients({ method: 'rk4', stepSize: 0.05, checkpoints: c });
      expect(r.stats.recomputedSteps).toBe(0);
      expect(relErr(r.g, full.g)).toBe(0);
    }
    // Adaptive: while c − 1 states suffice, the online scheme keeps them all.
    const adaptive = await gradients({ method: 'dopri5', rtol: 1e-9, atol: 1e-11 });
    const n = adaptive.stats.acceptedSteps!;
    expect(n).toBeGreaterThan(5);
    const roomy = await gradients({ method: 'dopri5', rtol: 1e-9, atol: 1e-11, checkpoints: n + 1 });
    expect(roomy.stats.recomputedSteps).toBe(0);
    expect(relErr(roomy.g, adaptive.g)).toBe(0);
    const rev = async (checkpoints?: number) => {
      const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
      const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
      const ys = await odeint(f, y0, [1.2, 0.5, 0], { params, rtol: 1e-8, atol: 1e-10, checkpoints });
      const loss = weightedLoss(ys);
      const [gy0, ...gp] = await grad(loss, [y0, ...params], { createGraph: true });
      const penalty = dev.tidy(() => gp.map((x) => x.square().sum()).reduce((a, b) => a.add(b)));
      const hp = await grad(penalty, params);
      const flat = Float64Array.from((await Promise.all([gy0, ...gp, ...hp].map(async (x) => Array.from(await x.data())))).flat());
      dev.dispose(y0, ys, loss, gy0, gp, penalty, hp);
      mlp.dispose();
      return flat;
    };
    expect(relErr(await rev(2), await rev())).toBeLessThan(1e-12);
  });

  it('a retained graph: the second backward starts again from y0 and gives the same gradients', async () => {
    const r = await gradients({ method: 'rk4', stepSize: 0.05, checkpoints: 3 }, true);
    expect(relErr(r.again!, r.g)).toBe(0);
  });

  it('checkpoints must be a positive integer, for symplectic-adjoint and checkpoint only', async () => {
    const y0 = dev.tensor([1, 2], [1, 2]);
    const f = (_t: number, y: Tensor) => y.neg();
    for (const c of [0, -1, 2.5, NaN, Infinity]) {
      await expect(odeint(f, y0, [0, 1], { checkpoints: c })).rejects.toThrow(InvalidArgumentError);
    }
    for (const gradient of ['backprop', 'adjoint'] as const) {
      await expect(odeint(f, y0, [0, 1], { gradient, checkpoints: 4 })).rejects.toThrow(/checkpoints does not apply to gradient/);
    }
    y0.dispose();
  });
});

describe('webgpu (float32)', () => {
  it('a budget replays the same float32 steps: the gradient equals the unbudgeted one', async () => {
    const gpu = await webgpuDevice();
    if (!gpu) return;
    const run = async (checkpoints?: number) => {
      const { f, params, mlp } = mlpField(gpu, [2, 8, 2], 5);
      const y0 = gpu.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
      const stats: Partial<OdeintStats> = {};
      const ys = await odeint(f, y0, [0, 1, 2], { method: 'dopri5', rtol: 1e-6, atol: 1e-8, params, stats, checkpoints });
      const gs = await grad(weightedLoss(ys), [y0, ...params]);
      const flat = Float64Array.from((await Promise.all(gs.map(async (x) => Array.from(await x.data())))).flat());
      gpu.dispose(ys, gs, y0);
      mlp.dispose();
      return { flat, stats };
    };
    const full = await run();
    const b = await run(2);
    expect(b.stats.acceptedSteps).toBe(full.stats.acceptedSteps);
    expect(b.stats.recomputedSteps).toBeGreaterThan(0);
    // The same dispatches on the same data (0 on lavapipe); float32 rounding is the bound on any device.
    expect(relErr(b.flat, full.flat)).toBeLessThan(1e-6);
  });
});
