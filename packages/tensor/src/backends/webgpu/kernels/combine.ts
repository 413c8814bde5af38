/**
 * kernels/combine.wgsl: out = base + h Σ_j coeffs[j] terms[j] over separate buffers (the differentiable
 * `combineTerms` op), up to {@link TERMS_PER_DISPATCH} nonzero terms a dispatch. Only nonzero coefficients
 * are passed, so a term with coefficient 0 is never read. More terms are chained: each further dispatch adds
 * its terms, scaled by h, onto the previous one's result (ping-ponging between `out` and one temporary), so
 * beyond 6 terms the rounding differs from one pass by a few ulp.
 */
import { InvalidArgumentError } from '../../../errors.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, type Dispatch, type Limits } from './kernel.js';

/** Nonzero terms one dispatch takes: base + 6 terms + out are 8 storage buffers, WebGPU's default limit. */
export const TERMS_PER_DISPATCH = 6;

export const COMBINE = kernelFile(
  'combine',
  { n: 'u32', cnt: 'u32', h: 'f32', pad: 'u32', coef: 'array<vec4<f32>, 2>' },
  { out: [1, 'rw'], base: [2, 'r'], t0: [3, 'r'], t1: [4, 'r'], t2: [5, 'r'], t3: [6, 'r'], t4: [7, 'r'], t5: [8, 'r'] },
);
export const COMBINE_TERMS = COMBINE.entry('combine_terms', ['out', 'base', 't0', 't1', 't2', 't3', 't4', 't5']);

/** Dispatches a combination of these coefficients takes (1 when all are zero: out = base). */
export function combineDispatches(coeffs: readonly number[]): number {
  const nnz = coeffs.reduce((n, c) => n + (c !== 0 ? 1 : 0), 0);
  return Math.max(1, Math.ceil(nnz / TERMS_PER_DISPATCH));
}

/**
 * out[i] = base[i] + h Σ_j coeffs[j] terms[j][i]. `tmp` (n elements, not aliasing anything else) is required
 * when {@link combineDispatches} is above 1.
 */
export function combineTermsPlan(
  base: GPUBuffer, terms: readonly GPUBuffer[], coeffs: readonly number[], h: number,
  out: GPUBuffer, tmp: GPUBuffer | null, n: number, lim: Limits,
): Dispatch[] {
  if (coeffs.length !== terms.length) throw new InvalidArgumentError(`combineTerms: ${coeffs.length} coefficients for ${terms.length} terms`);
  const nz = terms.map((t, j) => ({ t, c: coeffs[j] })).filter((x) => x.c !== 0);
  const count = combineDispatches(coeffs);
  if (count > 1 && !tmp) throw new InvalidArgumentError(`internal: a combination of ${nz.length} terms needs a temporary`);
  const grid = grid1d(groupsFor(n), lim);
  const plan: Dispatch[] = [];
  let from = base;
  for (let d = 0; d < count; d++) {
    const chunk = nz.slice(d * TERMS_PER_DISPATCH, (d + 1) * TERMS_PER_DISPATCH);
    // The last dispatch writes out; going back from it they alternate, so no dispatch reads what it writes.
    const to = (count - 1 - d) % 2 === 0 ? out : tmp!;
    const bound = Array.from({ length: TERMS_PER_DISPATCH }, (_, t) => chunk[t]?.t ?? from);
    plan.push(dispatchOf(COMBINE_TERMS, [to, from, ...bound], grid, { n, cnt: chunk.length, h, coef: chunk.map((x) => x.c) }));
    from = to;
  }
  return plan;
}
