/**
 * Movement ops: reshape (a view: shares storage), transpose, broadcast, slice/narrow, concat, stack, clone.
 * All but reshape are one strided-copy kernel; slice and its adjoint `embed` are each other's backward.
 */
import { record } from '../autograd.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { describe } from '../args.js';
import { broadcastShapes, broadcastView, checkShape, contiguousView, fmt, normalizeAxis, sameShape, sizeOf, stridesOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { launch, sameDevice } from './common.js';

/** A shape or axis-list argument: an array (of numbers, checked by each op). */
function listArg(op: string, what: string, v: unknown): void {
  if (!Array.isArray(v)) throw new ShapeError(`${op}: the ${what} must be an array, got ${describe(v)}`);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x._check();
  listArg('reshape', 'shape', shape);
  const target = [...shape];
  const infer = target.indexOf(-1);
  if (infer >= 0) {
    const rest = sizeOf(target.filter((_, i) => i !== infer));
    if (target.lastIndexOf(-1) !== infer || rest === 0 || x.size % rest !== 0) {
      throw new ShapeError(`reshape: cannot infer -1 in ${fmt(shape)} for ${x.size} elements`);
    }
    target[infer] = x.size / rest;
  }
  if (target.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(target) !== x.size) {
    throw new ShapeError(`reshape: shape ${fmt(x.shape)} (${x.size} elements) cannot become ${fmt(shape)}`);
  }
  const xShape = x.shape;
  const out = Tensor._fromStorage(x.device, x._storage.retain(), target);
  return record('reshape', out, [x], (g) => [g.reshape(xShape)]);
}

export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  x._check();
  if (perm !== undefined) listArg('transpose', 'permutation', perm);
  const p = perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new ShapeError(`transpose: ${fmt(p)} is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
  }
  const strides = stridesOf(x.shape);
  const shape = p.map((i) => x.shape[i]);
  const out = launch(x.device._empty(shape), (out) =>
    x.device.backend.copy(x._raw, { offset: 0, strides: p.map((i) => strides[i]) }, out._raw, contiguousView(shape), shape),
  );
  const inverse = new Array<number>(p.length);
  p.forEach((v, i) => (inverse[v] = i));
  return record('transpose', out, [x], (g) => [g.transpose(inverse)]);
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  x._check();
  listArg('broadcastTo', 'shape', shape);
  const target = [...shape];
  checkShape(target, 'broadcastTo: shape');
  if (!sameShape(broadcastShapes(x.shape, target, 'broadcastTo'), target)) {
    throw new ShapeError(`broadcastTo: ${fmt(x.shape)} cannot be broadcast to ${fmt(target)}`);
  }
  const xShape = x.shape;
  const out = launch(x.device._empty(target), (out) =>
    x.device.backend.copy(x._raw, broadcastView(xShape, target), out._raw, contiguousView(target), target),
  );
  return record('broadcastTo', out, [x], (g) => [g.sumTo(xShape)]);
}

/** Sums the broadcast dimensions of `x` away so it has `shape` (the adjoint of broadcastTo). */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  x._check();
  listArg('sumTo', 'shape', shape);
  if (sameShape(x.shape, shape)) return x;
  const lead = x.rank - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: ${fmt(x.shape)} cannot be reduced to ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const d = i < lead ? 1 : shape[i - lead];
    if (i < lead || (d === 1 && x.shape[i] !== 1)) axes.push(i);
    else if (d !== x.shape[i]) throw new ShapeError(`sumTo: ${fmt(x.shape)} cannot be reduced to ${fmt(shape)}`);
  }
  if (!axes.length) return reshape(x, shape);
  const s = x.sum(axes, true);
  const out = reshape(s, shape);
  s.dispose();
  return out;
}

function checkRegion(op: string, full: readonly number[], starts: readonly number[], sizes: readonly number[]): void {
  for (let i = 0; i < full.length; i++) {
    if (!Number.isInteger(starts[i]) || !Number.isInteger(sizes[i]) || starts[i] < 0 || sizes[i] < 0 || starts[i] + sizes[i] > full[i]) {
      throw new ShapeError(`${op}: region start ${fmt(starts)} size ${fmt(sizes)} does not fit in ${fmt(full)}`);
    }
  }
}

function regionOffset(full: readonly number[], starts: readonly number[]): number {
  const strides = stridesOf(full);
  return starts.reduce((acc, s, i) => acc + s * strides[i], 0);
}

/** The block of `x` starting at `starts` with extent `sizes`. */
function sliceRegion(x: Tensor, starts: readonly number[], sizes: readonly number[]): Tensor {
  checkRegion('slice', x.shape, starts, sizes);
  const xShape = x.shape;
  const out = launch(x.device._empty(sizes), (out) =>
    x.device.backend.copy(x._raw, { offset: regionOffset(xShape, starts), strides: stridesOf(xShape) }, out._raw, contiguousView(sizes), sizes),
  );
  return record('slice', out, [x], (g) => [embed(g, xShape, starts)]);
}

/** Zeros of `full` with `x` written at `starts` (the adjoint of slicing). */
function embed(x: Tensor, full: readonly number[], starts: readonly number[]): Tensor {
  checkRegion('embed', full, starts, x.shape);
  const out = launch(x.device.zeros(full), (out) =>
    x.device.backend.copy(x._raw, contiguousView(x.shape), out._raw, { offset: regionOffset(full, starts), strides: stridesOf(full) }, x.shape),
  );
  const sizes = x.shape;
  return record('embed', out, [x], (g) => [sliceRegion(g, starts, sizes)]);
}

export function slice(x: Tensor, ranges: readonly (readonly [number, number] | null)[]): Tensor {
  x._check();
  listArg('slice', 'ranges', ranges);
  ranges.forEach((r, i) => {
    if (r !== null && r !== undefined && !(Array.isArray(r) && r.length === 2)) throw new ShapeError(`slice: range ${i} is ${describe(r)}; expected [start, end] or null`);
  });
  if (ranges.length > x.rank) throw new ShapeError(`slice: ${ranges.length} ranges for a tensor of rank ${x.rank}`);
  const starts = x.shape.map((d, i) => {
    const r = ranges[i];
    return r ? (r[0] < 0 ? r[0] + d : r[0]) : 0;
  });
  const sizes = x.shape.map((d, i) => {
    const r = ranges[i];
    if (!r) return d;
    const end = r[1] < 0 ? r[1] + d : Math.min(r[1], d);
    return Math.max(0, end - starts[i]);
  });
  return sliceRegion(x, starts, sizes);
}

export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  x._check();
  const a = normalizeAxis(axis, x.rank);
  const starts = x.shape.map((_, i) => (i === a ? start : 0));
  const sizes = x.shape.map((d, i) => (i === a ? length : d));
  return sliceRegion(x, starts, sizes);
}

/** The operands of concat/stack: a non-empty array of live tensors of one device. */
function joinable(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) throw new InvalidArgumentError(`${op}: expected an array of tensors, got ${describe(tensors)}`);
  if (!tensors.length) throw new ShapeError(`${op}: no tensors`);
  sameDevice(op, ...tensors);
}

/** Joins tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  joinable('concat', tensors);
  const first = tensors[0];
  const a = normalizeAxis(axis, first.rank);
  for (const [i, t] of tensors.entries()) {
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new ShapeError(`concat along axis ${a}: tensor ${i} has shape ${fmt(t.shape)}, which does not match tensor 0's ${fmt(first.shape)} off that axis`);
    }
  }
  const shape = [...first.shape];
  shape[a] = tensors.reduce((p, t) => p + t.shape[a], 0);
  const strides = stridesOf(shape);
  const offsets: number[] = [];
  const out = launch(first.device._empty(shape), (o) => {
    let at = 0;
    for (const t of tensors) {
      offsets.push(at);
      first.device.backend.copy(t._raw, contiguousView(t.shape), o._raw, { offset: at * strides[a], strides }, t.shape);
      at += t.shape[a];
    }
  });
  const lengths = tensors.map((t) => t.shape[a]);
  return record('concat', out, tensors, (g, _s, needs) => lengths.map((len, i) => (needs[i] ? narrow(g, a, offsets[i], len) : null)));
}

/** Joins tensors of equal shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  joinable('stack', tensors);
  const first = tensors[0];
  const a = normalizeAxis(axis, first.rank + 1);
  // Every shape is checked before the first reshaped handle exists, so a mismatch leaves nothing behind.
  for (const [i, t] of tensors.entries()) {
    if (!sameShape(t.shape, first.shape)) throw new ShapeError(`stack: tensor ${i} has shape ${fmt(t.shape)}, tensor 0 has ${fmt(first.shape)}; stacked tensors must have equal shapes`);
  }
  const expanded = tensors.map((t) => {
    const s = [...t.shape];
    s.splice(a, 0, 1);
    return reshape(t, s);
  });
  const out = concat(expanded, a);
  for (const e of expanded) e.dispose();
  return out;
}

/** A contiguous copy (differentiable). */
export function clone(x: Tensor): Tensor {
  x._check();
  const out = launch(x.device._empty(x.shape), (out) =>
    x.device.backend.copy(x._raw, contiguousView(x.shape), out._raw, contiguousView(x.shape), x.shape),
  );
  return record('clone', out, [x], (g) => [g]);
}
