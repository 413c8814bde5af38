/**
 * Host data → flat numbers and a shape, for `device.tensor`. Every rejected value is named with its position
 * (`[1][0]`), so a string or BigInt deep in a nested array is not reported as some unrelated number.
 */
import { describe } from './args.js';
import { InvalidArgumentError, NonFiniteError, ShapeError } from './errors.js';
import { checkShape, fmt, sizeOf, type Shape } from './shape.js';

/** What to do about a value that is not a number. */
function hint(v: unknown): string {
  if (typeof v === 'bigint') return '; convert it with Number()';
  if (typeof v === 'boolean') return '; use 1 and 0';
  if (typeof v === 'string') return '; parse it with Number() first';
  return '';
}

const position = (path: readonly number[]) => path.map((i) => `[${i}]`).join('');

function checkNumber(v: unknown, path: readonly number[], allowNonFinite: boolean): void {
  if (typeof v !== 'number') {
    throw new InvalidArgumentError(`tensor: element ${position(path)} is ${describe(v)}; tensor data must be numbers${hint(v)}`);
  }
  if (!allowNonFinite && !Number.isFinite(v)) {
    throw new NonFiniteError(`tensor: element ${position(path)} is ${v} (pass { allowNonFinite: true } to accept it)`);
  }
}

/** The nested array's shape, read along its first elements. */
function nestedShape(data: readonly unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flattenNested(data: readonly unknown[], allowNonFinite: boolean): { flat: number[]; shape: number[] } {
  const shape = nestedShape(data);
  const flat: number[] = [];
  const path: number[] = [];
  const walk = (v: unknown): void => {
    const dim = path.length;
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new ShapeError(`tensor: ragged nested array: element ${position(path)} is an array, expected a number at depth ${dim}`);
      checkNumber(v, path, allowNonFinite);
      flat.push(v as number);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      const got = Array.isArray(v) ? `has length ${v.length}` : `is ${describe(v)}`;
      throw new ShapeError(`tensor: ragged nested array: element ${position(path)} ${got}, expected an array of length ${shape[dim]} (shape ${fmt(shape)})`);
    }
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i]);
      path.pop();
    }
  };
  walk(data);
  return { flat, shape };
}

/**
 * Checks `device.tensor`'s arguments and returns the values with their final shape. Throws before anything
 * is allocated: InvalidArgumentError (not numbers), ShapeError (ragged, wrong count), NonFiniteError.
 */
export function hostData(data: unknown, shape: Shape | undefined, allowNonFinite: boolean): { flat: ArrayLike<number>; shape: number[] } {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === 'number') {
    checkNumber(data, [], allowNonFinite);
    flat = [data];
    inferred = [];
  } else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new InvalidArgumentError(`tensor: data is a ${data.constructor.name}; BigInt elements are not numbers (convert with Float64Array.from(data, Number))`);
    }
    flat = data as unknown as ArrayLike<number>;
    inferred = [flat.length];
    if (!allowNonFinite) for (let i = 0; i < flat.length; i++) checkNumber(flat[i], [i], false);
  } else if (Array.isArray(data)) {
    ({ flat, shape: inferred } = flattenNested(data, allowNonFinite));
  } else {
    throw new InvalidArgumentError(`tensor: data is ${describe(data)}; expected a number, a nested array of numbers or a typed array`);
  }
  if (shape !== undefined && !Array.isArray(shape)) {
    throw new InvalidArgumentError(`tensor: shape is ${describe(shape)}; expected an array of dimension sizes`);
  }
  const finalShape = shape ? [...shape] : inferred;
  checkShape(finalShape);
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmt(finalShape)}`);
  }
  return { flat, shape: finalShape };
}
