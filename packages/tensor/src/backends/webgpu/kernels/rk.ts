/**
 * kernels/rk.wgsl: the Runge–Kutta stage combination and the RMS error ratio (one pass on one workgroup for
 * small n, else up to 256 partial sums into a scratch buffer and a final pass). Only nonzero coefficients
 * are passed, so stage rows with coefficient 0 are never read.
 */
import { InvalidArgumentError } from '../../../errors.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, WG, type Dispatch, type Limits } from './kernel.js';

/** Stages the uniforms hold (idx and coef as array<vec4, 4>). */
export const MAX_STAGES = 16;

export const RK = kernelFile(
  'rk',
  {
    n: 'u32',
    cnt: 'u32',
    h: 'f32',
    rtol: 'f32',
    atol: 'f32',
    mode: 'u32',
    parts: 'u32',
    pad: 'u32',
    idx: 'array<vec4<u32>, 4>',
    coef: 'array<vec4<f32>, 4>',
  },
  { out: [1, 'rw'], in0: [2, 'r'], in1: [3, 'r'], stages: [4, 'r'], partials: [5, 'r'] },
);
export const RK_COMBINE = RK.entry('rk_combine', ['out', 'in0', 'stages']);
export const RK_ERROR_SUM = RK.entry('rk_error_sum', ['out', 'in0', 'in1', 'stages']);
export const RK_ERROR_FINAL = RK.entry('rk_error_final', ['out', 'partials']);

/** Bytes of the partial-sum scratch buffer of a two-pass error ratio. */
export const PARTIALS_BYTES = WG * 4;

function nonzero(coeffs: readonly number[]): { idx: number[]; coef: number[] } {
  if (coeffs.length > MAX_STAGES) {
    throw new InvalidArgumentError(`the webgpu RK kernels take at most ${MAX_STAGES} stages (got ${coeffs.length})`);
  }
  const idx: number[] = [];
  const coef: number[] = [];
  coeffs.forEach((c, j) => {
    if (c !== 0) {
      idx.push(j);
      coef.push(c);
    }
  });
  return { idx, coef };
}

/** out[i] = y[i] + h Σ_j coeffs[j] stages[j n + i]. */
export function rkCombinePlan(y: GPUBuffer, stages: GPUBuffer, coeffs: readonly number[], h: number, out: GPUBuffer, n: number, lim: Limits): Dispatch[] {
  const { idx, coef } = nonzero(coeffs);
  return [dispatchOf(RK_COMBINE, [out, y, stages], grid1d(groupsFor(n), lim), { n, cnt: idx.length, h, idx, coef })];
}

/** Workgroups of the first pass (1: a single pass writes the ratio itself); a 1-D grid. */
export const errorParts = (n: number, lim: Limits): number => Math.min(WG, lim.maxGroups, Math.ceil(n / 8192));

/**
 * The error ratio's dispatches; `partials` is a PARTIALS_BYTES scratch buffer, used (and required) only
 * when errorParts(n) > 1.
 */
export function rkErrorPlan(
  y0: GPUBuffer, y1: GPUBuffer, stages: GPUBuffer, e: readonly number[], h: number, rtol: number, atol: number,
  out: GPUBuffer, n: number, partials: GPUBuffer | null, lim: Limits,
): Dispatch[] {
  const { idx, coef } = nonzero(e);
  const parts = errorParts(n, lim);
  const common = { n, cnt: idx.length, h, rtol, atol, idx, coef };
  if (parts <= 1 || !partials) return [dispatchOf(RK_ERROR_SUM, [out, y0, y1, stages], [1, 1, 1], { ...common, mode: 1, parts: 1 })];
  return [
    dispatchOf(RK_ERROR_SUM, [partials, y0, y1, stages], [parts, 1, 1], { ...common, mode: 0, parts }),
    dispatchOf(RK_ERROR_FINAL, [out, partials], [1, 1, 1], { n, h, rtol, atol, mode: 1, parts }),
  ];
}
