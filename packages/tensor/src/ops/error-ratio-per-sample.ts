/**
 * The embedded-error norm of an adaptive RK step taken per sample: the state's leading axis indexes the
 * samples of a batch, each gets its own RMS of err / (atol + rtol·max(|a|, |b|)), and the step is judged by
 * the worst one (torchode's choice). A composition of existing ops (stage combination, element-wise ops, a
 * mean per sample and a max), so it runs on every backend as is; graph-free like the other row ops.
 */
import { noGrad } from '../autograd.js';
import { ShapeError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkScalar, sameDevice } from './common.js';
import { combineRows } from './rows.js';

/**
 * max over samples b of sqrt(mean over b's elements of (err / (atol + rtol·max(|a|, |b|)))²), with
 * err = scale·Σ_j e[j]·rows[j], as a one-element tensor. The samples are the leading axis of `a`; a state of
 * rank < 2 is one sample (then this equals `errorRatio`).
 */
export function errorRatioPerSample(a: Tensor, b: Tensor, rows: Tensor, e: readonly number[], scale: number, rtol: number, atol: number): Tensor {
  sameDevice('errorRatioPerSample', a, b, rows);
  if (!sameShape(a.shape, b.shape)) throw new ShapeError(`errorRatioPerSample: ${fmt(a.shape)} and ${fmt(b.shape)} differ`);
  for (const [name, v] of [['scale', scale], ['rtol', rtol], ['atol', atol]] as const) checkScalar(`errorRatioPerSample: ${name}`, v);
  const dev = a.device;
  const samples = a.rank >= 2 ? a.shape[0] : 1;
  return noGrad(() =>
    dev.tidy(() => {
      // combineRows checks the rows and refuses tensors that record a graph.
      const err = combineRows(dev.zeros(a.shape), rows, e, scale);
      const tol = a.abs().maximum(b.abs()).mul(rtol).add(atol);
      const perSample = err.div(tol).square().reshape([samples, a.size / samples]).mean(1);
      return perSample.max().sqrt().reshape([1]);
    }),
  );
}
