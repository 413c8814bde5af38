/**
 * kernels/reduce.wgsl: x viewed as [outer, n, inner] reduced over n. Variant choice: one workgroup tree per
 * output for long rows and few outputs (on CPU adapters only for very long rows, where the tree's pairwise
 * sums are also the more accurate ones), else one looping thread per output. 2-D grids past 65535 workgroups.
 */
import type { ReduceOp } from '../../backend.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, type Dispatch, type KernelStyle, type Limits } from './kernel.js';

const REDUCE: Record<ReduceOp, { INIT: string; COMBINE: string }> = {
  sum: { INIT: '0.0', COMBINE: 'acc + v' },
  max: { INIT: 'neg_inf()', COMBINE: 'fmax_(acc, v)' },
};

export const REDUCE_FILE = kernelFile(
  'reduce',
  { outer: 'u32', n: 'u32', inner: 'u32', total: 'u32' },
  { out: [1, 'rw'], x: [2, 'r'] },
  ['INIT', 'COMBINE'],
);
export const REDUCE_LOOP = REDUCE_FILE.entry('reduce_loop', ['out', 'x']);
export const REDUCE_TREE = REDUCE_FILE.entry('reduce_tree', ['out', 'x']);

export function reducePlan(
  op: ReduceOp, x: GPUBuffer, out: GPUBuffer, outer: number, n: number, inner: number, style: KernelStyle, lim: Limits,
): Dispatch[] {
  const total = outer * inner;
  const tree = style === 'cpu' ? n >= 16384 && total <= 8 : n >= 512 && total <= 2048;
  const grid = grid1d(tree ? total : groupsFor(total), lim);
  return [dispatchOf(tree ? REDUCE_TREE : REDUCE_LOOP, [out, x], grid, { outer, n, inner, total }, REDUCE[op])];
}
