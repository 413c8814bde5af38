/** A small MLP vector field for solver tests: f(t, y) = MLP([y, t]) (time-dependent) or MLP(y). */
import { concat, grad, nn, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { randomData } from './reference.js';

export function mlpField(dev: Device, sizes: number[], seed: number, timeDependent = true) {
  const inSizes = timeDependent ? [sizes[0] + 1, ...sizes.slice(1)] : sizes;
  const mlp = new nn.MLP(dev, inSizes, 'tanh', { seed });
  const f = (t: number, y: Tensor): Tensor =>
    dev.tidy(() => mlp.forward(timeDependent ? concat([y, dev.full([y.shape[0], 1], t)], 1) : y));
  return { mlp, f, params: mlp.parameters() };
}

/** Σ_k (k+1)·Σ y(t_k)², the reference cases' loss. */
export function weightedLoss(ys: Tensor): Tensor {
  const dev = ys.device;
  const w = Array.from({ length: ys.shape[0] }, (_, k) => k + 1);
  return dev.tidy(() => ys.square().mul(dev.tensor(w, [ys.shape[0], ...ys.shape.slice(1).map(() => 1)])).sum());
}

/**
 * One solve of the [2, 8, 2] time-dependent MLP field from a fixed batch of three states (rtol 1e-6, atol
 * 1e-8), the weighted loss and its gradients with respect to y0 and θ as float64 arrays, plus the stats.
 */
export async function solveGradients(dev: Device, method: string, gradient: GradientMethodName, times: number[], extra: OdeintOptions = {}) {
  const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
  const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const ys = await odeint(f, y0, times, { method, gradient, params, rtol: 1e-6, atol: 1e-8, stats, ...extra });
  const loss = weightedLoss(ys);
  const gs = await grad(loss, [y0, ...params]);
  const out = { loss: await loss.item(), gs: await Promise.all(gs.map(async (g) => Float64Array.from(await g.data()))), stats };
  dev.dispose(y0, ys, loss, gs);
  mlp.dispose();
  return out;
}

/** What one solve + backward of an MLP field held, from the allocator's exact counts. */
export interface SolveMemory {
  stats: Partial<OdeintStats>;
  /** Live bytes before the solve: the caller's parameters and y0 (and whatever the device held already). */
  held: number;
  /** Bytes the solve held between forward and backward above `held`, the solution ys excluded. */
  between: number;
  /** Live bytes of label 'checkpoints' between forward and backward. */
  checkpoints: number;
  /** Peak live bytes of the forward (from the solve's start) and of the backward (from grad's start), absolute. */
  forwardPeak: number;
  backwardPeak: number;
  /** Peak of label 'stages' during the backward. */
  stagesPeak: number;
  /** Live bytes after the backward beyond `held` and the returned gradients (0 unless something leaked). */
  leaked: number;
}

/**
 * One solve of the time-independent MLP field `sizes` (seed 2) from a batch of 8 states (seed 4) and the
 * gradient of the weighted loss with respect to y0 and θ, measured (see SolveMemory); everything is freed.
 */
export async function measureSolve(dev: Device, sizes: number[], times: number[], options: OdeintOptions): Promise<SolveMemory> {
  const { f, params, mlp } = mlpField(dev, sizes, 2, false);
  const D = sizes[0];
  const y0 = dev.tensor(randomData(8 * D, 4), [8, D], { requiresGrad: true });
  const held = dev.memory.stats().liveBytes;
  const eb = dev.dtype === 'float64' ? 8 : 4;
  const stats: Partial<OdeintStats> = {};
  dev.memory.resetPeak();
  const ys = await odeint(f, y0, times, { ...options, params, stats });
  const mid = dev.memory.stats();
  const loss = weightedLoss(ys);
  dev.memory.resetPeak();
  const gs = await grad(loss, [y0, ...params]);
  const after = dev.memory.stats();
  dev.dispose(ys, loss);
  const leaked = dev.memory.stats().liveBytes - held - gs.reduce((s, g) => s + g.size * eb, 0);
  dev.dispose(gs, y0);
  mlp.dispose();
  return {
    stats, held, leaked,
    between: mid.liveBytes - held - ys.size * eb,
    checkpoints: mid.byLabel.checkpoints?.liveBytes ?? 0,
    forwardPeak: mid.peakBytes,
    backwardPeak: after.peakBytes,
    stagesPeak: after.byLabel.stages?.peakBytes ?? 0,
  };
}
