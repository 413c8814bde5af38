/**
 * An independent float64 reference for the tensor ops: plain nested loops over flat arrays, written from the
 * definitions (NumPy broadcasting, row-major layout), sharing no code with the library.
 */
export interface Ref {
  shape: number[];
  data: Float64Array;
}

export const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

export function ref(shape: number[], data: ArrayLike<number>): Ref {
  return { shape, data: Float64Array.from(data) };
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d] + idx[d];
  return o;
}

/** Reads `x` at a (broadcast) output index. */
function at(x: Ref, outIdx: readonly number[]): number {
  const off = outIdx.length - x.shape.length;
  const idx = x.shape.map((d, i) => (d === 1 ? 0 : outIdx[i + off]));
  return x.data[ravel(idx, x.shape)];
}

export function bshape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error('reference: not broadcastable');
    return Math.max(da, db) === 1 ? 1 : da === 1 ? db : da;
  });
}

export function map(x: Ref, f: (v: number) => number): Ref {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function zip(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = bshape(a.shape, b.shape);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = f(at(a, idx), at(b, idx));
  }
  return { shape, data };
}

export function reduce(x: Ref, axes: number[], f: (acc: number, v: number) => number, init: number, keepdims = false): Ref {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const data = new Float64Array(size(kept)).fill(init);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (axes.includes(d) ? 0 : v));
    const o = ravel(idx, kept);
    data[o] = f(data[o], x.data[i]);
  }
  return { shape: keepdims ? kept : x.shape.filter((_, i) => !axes.includes(i)), data };
}

/** [.., m, k] · [.., k, n] with a 2-D operand broadcast over the other's batch. */
export function matmul(a: Ref, b: Ref): Ref {
  const m = a.shape[a.shape.length - 2], k = a.shape[a.shape.length - 1], n = b.shape[b.shape.length - 1];
  const batch = a.shape.length === 3 ? a.shape[0] : b.shape.length === 3 ? b.shape[0] : 1;
  const data = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const ao = a.shape.length === 3 ? p * m * k : 0, bo = b.shape.length === 3 ? p * k * n : 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[ao + i * k + q] * b.data[bo + q * n + j];
        data[p * m * n + i * n + j] = s;
      }
  }
  return { shape: a.shape.length === 3 || b.shape.length === 3 ? [batch, m, n] : [m, n], data };
}

export function transpose(x: Ref, perm: number[]): Ref {
  const shape = perm.map((p) => x.shape[p]);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, d) => (src[p] = idx[d]));
    data[i] = x.data[ravel(src, x.shape)];
  }
  return { shape, data };
}

export function sliceRef(x: Ref, starts: number[], sizes: number[]): Ref {
  const data = new Float64Array(size(sizes));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, sizes).map((v, d) => v + starts[d]);
    data[i] = x.data[ravel(idx, x.shape)];
  }
  return { shape: sizes, data };
}

export function concatRef(xs: Ref[], axis: number): Ref {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((p, x) => p + x.shape[axis], 0);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let j = idx[axis], w = 0;
    while (j >= xs[w].shape[axis]) j -= xs[w++].shape[axis];
    idx[axis] = j;
    data[i] = xs[w].data[ravel(idx, xs[w].shape)];
  }
  return { shape, data };
}

/** Deterministic pseudo-random values in [lo, hi) (an LCG independent of the library's RNG). */
export function randomData(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 4294967296;
  });
}

/** max |a - b| / max(1, max |b|)-style relative error. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}
