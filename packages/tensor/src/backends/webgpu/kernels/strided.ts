/**
 * Strided iteration for the kernels that read (or write) views: binary, where and copy. The views are first
 * collapsed (size-1 dimensions dropped, dimensions contiguous in every view merged). The kernels' uniforms
 * hold MAX_RANK dimensions; a higher rank is split: the innermost MAX_RANK dimensions go to the kernel and the
 * leading ones are looped over on the host, one dispatch per leading index with the views' offsets (and the
 * contiguous output's offset) moved to that index. Any rank the cpu backend takes therefore works.
 */
import type { View } from '../../backend.js';
import { product } from './kernel.js';

/** Dimensions a strided kernel's uniforms hold (shape and strides as array<vec4, 2>). */
export const MAX_RANK = 8;

/** One dispatch's share of a strided iteration. */
export interface StridedPart {
  /** Kernel shape (rank ≤ MAX_RANK). */
  readonly shape: readonly number[];
  /** Per view: its strides over `shape`. */
  readonly strides: readonly (readonly number[])[];
  /** Per view: its element offset for this part. */
  readonly offsets: readonly number[];
  /** Elements in this part (product of `shape`). */
  readonly size: number;
  /** Row-major index of this part's first element in the whole iteration (the contiguous output's offset). */
  readonly first: number;
}

interface Collapsed {
  shape: number[];
  strides: number[][];
}

/** Drops size-1 dimensions and merges dimensions that are contiguous in every view. */
export function collapse(shape: readonly number[], views: readonly View[]): Collapsed {
  const outShape: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k][last] === n * v.strides[d])) {
      outShape[last] *= n;
      views.forEach((v, k) => (strides[k][last] = v.strides[d]));
    } else {
      outShape.push(n);
      views.forEach((v, k) => strides[k].push(v.strides[d]));
    }
  }
  return { shape: outShape, strides };
}

/** The dispatches of a strided iteration over `shape` (size > 0), at most MAX_RANK dimensions each. */
export function stridedParts(shape: readonly number[], views: readonly View[], maxRank = MAX_RANK): StridedPart[] {
  const c = collapse(shape, views);
  if (c.shape.length <= maxRank) {
    return [{ shape: c.shape, strides: c.strides, offsets: views.map((v) => v.offset), size: product(c.shape), first: 0 }];
  }
  const lead = c.shape.length - maxRank;
  const inner = c.shape.slice(lead);
  const innerStrides = c.strides.map((s) => s.slice(lead));
  const size = product(inner);
  const outer = c.shape.slice(0, lead);
  const count = product(outer);
  const parts: StridedPart[] = [];
  const idx = new Array<number>(lead).fill(0);
  for (let p = 0; p < count; p++) {
    const offsets = views.map((v, k) => {
      let o = v.offset;
      for (let d = 0; d < lead; d++) o += idx[d] * c.strides[k][d];
      return o;
    });
    parts.push({ shape: inner, strides: innerStrides, offsets, size, first: p * size });
    for (let d = lead - 1; d >= 0; d--) {
      if (++idx[d] < outer[d]) break;
      idx[d] = 0;
    }
  }
  return parts;
}
