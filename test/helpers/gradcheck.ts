/**
 * Central-difference gradient check in float64 (like torch.autograd.gradcheck): perturbs every input element
 * by ±eps, evaluates the scalar function on the host, and compares with the autograd gradient.
 */
import { grad, type Device, type Tensor } from '@sympode/tensor';
import { relErr } from './reference.js';

export interface GradcheckResult {
  maxRelErr: number;
  analytic: Float64Array[];
  numeric: Float64Array[];
}

/**
 * `fn` maps fresh input tensors to a scalar tensor. Inputs are given as shapes + values; the check builds
 * leaves with requiresGrad on `device` (must be float64 cpu).
 */
export async function gradcheck(
  device: Device,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: { shape: number[]; data: Float64Array }[],
  eps = 1e-6,
): Promise<GradcheckResult> {
  const evalAt = async (vals: Float64Array[]): Promise<number> =>
    device.tidy(() => device.noGrad(() => fn(...vals.map((v, i) => device.tensor(v, inputs[i].shape))))).item().then((v) => v);
  const vals = inputs.map((x) => Float64Array.from(x.data));
  const leaves = vals.map((v, i) => device.tensor(v, inputs[i].shape, { requiresGrad: true }));
  const out = fn(...leaves);
  const gs = await grad(out, leaves);
  const analytic = await Promise.all(gs.map(async (g) => Float64Array.from(await g.data())));
  device.dispose(leaves, out, gs);
  const numeric: Float64Array[] = [];
  for (let i = 0; i < vals.length; i++) {
    const num = new Float64Array(vals[i].length);
    for (let j = 0; j < vals[i].length; j++) {
      const orig = vals[i][j];
      vals[i][j] = orig + eps;
      const fp = await evalAt(vals);
      vals[i][j] = orig - eps;
      const fm = await evalAt(vals);
      vals[i][j] = orig;
      num[j] = (fp - fm) / (2 * eps);
    }
    numeric.push(num);
  }
  const maxRelErr = Math.max(...analytic.map((a, i) => relErr(a, numeric[i])));
  return { maxRelErr, analytic, numeric };
}

/**
 * Central difference of `value()` in element `j` of a tensor that `value` reads in place (a parameter held
 * by a closure): writes x[j] ± eps into its storage, evaluates, restores.
 */
export async function centralDifference(x: Tensor, j: number, value: () => Promise<number>, eps: number): Promise<number> {
  const vals = Float64Array.from(await x.data());
  const orig = vals[j];
  const set = (v: number) => {
    vals[j] = v;
    x.device.backend.write(x._raw, vals, 0);
  };
  try {
    set(orig + eps);
    const up = await value();
    set(orig - eps);
    const down = await value();
    return (up - down) / (2 * eps);
  } finally {
    set(orig);
  }
}
