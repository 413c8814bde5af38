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
