/** Arguments as messages name them, and the checks every entry point shares (a callback must be a function). */
import { InvalidArgumentError } from './errors.js';

/** A value as a message shows it: its type and, for primitives, the value. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'bigint') return `the BigInt ${v}n`;
  if (typeof v === 'boolean' || typeof v === 'number') return `the ${typeof v} ${v}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Throws InvalidArgumentError unless `fn` is a function (callbacks of tidy, noGrad, memory.scope, ...). */
export function checkFunction(api: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new InvalidArgumentError(`${api} expects a function, got ${describe(fn)}`);
}
