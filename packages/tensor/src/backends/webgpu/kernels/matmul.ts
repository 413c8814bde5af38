/**
 * kernels/matmul.wgsl: batched matmul with strided (transposed) operands. Variant choice by kernel style:
 * 'gpu' takes 64×64 workgroup-memory tiles (`matmul_tiled`), or one thread an output when M or N ≤ 16
 * (`matmul_thin`); 'cpu' (software adapters) takes 8-thread workgroups of 8×8 register blocks
 * (`matmul_regs`, its 8 threads along the longer side). Grids: tiles in x (N) and y (M), batches in z; an
 * extent past maxComputeWorkgroupsPerDimension is split over several dispatches, each told its first
 * workgroup (groupX0, groupY0, batchBase). The thin entry runs over a flattened 2-D grid.
 */
import { dispatchOf, grid1d, groupsFor, kernelFile, type Dispatch, type KernelStyle, type Limits } from './kernel.js';

/** Output rows or columns up to which the 'gpu' style takes the thin kernel. */
const THIN = 16;

export const MATMUL = kernelFile(
  'matmul',
  {
    M: 'u32',
    N: 'u32',
    K: 'u32',
    batchBase: 'u32',
    aBatch: 'u32',
    bBatch: 'u32',
    ar: 'u32',
    ac: 'u32',
    br: 'u32',
    bc: 'u32',
    batch: 'u32',
    tall: 'u32',
    groupX0: 'u32',
    groupY0: 'u32',
  },
  { C: [1, 'rw'], A: [2, 'r'], B: [3, 'r'] },
);
export const MATMUL_TILED = MATMUL.entry('matmul_tiled', ['C', 'A', 'B']);
export const MATMUL_THIN = MATMUL.entry('matmul_thin', ['C', 'A', 'B']);
export const MATMUL_REGS = MATMUL.entry('matmul_regs', ['C', 'A', 'B']);

/** The shape of one matmul call (see Backend.matmul). */
export interface MatmulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  aBatchStride: number;
  bBatchStride: number;
}

/** Chunks [0, total) into spans of at most `max`: [start, count] pairs. */
function spans(total: number, max: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < total; s += max) out.push([s, Math.min(max, total - s)]);
  return out;
}

/** C = A·B (buffers: C, A, B). */
export function matmulPlan(buffers: readonly GPUBuffer[], s: MatmulShape, style: KernelStyle, lim: Limits): Dispatch[] {
  const { batch, m, n, k } = s;
  const [ar, ac] = s.transA ? [1, m] : [k, 1];
  const [br, bc] = s.transB ? [1, k] : [n, 1];
  const common = { M: m, N: n, K: k, aBatch: s.aBatchStride, bBatch: s.bBatchStride, ar, ac, br, bc };
  const out: Dispatch[] = [];
  if (style === 'gpu' && (m <= THIN || n <= THIN)) {
    // Batches per dispatch: a u32-safe flattened index.
    const chunk = Math.max(1, Math.min(batch, Math.floor(2 ** 31 / (m * n))));
    for (const [base, count] of spans(batch, chunk)) {
      out.push(dispatchOf(MATMUL_THIN, buffers, grid1d(groupsFor(count * m * n), lim), { ...common, batchBase: base, batch: count }));
    }
    return out;
  }
  const kernel = style === 'cpu' ? MATMUL_REGS : MATMUL_TILED;
  const tall = style === 'cpu' && m > n ? 1 : 0;
  // Output tile of one workgroup.
  const [tileM, tileN] = style === 'gpu' ? [64, 64] : tall ? [64, 8] : [8, 64];
  const max = lim.maxGroups;
  for (const [base, count] of spans(batch, max)) {
    for (const [y0, ny] of spans(Math.ceil(m / tileM), max)) {
      for (const [x0, nx] of spans(Math.ceil(n / tileN), max)) {
        out.push(dispatchOf(kernel, buffers, [nx, ny, count], {
          ...common, batchBase: base, batch: count, tall, groupX0: x0, groupY0: y0,
        }));
      }
    }
  }
  return out;
}
