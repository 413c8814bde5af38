/**
 * kernels/rk.wgsl: the Runge–Kutta stage combination and the RMS error ratio (one pass on one workgroup for
 * small n, else up to 256 partial sums into a scratch buffer and a final pass). Only nonzero coefficients
 * are passed, so stage rows with coefficient 0 are never read. The uniforms hold {@link MAX_STAGES} of them;
 * more rows are chained in chunks of that many through rk_combine's accumulate mode, so any number works.
 */
import { InvalidArgumentError } from '../../../errors.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, WG, type Dispatch, type Limits } from './kernel.js';

/** Nonzero coefficients one dispatch takes (idx and coef as array<vec4, 4>). */
export const MAX_STAGES = 16;

/** rk_combine's P.mode: out = in0 + h·Σ, out = out + h·Σ (accumulate a chunk), out = h·Σ (no base). */
const BASE = 0;
const ACCUMULATE = 1;
const NO_BASE = 2;

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

interface Chunk {
  idx: number[];
  coef: number[];
}

function nonzero(coeffs: readonly number[]): Chunk {
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

/** The nonzero coefficients in chunks of at most MAX_STAGES, in order (one chunk, maybe empty, at least). */
function chunks(coeffs: readonly number[]): Chunk[] {
  const { idx, coef } = nonzero(coeffs);
  const out: Chunk[] = [];
  for (let t = 0; t === 0 || t < idx.length; t += MAX_STAGES) {
    out.push({ idx: idx.slice(t, t + MAX_STAGES), coef: coef.slice(t, t + MAX_STAGES) });
  }
  return out;
}

/** Dispatches {@link rkCombinePlan} records for these coefficients: one per 16 nonzero ones (at least one). */
export const rkCombineDispatches = (coeffs: readonly number[]): number => chunks(coeffs).length;

/**
 * out[i] = y[i] + h Σ_j coeffs[j] stages[j n + i] (`y` null: without the base). Up to 16 nonzero coefficients
 * are one dispatch, summed as one accumulator; beyond, each further dispatch adds h·Σ over its chunk onto
 * out (y + h·S_0 + h·S_1 + …, rounded per chunk), so arbitrarily many rows need no scratch.
 */
export function rkCombinePlan(
  y: GPUBuffer | null, stages: GPUBuffer, coeffs: readonly number[], h: number, out: GPUBuffer, n: number, lim: Limits,
): Dispatch[] {
  const grid = grid1d(groupsFor(n), lim);
  // in0 must be bound even when unread; `stages` never aliases `out`.
  return chunks(coeffs).map(({ idx, coef }, d) => {
    const mode = d > 0 ? ACCUMULATE : y ? BASE : NO_BASE;
    return dispatchOf(RK_COMBINE, [out, y ?? stages, stages], grid, { n, cnt: idx.length, h, mode, idx, coef });
  });
}

/** Workgroups of the first pass (1: a single pass writes the ratio itself); a 1-D grid. */
export const errorParts = (n: number, lim: Limits): number => Math.min(WG, lim.maxGroups, Math.ceil(n / 8192));

/**
 * The error ratio's dispatches; `partials` is a PARTIALS_BYTES scratch buffer, used (and required) only
 * when errorParts(n) > 1. Past 16 nonzero coefficients `err` (n elements, aliasing nothing else) is required:
 * err = h Σ_j e_j k_j is first combined into it in chunks ({@link rkCombinePlan}), then the ratio reads it as
 * its one stage row with coefficient 1 and h = 1 (exact multiplications).
 */
export function rkErrorPlan(
  y0: GPUBuffer, y1: GPUBuffer, stages: GPUBuffer, e: readonly number[], h: number, rtol: number, atol: number,
  out: GPUBuffer, n: number, partials: GPUBuffer | null, lim: Limits, err: GPUBuffer | null = null,
): Dispatch[] {
  if (rkCombineDispatches(e) > 1) {
    if (!err) throw new InvalidArgumentError(`internal: an error ratio over ${nonzero(e).idx.length} nonzero rows needs a scratch buffer`);
    return [...rkCombinePlan(null, stages, e, h, err, n, lim), ...rkErrorPlan(y0, y1, err, [1], 1, rtol, atol, out, n, partials, lim)];
  }
  const { idx, coef } = nonzero(e);
  const parts = errorParts(n, lim);
  const common = { n, cnt: idx.length, h, rtol, atol, idx, coef };
  if (parts <= 1 || !partials) return [dispatchOf(RK_ERROR_SUM, [out, y0, y1, stages], [1, 1, 1], { ...common, mode: 1, parts: 1 })];
  return [
    dispatchOf(RK_ERROR_SUM, [partials, y0, y1, stages], [parts, 1, 1], { ...common, mode: 0, parts }),
    dispatchOf(RK_ERROR_FINAL, [out, partials], [1, 1, 1], { n, h, rtol, atol, mode: 1, parts }),
  ];
}
