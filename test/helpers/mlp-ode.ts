/** A small MLP vector field for solver tests: f(t, y) = MLP([y, t]) (time-dependent) or MLP(y). */
import { concat, nn, type Device, type Tensor } from '@sympode/tensor';

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
