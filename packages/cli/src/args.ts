/**
 * Flag parsing: Node's `util.parseArgs` splits the command line (so `--out=runs/lr=0.01` keeps its value whole),
 * and every value is then checked against a per-command spec with one clear {@link UsageError} per mistake:
 * empty values, numbers out of range or not numbers at all, a flag swallowed as another flag's value
 * (`--out --iters 2`), values given to switches (`--html=yes`), repeated flags, stray arguments.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export { UsageError };

/** One flag: its kind, allowed values or range, and default. `path`: a file-system path (non-empty). */
export interface FlagDef {
  kind: 'int' | 'number' | 'string' | 'path' | 'boolean';
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Why `max` (printed with the error), e.g. "the spiral has 1000 points". */
  maxWhy?: string;
  default: string | number | boolean;
}

/** A command's flags by name (without the leading `--`). */
export type FlagSpec = Record<string, FlagDef>;

/** The parsed values: numbers for int/number flags, booleans for switches, strings otherwise. */
export type Flags<S extends FlagSpec> = {
  [K in keyof S]: S[K]['kind'] extends 'int' | 'number' ? number : S[K]['kind'] extends 'boolean' ? boolean : string;
};

// Decimal numbers only: Number() would also read '' and ' ' as 0 and '0x10' as 16.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function value(name: string, d: FlagDef, raw: string): string | number {
  if (raw === '') throw new UsageError(`--${name} needs a value, got an empty one`);
  if (d.kind === 'string' || d.kind === 'path') {
    if (d.choices && !d.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${d.choices.join(', ')}, got '${raw}'`);
    if (raw.includes('\0')) throw new UsageError(`--${name} must not contain a NUL character`);
    return raw;
  }
  const v = NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || (d.kind === 'int' && !Number.isSafeInteger(v))) {
    throw new UsageError(`--${name} must be ${d.kind === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  if (d.min !== undefined && v < d.min) throw new UsageError(`--${name} must be ≥ ${d.min}, got ${raw}`);
  if (d.max !== undefined && v > d.max) throw new UsageError(`--${name} must be ≤ ${d.max}${d.maxWhy ? ` (${d.maxWhy})` : ''}, got ${raw}`);
  return v;
}

/** Parses `argv` against `spec`; returns the values (defaults filled in) and the names given explicitly. */
export function parseCommand<S extends FlagSpec>(argv: readonly string[], spec: S): { flags: Flags<S>; given: Set<string> } {
  const options = Object.fromEntries(Object.entries(spec).map(([k, d]) => [k, { type: d.kind === 'boolean' ? 'boolean' : 'string' } as const]));
  // Non-strict: parseArgs only splits; every message below is ours and names the flag.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const known = () => Object.keys(spec).map((k) => `--${k}`).join(', ');
  const out: Record<string, string | number | boolean> = {};
  for (const [k, d] of Object.entries(spec)) out[k] = d.default;
  const given = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'option-terminator') throw new UsageError(`unexpected argument '--'`);
    if (t.kind === 'positional') {
      const prev = argv[t.index - 1];
      const hint = prev?.startsWith('--') && !prev.includes('=') && argv[t.index - 2]?.startsWith('--') ? ` (did ${argv[t.index - 2]} take '${prev}' as its value?)` : '';
      throw new UsageError(`unexpected argument '${t.value}'${hint}`);
    }
    const d = spec[t.name];
    if (!d || !t.rawName.startsWith('--')) throw new UsageError(`unknown flag ${t.rawName} (known: ${known()})`);
    if (given.has(t.name)) throw new UsageError(`${t.rawName} is given twice`);
    given.add(t.name);
    if (d.kind === 'boolean') {
      if (t.inlineValue) throw new UsageError(`${t.rawName} is a switch and takes no value (got ${t.rawName}=${t.value}): write ${t.rawName} alone`);
      out[t.name] = true;
      continue;
    }
    if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
    // A separate value that looks like a flag was almost surely meant as one (`--out --iters 2`, `--out -h`);
    // negative numbers pass through to the range check.
    if (!t.inlineValue && t.value.startsWith('-') && !(d.kind !== 'string' && d.kind !== 'path' && NUMBER.test(t.value))) {
      throw new UsageError(`${t.rawName} needs a value, got the flag '${t.value}' (a value starting with '-' is written ${t.rawName}=${t.value})`);
    }
    out[t.name] = value(t.name, d, t.value);
  }
  return { flags: out as Flags<S>, given };
}

/** {@link parseCommand}'s values alone. */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Flags<S> {
  return parseCommand(argv, spec).flags;
}
