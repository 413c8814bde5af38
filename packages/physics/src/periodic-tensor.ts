/**
 * Periodic shifts and stencils on tensors [B, M] (the grid on the last axis), from narrow and concat, so they
 * are differentiable to any order on every backend.
 */
import { concat, type Tensor } from '@sympode/tensor';

/** u[i − s] at i (periodic; s may be negative): `roll(u, 1)` holds u[m − 1] at m. */
export function roll(u: Tensor, s: number): Tensor {
  const axis = u.rank - 1;
  const m = u.shape[axis];
  const k = ((s % m) + m) % m;
  if (k === 0) return u.reshape(u.shape);
  const head = u.narrow(axis, m - k, k);
  const tail = u.narrow(axis, 0, m - k);
  const out = concat([head, tail], axis);
  head.dispose();
  tail.dispose();
  return out;
}

/** w₋·u[i−1] + w₀·u[i] + w₊·u[i+1], periodic. */
export function stencil(u: Tensor, w: readonly [number, number, number]): Tensor {
  return u.device.tidy(() => {
    let out = u.mul(w[1]);
    if (w[0] !== 0) out = out.add(roll(u, 1).mul(w[0]));
    if (w[2] !== 0) out = out.add(roll(u, -1).mul(w[2]));
    return out;
  });
}
