/**
 * Fused, graph-free operations on tensors of rows ([r, ...shape]): the building blocks of Runge–Kutta
 * solvers (stage combination, stage write, embedded-error norm), each one kernel on every backend. They have
 * no backward: called on a tensor that records a graph they throw rather than silently cut the graph.
 */
import { isGradEnabled } from '../autograd.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkScalar, launch, sameDevice } from './common.js';

/**
 * Rows one webgpu dispatch of a combination takes (the kernel's coefficient table).
 * @deprecated No longer a limit: {@link combineRows} and {@link errorRatio} take any number of rows (webgpu
 * chains a dispatch per 16 nonzero coefficients). Kept so that code importing it still compiles.
 */
export const MAX_COMBINED_ROWS = 16;

function checkNoGraph(op: string, ...ts: Tensor[]): void {
  if (isGradEnabled() && ts.some((t) => t.requiresGrad)) {
    throw new InvalidArgumentError(`${op} has no backward: call it inside noGrad, or on tensors that do not require grad`);
  }
}

function checkRows(op: string, rows: Tensor, row: readonly number[], coeffs?: readonly number[]): void {
  if (rows.rank < 1 || !sameShape(rows.shape.slice(1), row)) {
    throw new ShapeError(`${op}: rows ${fmt(rows.shape)} are not rows of shape ${fmt(row)}`);
  }
  if (coeffs) {
    if (coeffs.length > rows.shape[0]) throw new ShapeError(`${op}: ${coeffs.length} coefficients for ${rows.shape[0]} rows`);
    coeffs.forEach((c, j) => checkScalar(`${op}: coefficient ${j}`, c));
  }
}

/**
 * `base + scale · Σ_j coeffs[j] · rows[j]` in one kernel (an RK stage state Y_i = y + h Σ_j a_ij k_j).
 * `rows` is [r, ...base.shape], any r; coefficients beyond r are not allowed; zeros are skipped (their rows
 * are never read). On webgpu past 16 nonzero coefficients the sum is rounded per chunk of 16.
 */
export function combineRows(base: Tensor, rows: Tensor, coeffs: readonly number[], scale = 1): Tensor {
  sameDevice('combineRows', base, rows);
  checkNoGraph('combineRows', base, rows);
  checkRows('combineRows', rows, base.shape, coeffs);
  checkScalar('combineRows: scale', scale);
  const padded = Array.from({ length: rows.shape[0] }, (_, j) => coeffs[j] ?? 0);
  const out = launch(base.device._empty(base.shape, 'combineRows'), (out) =>
    base.device.backend.rkCombine(base._raw, rows._raw, padded, scale, out._raw, base.size),
  );
  return out;
}

/** Writes `value` into row `i` of `rows` in place (no graph; `rows` must not be saved by one). */
export function writeRow(rows: Tensor, i: number, value: Tensor): void {
  sameDevice('writeRow', rows, value);
  checkNoGraph('writeRow', rows, value);
  checkRows('writeRow', rows, value.shape);
  if (!Number.isInteger(i) || i < 0 || i >= rows.shape[0]) throw new ShapeError(`writeRow: row ${String(i)} is not a row index of ${fmt(rows.shape)}`);
  const n = value.size;
  rows._storage.bump('writeRow');
  rows.device.backend.copy(value._raw, { offset: 0, strides: [1] }, rows._raw, { offset: i * n, strides: [1] }, [n]);
}

/**
 * Writes the rows of `values` ([m, ...row]) into rows `start` … `start + m − 1` of `rows` in place, as one
 * copy (no graph; `rows` must not be saved by one): e.g. a step's stored stage derivatives back into a
 * stepper's stage buffer.
 */
export function writeRows(rows: Tensor, start: number, values: Tensor): void {
  sameDevice('writeRows', rows, values);
  checkNoGraph('writeRows', rows, values);
  checkRows('writeRows', values, rows.shape.slice(1));
  const m = values.shape[0];
  if (!Number.isInteger(start) || start < 0 || start + m > rows.shape[0]) {
    throw new ShapeError(`writeRows: rows ${String(start)}…${String(start + m - 1)} do not fit in ${fmt(rows.shape)}`);
  }
  if (values.size === 0) return;
  const n = values.size / m;
  rows._storage.bump('writeRows');
  rows.device.backend.copy(values._raw, { offset: 0, strides: [1] }, rows._raw, { offset: start * n, strides: [1] }, [values.size]);
}

/**
 * The embedded-error norm of an adaptive RK step, as torchdiffeq computes it: with err = scale·Σ_j e[j]·rows[j],
 * `sqrt(mean((err / (atol + rtol·max(|a|, |b|)))²))` over all elements, as a one-element tensor.
 */
export function errorRatio(a: Tensor, b: Tensor, rows: Tensor, e: readonly number[], scale: number, rtol: number, atol: number): Tensor {
  sameDevice('errorRatio', a, b, rows);
  checkNoGraph('errorRatio', a, b, rows);
  if (!sameShape(a.shape, b.shape)) throw new ShapeError(`errorRatio: ${fmt(a.shape)} and ${fmt(b.shape)} differ`);
  checkRows('errorRatio', rows, a.shape, e);
  const padded = Array.from({ length: rows.shape[0] }, (_, j) => e[j] ?? 0);
  for (const [name, v] of [['scale', scale], ['rtol', rtol], ['atol', atol]] as const) checkScalar(`errorRatio: ${name}`, v);
  const out = launch(a.device._empty([1], 'errorRatio'), (out) =>
    a.device.backend.rkErrorRatio(a._raw, b._raw, rows._raw, padded, scale, rtol, atol, out._raw, a.size),
  );
  return out;
}
