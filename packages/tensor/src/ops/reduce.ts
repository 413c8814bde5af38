/** Reductions over axes: sum, mean, max. The backend reduces one axis of [outer, n, inner] at a time. */
import type { ReduceOp } from '../backends/backend.js';
import { noGrad, record } from '../autograd.js';
import { ShapeError } from '../errors.js';
import { describe } from '../args.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { launch } from './common.js';
import { compare } from './elementwise.js';

function axesOf(x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  if (typeof axis !== 'number' && !Array.isArray(axis)) throw new ShapeError(`axis must be a number or an array of numbers, got ${describe(axis)}`);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const norm = list.map((a) => normalizeAxis(a, x.rank));
  return [...new Set(norm)].sort((a, b) => a - b);
}

/** Shape with the reduced axes set to 1. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Reduces `axes` (sorted) without a graph; result has keepdims shape. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  x._check();
  const dev = x.device;
  // Reducing every axis at once is one [1, size, 1] pass.
  if (axes.length === x.rank) return launch(dev._empty(keptShape(x.shape, axes)), (out) => dev.backend.reduce(op, x._raw, out._raw, 1, x.size, 1));
  let cur = x;
  let shape = [...x.shape];
  for (let k = axes.length - 1; k >= 0; k--) {
    const a = axes[k];
    const outer = sizeOf(shape.slice(0, a));
    const inner = sizeOf(shape.slice(a + 1));
    const n = shape[a];
    shape = [...shape];
    shape[a] = 1;
    const from = cur;
    try {
      cur = launch(dev._empty(shape), (o) => dev.backend.reduce(op, from._raw, o._raw, outer, n, inner));
    } finally {
      if (from !== x) from.dispose(); // the previous pass's result, whether this pass worked or not
    }
  }
  if (cur === x) return noGrad(() => x.clone());
  return cur;
}

function finish(x: Tensor, kept: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  if (keepdims) return kept;
  const out = kept.reshape(x.shape.filter((_, i) => !axes.includes(i)));
  kept.dispose();
  return out;
}

export function sum(x: Tensor, axis: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  const axes = axesOf(x, axis);
  const xShape = x.shape;
  const kept = record('sum', reduceRaw('sum', x, axes), [x], (g) => [g.reshape(keptShape(xShape, axes)).broadcastTo(xShape)]);
  return finish(x, kept, axes, keepdims);
}

export function mean(x: Tensor, axis: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  const axes = axesOf(x, axis);
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  const s = sum(x, axes, keepdims);
  const out = s.mul(1 / n);
  s.dispose();
  return out;
}

/** Max over axes; the gradient is shared equally among tied maxima. */
export function max(x: Tensor, axis: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  const axes = axesOf(x, axis);
  const keptS = keptShape(x.shape, axes);
  const out = reduceRaw('max', x, axes);
  const kept = record('max', out, [x], (g, [sx, sy]) => {
    const mask = compare('eq', sx, sy);
    const count = mask.sum(axes, true);
    return [g.reshape(keptS).div(count).mul(mask)];
  }, [x, out]);
  return finish(x, kept, axes, keepdims);
}
