/**
 * The run's journal: every finished measurement is written to a JSON file, so a measuring process that died
 * (Dawn on lavapipe crashes natively now and then) is restarted and resumes where it stopped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** JSON with NaN/±Infinity and Float64Array kept (the journal stores measurements verbatim). */
function encode(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
  if (v instanceof Float64Array) return { $f64: Array.from(v) };
  return v;
}
function decode(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$num === 'string' && Object.keys(o).length === 1) return Number(o.$num);
    if (Array.isArray(o.$f64) && Object.keys(o).length === 1) return Float64Array.from(o.$f64 as number[]);
  }
  return v;
}

/** Runs `fn` once per key: later calls (in this process or a restarted one) return the recorded value. */
export type Journaled = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

/** Memoises finished steps in a JSON file (see BenchOptions.journal); without a path, just runs them. */
export function openJournal(path: string | undefined): Journaled {
  if (!path) return (_key, fn) => fn();
  const entries: Record<string, unknown> = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8'), decode) as Record<string, unknown>) : {};
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    if (key in entries) return entries[key] as T;
    const v = await fn();
    entries[key] = v;
    writeFileSync(path, JSON.stringify(entries, encode));
    return v;
  };
}
