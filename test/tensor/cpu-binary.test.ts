/**
 * The cpu backend's strided binary loop (innermost dimension unrolled out of the index walk) against a plain
 * per-element reference, over random broadcasts, transposed views, rank 0 and empty shapes.
 */
import { expect, it } from 'vitest';
import { CpuBackend, type BinaryOp, type View } from '@sympode/tensor';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

/** out[idx] = f(a[offA + Σ idx·strideA], b[...]) by explicit multi-index. */
function reference(f: (x: number, y: number) => number, a: Float64Array, av: View, b: Float64Array, bv: View, shape: number[]): number[] {
  const size = shape.reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    let rem = i;
    let oa = av.offset;
    let ob = bv.offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      const k = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      oa += k * av.strides[d];
      ob += k * bv.strides[d];
    }
    out.push(f(a[oa], b[ob]));
  }
  return out;
}

const OPS: [BinaryOp, (x: number, y: number) => number][] = [
  ['add', (x, y) => x + y],
  ['mul', (x, y) => x * y],
  ['sub', (x, y) => x - y],
  ['div', (x, y) => x / y],
  ['max', (x, y) => (x > y || Number.isNaN(x) ? x : y)],
];

it('matches a per-element reference on random broadcast and strided views', () => {
  const cpu = new CpuBackend('float64');
  const r = rng(7);
  for (let trial = 0; trial < 300; trial++) {
    const rank = Math.floor(r() * 5);
    const shape = Array.from({ length: rank }, () => Math.floor(r() * 4) + (trial % 29 === 0 ? 0 : 1));
    const view = (): View => {
      // Broadcast some dims (stride 0), permute strides of the rest, add an offset.
      const dims = shape.map((n) => (r() < 0.3 ? 1 : n));
      let stride = 1;
      const strides = new Array<number>(rank);
      const order = [...dims.keys()].sort(() => r() - 0.5);
      for (const d of order) {
        strides[d] = dims[d] === 1 ? 0 : stride;
        stride *= dims[d];
      }
      return { offset: Math.floor(r() * 3), strides };
    };
    const av = view();
    const bv = view();
    const len = 3 + shape.reduce((p, d) => p * (d + 1), 1) * 2;
    const a = Float64Array.from({ length: len }, () => r() * 4 - 2);
    const b = Float64Array.from({ length: len }, () => r() * 4 - 2 || 0.5);
    for (const [op, f] of OPS) {
      const out = new Float64Array(shape.reduce((p, d) => p * d, 1));
      cpu.binary(op, a, av, b, bv, out, shape);
      expect(Array.from(out)).toEqual(reference(f, a, av, b, bv, shape));
    }
  }
});
