/**
 * kernels/elementwise.wgsl: unary (contiguous), binary and where (views broadcast by strides), and
 * kernels/fill.wgsl. One thread an element, 256 a workgroup, 2-D grids past 65535 workgroups; views of rank
 * above MAX_RANK (after collapsing) are split into one dispatch per leading index (strided.ts).
 */
import type { BinaryOp, UnaryOp, View } from '../../backend.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, type Dispatch, type Limits } from './kernel.js';
import { stridedParts } from './strided.js';

const UNARY: Record<UnaryOp, string> = {
  neg: '-x',
  exp: 'exp(x)',
  log: 'flog(x)',
  tanh: 'ftanh(x)',
  sigmoid: 'fsigmoid(x)',
  softplus: 'fsoftplus(x)',
  relu: 'select(0.0, x, x > 0.0 && !isnan_(x))',
  sin: 'sin(x)',
  cos: 'cos(x)',
  square: 'x * x',
  sqrt: 'sqrt(x)',
  abs: 'abs(x)',
  sign: 'fsign(x)',
  step: 'select(0.0, 1.0, x > 0.0 && !isnan_(x))',
  recip: '1.0 / x',
  adds: 'x + a',
  muls: 'x * a',
  rsubs: 'a - x',
  rdivs: 'a / x',
  pows: 'fpow(x, a)',
  maxs: 'fmax_(x, a)',
  mins: 'fmin_(x, a)',
};

const BINARY: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  max: 'fmax_(a, b)',
  min: 'fmin_(a, b)',
  pow: 'fpow(a, b)',
  lt: 'cmp(a < b, a, b, 0.0)',
  le: 'cmp(a <= b, a, b, 0.0)',
  gt: 'cmp(a > b, a, b, 0.0)',
  ge: 'cmp(a >= b, a, b, 0.0)',
  eq: 'cmp(a == b, a, b, 0.0)',
  ne: 'cmp(a != b, a, b, 1.0)',
};

type Defines = Readonly<Record<string, string>>;
const map = <K extends string>(table: Record<K, string>, f: (expr: string) => Defines) =>
  Object.fromEntries(Object.entries(table).map(([k, v]) => [k, f(v as string)])) as Record<K, Defines>;
/** Constant defines per op (the program cache keys on their identity). */
const UNARY_DEFINES = map(UNARY, (e) => ({ UNARY: e, BINARY: 'a' }));
const BINARY_DEFINES = map(BINARY, (e) => ({ UNARY: 'x', BINARY: e }));
const WHERE_DEFINES: Defines = { UNARY: 'x', BINARY: 'a' };

export const ELEMENTWISE = kernelFile(
  'elementwise',
  {
    size: 'u32',
    rank: 'u32',
    alpha: 'f32',
    outOff: 'u32',
    off: 'vec4<i32>',
    shape: 'array<vec4<u32>, 2>',
    st0: 'array<vec4<i32>, 2>',
    st1: 'array<vec4<i32>, 2>',
    st2: 'array<vec4<i32>, 2>',
  },
  { out: [1, 'rw'], in0: [2, 'r'], in1: [3, 'r'], in2: [4, 'r'] },
  ['UNARY', 'BINARY'],
);
export const UNARY_MAIN = ELEMENTWISE.entry('unary_main', ['out', 'in0']);
export const BINARY_MAIN = ELEMENTWISE.entry('binary_main', ['out', 'in0', 'in1']);
export const WHERE_MAIN = ELEMENTWISE.entry('where_main', ['out', 'in0', 'in1', 'in2']);

export const FILL = kernelFile('fill', { size: 'u32', value: 'f32', pad0: 'u32', pad1: 'u32' }, { out: [1, 'rw'] });
export const FILL_MAIN = FILL.entry('fill_main', ['out']);

/** out[i] = value, i < size. */
export function fillPlan(out: GPUBuffer, value: number, size: number, lim: Limits): Dispatch[] {
  return [dispatchOf(FILL_MAIN, [out], grid1d(groupsFor(size), lim), { size, value })];
}

/** out[i] = op(x[i], alpha), contiguous. */
export function unaryPlan(op: UnaryOp, x: GPUBuffer, out: GPUBuffer, size: number, alpha: number, lim: Limits): Dispatch[] {
  return [dispatchOf(UNARY_MAIN, [out, x], grid1d(groupsFor(size), lim), { size, alpha }, UNARY_DEFINES[op])];
}

/** out[i] = op(a[view a](i), b[view b](i)) over `shape`. */
export function binaryPlan(op: BinaryOp, buffers: readonly GPUBuffer[], views: readonly View[], shape: readonly number[], lim: Limits): Dispatch[] {
  return stridedPlan(BINARY_MAIN, BINARY_DEFINES[op], buffers, views, shape, lim);
}

/** out[i] = cond(i) != 0 ? a(i) : b(i) over `shape` (buffers: out, cond, a, b). */
export function wherePlan(buffers: readonly GPUBuffer[], views: readonly View[], shape: readonly number[], lim: Limits): Dispatch[] {
  return stridedPlan(WHERE_MAIN, WHERE_DEFINES, buffers, views, shape, lim);
}

function stridedPlan(
  kernel: typeof BINARY_MAIN, defines: Defines, buffers: readonly GPUBuffer[],
  views: readonly View[], shape: readonly number[], lim: Limits,
): Dispatch[] {
  return stridedParts(shape, views).map((p) =>
    dispatchOf(kernel, buffers, grid1d(groupsFor(p.size), lim), {
      size: p.size,
      rank: p.shape.length,
      outOff: p.first,
      off: p.offsets,
      shape: p.shape,
      st0: p.strides[0],
      st1: p.strides[1],
      st2: p.strides[2],
    }, defines),
  );
}
