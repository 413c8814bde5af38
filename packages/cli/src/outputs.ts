/**
 * The --out folder, checked before a run and written all at once after it. {@link prepareOut} creates the folder
 * and proves it writable before any work starts; {@link stagedOut} lets a command write its files into a fresh
 * staging folder inside it and renames them into place only once every file is written, so a run that fails
 * (a full disk) or is interrupted leaves the previous run's files as they were.
 */
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { OutputError } from './errors.js';

const WHY: Record<string, [string, string]> = {
  ENOSPC: ['no space left on device', 'free some space or choose another --out'],
  EDQUOT: ['disk quota exceeded', 'free some space or choose another --out'],
  EACCES: ['permission denied', 'choose a folder you can write to (--out)'],
  EPERM: ['operation not permitted', 'choose a folder you can write to (--out)'],
  EROFS: ['read-only file system', 'choose a folder on a writable file system (--out)'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'choose another --out'],
  EISDIR: ['it is a folder', 'remove it or choose another --out'],
  ENAMETOOLONG: ['the name is too long', 'choose a shorter --out'],
  EMFILE: ['too many open files', 'close other programs or raise the limit (ulimit -n)'],
  EIO: ['input/output error', 'check the disk, or choose another --out'],
};

/** One line for a failed file-system call on `path`: what, why (with the code), what to do. */
export function fsError(e: unknown, action: string, path: string, after = ''): OutputError {
  if (e instanceof OutputError) return e;
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  const [why, todo] = WHY[code] ?? [(e as Error)?.message ?? String(e), 'choose another --out'];
  return new OutputError(`cannot ${action} '${path}': ${why}${code && !why.includes(code) ? ` (${code})` : ''}; ${todo}${after}`, { cause: e });
}

const kindOf = (p: string) => {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw fsError(e, 'look at', p);
  }
};

/**
 * `mkdir -p` without `fs.mkdir`'s recursive mode, which on Node 20 loops forever where the parent exists but
 * refuses new entries with ENOENT (e.g. /proc). Each missing ancestor is made once; an ancestor that is a file
 * is named.
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    const k = kindOf(p);
    if (k === 'dir') break;
    if (k === 'file') {
      const what = p === resolve(dir) ? `it is a file, not a folder` : `'${p}' is a file, not a folder`;
      throw new OutputError(`cannot create the output folder '${dir}': ${what}; choose another --out`);
    }
    missing.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && kindOf(m) === 'dir') continue;
      if (code === 'ENOENT') throw new OutputError(`cannot create the output folder '${dir}': '${dirname(m)}' does not accept new folders (ENOENT); choose another --out`, { cause: e });
      throw fsError(e, 'create the output folder', dir);
    }
  }
}

let serial = 0;
const pending = new Set<string>();
const tempName = (dir: string, name: string) => join(dir, `.${name}.sympode-${process.pid}-${++serial}.tmp`);

/** Removes every staging folder not yet committed (synchronous: safe in a signal handler). */
export function discardPending(): void {
  for (const t of pending) rmSync(t, { recursive: true, force: true });
  pending.clear();
}

/**
 * Creates `dir` (and its parents) and writes and removes a probe file in it, before any work is done, so a
 * bad --out fails in a second with one clear line instead of after training.
 */
export function prepareOut(dir: string): void {
  makeFolder(dir);
  const probe = tempName(dir, 'probe');
  try {
    const fd = openSync(probe, 'wx');
    try {
      writeSync(fd, 'sympode write probe\n');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    rmSync(probe, { force: true });
    throw fsError(e, 'write in the output folder', dir);
  }
  rmSync(probe, { force: true });
}

/**
 * Runs `write(staging)`, which writes the run's files into `staging` (a new folder inside `out`) and returns
 * their paths; then renames each into `out` (same file system: each rename is atomic) and returns the final
 * paths. When `write` throws, the staging folder is removed and `out` keeps what it had.
 */
export async function stagedOut(out: string, write: (staging: string) => Promise<string[]>): Promise<string[]> {
  makeFolder(out);
  const staging = tempName(out, 'run');
  try {
    mkdirSync(staging);
  } catch (e) {
    throw fsError(e, 'write in the output folder', out);
  }
  pending.add(staging);
  try {
    let files: string[];
    try {
      files = await write(staging);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      throw code ? fsError(e, 'write the outputs in', out, `; the files already in '${out}' are unchanged`) : e;
    }
    const finals = files.map((f) => join(out, relative(staging, f)));
    for (const [i, f] of files.entries()) {
      try {
        renameSync(f, finals[i]!);
      } catch (e) {
        throw fsError(e, 'rename into place', finals[i]!);
      }
    }
    const left = readdirSync(staging);
    if (left.length > 0) throw new OutputError(`stagedOut: files written but not listed: ${left.join(', ')}`);
    return finals;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    pending.delete(staging);
  }
}
