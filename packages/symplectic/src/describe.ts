/**
 * A value as the solver's messages name it: a number as itself (or "the number 1" with `typed`), a string
 * quoted, anything else by its kind.
 */
export function describe(v: unknown, typed = false): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'number') return typed ? `the number ${v}` : String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof v}`;
}
