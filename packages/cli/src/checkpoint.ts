/**
 * A long run's checkpoint (`--save-every N`, `--resume DIR`): while a run trains, `<out>/checkpoint/` holds
 * `metrics.csv`, appended a row per iteration so progress can be followed, and `state.json`, rewritten
 * atomically (temp file, fsync, rename) every N iterations, at the end of training and on SIGINT/SIGTERM: the
 * options that fix the numbers, the iteration, the parameters, the optimiser's state, the random streams and
 * the metrics so far. The run's own outputs are still written all at once at the end (stagedOut), so the
 * files of the previous run stay as they were until then; the checkpoint folder is removed once they are.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from './errors.js';
import { fsError, makeFolder } from './outputs.js';

/** The commands that checkpoint (physics will join). */
export type CheckpointCommand = 'cnf';

/** Options recorded with a checkpoint: flag name → value. Resuming checks them against the command line. */
export type RunOptions = Record<string, string | number | boolean>;

/** What `state.json` holds. `model`, `optimizer` and `rng` are the command's own JSON (checked by it). */
export interface RunCheckpoint {
  format: 'sympode-checkpoint';
  version: 1;
  command: CheckpointCommand;
  options: RunOptions;
  /** Iterations finished; training resumes at `iteration + 1`. */
  iteration: number;
  model: unknown;
  optimizer: unknown;
  rng: unknown;
  /** metrics.csv's header and one row per finished iteration. */
  metrics: string[];
}

/** The checkpoint folder of the run writing to `out`. */
export const checkpointDir = (out: string) => join(out, 'checkpoint');

/** Writes `text` to `path` atomically: a temp file beside it, flushed to disk, renamed over it. */
function writeAtomic(path: string, text: string, action: string, after = ''): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsError(e, action, path, after);
  }
}

/** Saves and restores one run's checkpoint and appends its metrics; see the module comment. */
export class RunStore {
  private readonly dir: string;

  constructor(readonly out: string, readonly command: CheckpointCommand) {
    this.dir = checkpointDir(out);
  }

  /** `state.json`'s path. */
  get statePath(): string {
    return join(this.dir, 'state.json');
  }

  /** `metrics.csv`'s path (the one appended as the run goes). */
  get metricsPath(): string {
    return join(this.dir, 'metrics.csv');
  }

  /** A fresh run: refuses to replace an unfinished run's checkpoint (it may be all that is left of it). */
  begin(header: string): void {
    if (existsSync(this.statePath)) {
      const it = peekIteration(this.statePath);
      throw new CheckpointError(
        `'${this.out}' holds the checkpoint of an unfinished run${it === null ? '' : ` (iteration ${it})`}: continue it with --resume ${this.out}, or remove '${this.dir}' to start over`,
      );
    }
    makeFolder(this.dir);
    this.rewriteMetrics([header]);
  }

  /** Reads and checks the checkpoint (format, command, options), and resets metrics.csv to its rows. */
  resume(options: RunOptions, free: readonly string[]): RunCheckpoint {
    const cp = readCheckpoint(this.statePath, this.command);
    const diff = Object.keys({ ...cp.options, ...options })
      .filter((k) => !free.includes(k) && cp.options[k] !== options[k])
      .map((k) => `--${k} ${fmtValue(options[k])} here, ${fmtValue(cp.options[k])} in the checkpoint`);
    if (diff.length > 0) {
      throw new CheckpointError(`cannot resume '${this.out}': the checkpoint was made with other options (${diff.join('; ')}); give the same flags or none of them`);
    }
    this.rewriteMetrics(cp.metrics);
    return cp;
  }

  /** Appends one metrics row. */
  append(row: string): void {
    try {
      appendFileSync(this.metricsPath, row + '\n');
    } catch (e) {
      throw fsError(e, 'append to', this.metricsPath, '; the last checkpoint is unchanged');
    }
  }

  /** Saves the checkpoint atomically. */
  save(cp: Omit<RunCheckpoint, 'format' | 'version' | 'command'>): void {
    writeAtomic(this.statePath, JSON.stringify({ format: 'sympode-checkpoint', version: 1, command: this.command, ...cp }), 'save the checkpoint', '; the previous checkpoint is unchanged');
  }

  /** The run is complete and its outputs are in place: the checkpoint folder goes. */
  finish(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private rewriteMetrics(rows: readonly string[]): void {
    writeAtomic(this.metricsPath, rows.join('\n') + '\n', 'write');
  }
}

const fmtValue = (v: unknown) => (v === undefined ? '(not set)' : String(v));

function peekIteration(path: string): number | null {
  try {
    const it = (JSON.parse(readFileSync(path, 'utf8')) as { iteration?: unknown }).iteration;
    return typeof it === 'number' ? it : null;
  } catch {
    return null;
  }
}

/** Reads `state.json` with every field checked; each problem is a CheckpointError saying what and where. */
export function readCheckpoint(path: string, command: CheckpointCommand): RunCheckpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CheckpointError(`no checkpoint to resume: '${path}' does not exist (a run saves one with --save-every N, on by default for ${command})`);
    }
    throw new CheckpointError(`cannot read the checkpoint '${path}': ${(e as Error).message}`, { cause: e });
  }
  let cp: Partial<RunCheckpoint>;
  try {
    cp = JSON.parse(text) as Partial<RunCheckpoint>;
  } catch (e) {
    throw new CheckpointError(`the checkpoint '${path}' is corrupt (not valid JSON: ${(e as Error).message})`, { cause: e });
  }
  const bad = (why: string) => new CheckpointError(`the checkpoint '${path}' is corrupt: ${why}`);
  if (typeof cp !== 'object' || cp === null || cp.format !== 'sympode-checkpoint') throw bad('it is not a sympode checkpoint (no format: "sympode-checkpoint")');
  if (cp.version !== 1) throw new CheckpointError(`the checkpoint '${path}' has format version ${String(cp.version)}; this sympode reads version 1`);
  if (cp.command !== command) throw new CheckpointError(`the checkpoint '${path}' was written by 'sympode ${String(cp.command)}', not 'sympode ${command}'`);
  if (typeof cp.options !== 'object' || cp.options === null) throw bad('options missing');
  if (!Number.isSafeInteger(cp.iteration) || cp.iteration! < 0) throw bad(`iteration is ${String(cp.iteration)}`);
  if (!Array.isArray(cp.metrics) || cp.metrics.length !== cp.iteration! + 1 || !cp.metrics.every((r) => typeof r === 'string')) {
    throw bad(`metrics must be a header and ${cp.iteration} rows`);
  }
  return cp as RunCheckpoint;
}
