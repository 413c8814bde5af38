/** Flag parsing with clear errors: `--name value` pairs validated against a per-command spec. */

import { UsageError } from './errors.js';

export { UsageError };

export type FlagSpec = Record<string, { kind: 'int' | 'number' | 'string'; choices?: readonly string[]; min?: number; default: string | number }>;

export type Flags<S extends FlagSpec> = { [K in keyof S]: S[K]['kind'] extends 'string' ? string : number };

export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Flags<S> {
  const out: Record<string, string | number> = {};
  for (const [k, s] of Object.entries(spec)) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split('=', 2);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name} (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (s.kind === 'string') {
      if (s.choices && !s.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${s.choices.join(', ')}, got '${raw}'`);
      out[name] = raw;
    } else {
      const v = Number(raw);
      if (!Number.isFinite(v) || (s.kind === 'int' && !Number.isInteger(v))) {
        throw new UsageError(`--${name} must be ${s.kind === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
      }
      if (s.min !== undefined && v < s.min) throw new UsageError(`--${name} must be ≥ ${s.min}, got ${v}`);
      out[name] = v;
    }
  }
  return out as Flags<S>;
}
