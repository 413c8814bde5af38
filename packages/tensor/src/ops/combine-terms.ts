/**
 * `combineTerms`: a linear combination of separate same-shape tensors onto a base, differentiable, in one
 * kernel and one graph node. It is `combineRows` for terms that are not rows of one buffer (the stage
 * derivatives of a recorded Runge–Kutta step, each the output of its own f graph), with the same arithmetic.
 */
import { record, type DeferredGrad } from '../autograd.js';
import { describe } from '../args.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkScalar, launch, sameDevice } from './common.js';

/**
 * `base + scale · Σ_j coeffs[j] · terms[j]` (an RK stage state Y_i = y + h Σ_j a_ij k_j), all tensors of
 * `base`'s shape and device; zero coefficients are skipped (their terms are neither read nor part of the
 * graph). One kernel forward on every backend (on webgpu one dispatch for up to 6 nonzero terms, one more per
 * further 6), summed as `combineRows` sums: from 0, in order, then scaled by `scale` and added to `base`, so
 * on the cpu backend `combineTerms(y, ks, a, h)` equals `combineRows(y, K, a, h)` bit for bit when `K`'s rows
 * are `ks` (on webgpu the two kernels agree to float32 rounding). Differentiable to any order: it records one
 * graph node that saves no tensor; its backward gives `g` to `base` and `(scale · coeffs[j]) · g` to
 * `terms[j]`.
 */
export function combineTerms(base: Tensor, terms: readonly Tensor[], coeffs: readonly number[], scale = 1): Tensor {
  if (!Array.isArray(terms)) throw new InvalidArgumentError(`combineTerms: terms must be an array of tensors, got ${describe(terms)}`);
  if (!Array.isArray(coeffs)) throw new InvalidArgumentError(`combineTerms: coeffs must be an array of numbers, got ${describe(coeffs)}`);
  sameDevice('combineTerms', base, ...terms);
  if (coeffs.length !== terms.length) {
    throw new ShapeError(`combineTerms: ${coeffs.length} coefficients for ${terms.length} terms (one each)`);
  }
  terms.forEach((t, j) => {
    if (!sameShape(t.shape, base.shape)) throw new ShapeError(`combineTerms: term ${j} ${fmt(t.shape)} is not of the base's shape ${fmt(base.shape)}`);
  });
  coeffs.forEach((c, j) => checkScalar(`combineTerms: coefficient ${j}`, c));
  checkScalar('combineTerms: scale', scale);
  const used = coeffs.flatMap((c, j) => (c !== 0 ? [j] : []));
  const ts = used.map((j) => terms[j]);
  const cs = used.map((j) => coeffs[j]);
  const dev = base.device;
  const out = launch(dev._empty(base.shape), (out) =>
    dev.backend.combineTerms(base._raw, ts.map((t) => t._raw), cs, scale, out._raw, base.size),
  );
  // Linear: the backward needs no saved tensor, only the coefficients.
  return record('combineTerms', out, [base, ...ts], (g, _saved, needs) => [
    needs[0] ? g : null,
    ...cs.map((c, j) => (needs[j + 1] ? scaledGrad(g, scale * c) : null)),
  ]);
}

/**
 * c·g, deferred: as a term's first gradient contribution one multiply, added to an existing sum in one
 * `combineTerms` (sum + c·g: the same float as sum.add(g.mul(c))) instead of a multiply and an add. A zero c
 * is multiplied out, so that non-finite values in g still reach the gradient as they would through `mul`.
 */
function scaledGrad(g: Tensor, c: number): DeferredGrad | Tensor {
  if (c === 0) return g.mul(0);
  return { shape: g.shape, value: () => g.mul(c), addTo: (sum) => combineTerms(sum, [g], [c]) };
}
