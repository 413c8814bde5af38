/** Shape arithmetic: sizes, strides, broadcasting, axis normalisation. Pure functions, no tensors. */
import { ShapeError } from './errors.js';
import type { View } from './backends/backend.js';

/** A tensor shape: the size of each axis. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major contiguous strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(shape: Shape): string {
  return `[${Array.from(shape, String).join(', ')}]`;
}

export function checkShape(shape: Shape, what = 'shape'): void {
  if (!Array.isArray(shape)) throw new ShapeError(`${what} must be an array of dimension sizes, got ${typeof shape === 'string' ? `'${shape}'` : String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${what} ${fmt(shape)} has an invalid dimension ${d}`);
  }
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** The view that reads a contiguous tensor of `shape` broadcast to `target` (stride 0 on broadcast dims). */
export function broadcastView(shape: Shape, target: Shape): View {
  const strides = stridesOf(shape);
  const off = target.length - shape.length;
  return {
    offset: 0,
    strides: target.map((d, i) => {
      const j = i - off;
      if (j < 0 || shape[j] === 1) return 0;
      return strides[j];
    }),
  };
}

export function contiguousView(shape: Shape): View {
  return { offset: 0, strides: stridesOf(shape) };
}

export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  if (typeof axis !== 'number') throw new ShapeError(`${what} must be an integer, got ${typeof axis === 'string' ? `'${axis}'` : String(axis as unknown as string)}`);
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`${what} ${String(axis)} is out of range for a tensor of rank ${rank} (valid: ${-rank} to ${rank - 1})`);
  }
  return a;
}
