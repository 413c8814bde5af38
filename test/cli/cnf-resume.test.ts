/**
 * `sympode cnf --save-every N` / `--resume DIR`: a run stopped (by an AbortSignal, or SIGINT/SIGTERM in the
 * command line) and resumed, maybe more than once, ends with the same parameters, losses and pictures, byte for
 * byte, as one never stopped (cpu float64); while stopped, the previous run's outputs are untouched; a
 * missing, corrupt or mismatched checkpoint is a CheckpointError (exit status 1) that says which.
 */
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { trainCnf, type CnfOptions } from '../../packages/cli/src/cnf.js';
import { CheckpointError } from '../../packages/cli/src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = resolve('packages/cli/dist/main.js');
const tiny: Omit<CnfOptions, 'out'> = {
  data: '8gaussians', gradient: 'symplectic-adjoint', backend: 'cpu', dtype: 'float64', blocks: 1, width: 8, depth: 2,
  tol: 1e-4, trace: 'exact', iters: 6, lr: 0.05, batch: 64, seed: 3, grid: 16, samples: 100, quiet: true,
};
const aborted = () => AbortSignal.abort('SIGINT');
const read = (dir: string, f: string) => readFile(join(dir, f), 'utf8');
/** metrics.csv without the columns that measure time and memory of this process (seconds, bytes). */
const numbers = async (dir: string) => (await read(dir, 'metrics.csv')).trim().split('\n').map((r) => r.split(',').slice(0, 5).join(','));

async function expectSameRun(a: string, b: string) {
  expect(await read(b, 'params.json')).toBe(await read(a, 'params.json'));
  expect(await numbers(b)).toEqual(await numbers(a));
  expect(await read(b, 'samples.svg')).toBe(await read(a, 'samples.svg'));
  expect(existsSync(join(b, 'checkpoint'))).toBe(false); // a finished run leaves no checkpoint
}

describe('cnf checkpoints and resume', () => {
  for (const trace of ['exact', 'hutchinson'] as const) {
    it(`stopped twice and resumed equals the uninterrupted run to the byte (trace ${trace})`, async () => {
      const opts = { ...tiny, trace, saveEvery: 4 };
      const full = await tempDir('cnf-full');
      const whole = await trainCnf({ ...opts, out: full });

      const part = await tempDir('cnf-part');
      await writeFile(join(part, 'metrics.csv'), 'the previous run\n');
      const a = await trainCnf({ ...opts, out: part, signal: aborted() });
      expect(a.stopped).toEqual({ iteration: 1, checkpoint: join(part, 'checkpoint', 'state.json') });
      expect(a.files).toEqual([]);
      expect(await read(part, 'metrics.csv')).toBe('the previous run\n'); // outputs only at the end
      expect((await read(join(part, 'checkpoint'), 'metrics.csv')).trim().split('\n')).toHaveLength(2);
      const b = await trainCnf({ ...opts, out: part, resume: true, signal: aborted() });
      expect(b.stopped?.iteration).toBe(2);
      const c = await trainCnf({ ...opts, out: part, resume: true });
      expect(c.stopped).toBeUndefined();
      expect(c.losses).toEqual(whole.losses);
      expect(c.testLoss).toBe(whole.testLoss);
      await expectSameRun(full, part);
    });
  }

  it('SIGTERM in the command line saves a checkpoint and exits 143; --resume finishes to the same numbers', async () => {
    const part = await tempDir('cnf-sig');
    const flags = ['--data', '8gaussians', '--width', '8', '--depth', '2', '--batch', '64', '--seed', '3', '--grid', '16', '--samples', '100'];
    const child = spawn(process.execPath, [BIN, 'cnf', ...flags, '--iters', '100000', '--save-every', '1000', '--out', part], { stdio: 'pipe' });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const live = join(part, 'checkpoint', 'metrics.csv');
    // Wait until a few iterations are logged, then stop it.
    for (let i = 0; i < 600; i++) {
      if (existsSync(live) && (await readFile(live, 'utf8')).trim().split('\n').length > 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(err).toMatch(/SIGTERM: saving a checkpoint after the current iteration/);
    const state = JSON.parse(await read(join(part, 'checkpoint'), 'state.json')) as { iteration: number };
    expect(state.iteration).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(part, 'params.json'))).toBe(false);

    const iters = state.iteration + 2;
    const r = spawnSync(process.execPath, [BIN, 'cnf', '--resume', part, '--iters', String(iters)], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0); // stderr holds the progress lines
    expect(r.stdout).toMatch(new RegExp(`resumed after iteration ${state.iteration}`));
    // The reference: the same command line, uninterrupted.
    const full = await tempDir('cnf-sig-full');
    const u = spawnSync(process.execPath, [BIN, 'cnf', ...flags, '--iters', String(iters), '--out', full], { encoding: 'utf8', timeout: 120_000 });
    expect(u.status, u.stderr).toBe(0);
    await expectSameRun(full, part);
  }, 120_000);

  it('a missing, corrupt or mismatched checkpoint is a CheckpointError naming what is wrong', async () => {
    const dir = await tempDir('cnf-bad');
    await expect(trainCnf({ ...tiny, out: dir, resume: true })).rejects.toThrow(/no checkpoint to resume: '.*state\.json' does not exist/);
    await trainCnf({ ...tiny, saveEvery: 2, out: dir, signal: aborted() });
    const path = join(dir, 'checkpoint', 'state.json');
    const good = await readFile(path, 'utf8');

    // A fresh run will not replace an unfinished run's checkpoint.
    await expect(trainCnf({ ...tiny, saveEvery: 2, out: dir })).rejects.toThrow(/holds the checkpoint of an unfinished run \(iteration 1\): continue it with --resume/);
    await expect(trainCnf({ ...tiny, width: 9, out: dir, resume: true })).rejects.toThrow(/--width 9 here, 8 in the checkpoint/);
    await expect(trainCnf({ ...tiny, iters: 0, out: dir, resume: true })).rejects.toThrow(/at iteration 1, past --iters 0/);
    const cases: [string, RegExp][] = [
      [good.slice(0, good.length / 2), /is corrupt \(not valid JSON/],
      [JSON.stringify({ ...JSON.parse(good), version: 2 }), /has format version 2; this sympode reads version 1/],
      [JSON.stringify({ ...JSON.parse(good), command: 'physics' }), /was written by 'sympode physics', not 'sympode cnf'/],
      [JSON.stringify({ ...JSON.parse(good), metrics: ['header'] }), /corrupt: metrics must be a header and 1 rows/],
      [good.replace('"shape":[8,2]', '"shape":[2,8]'), /does not fit this flow: .*has shape \[2, 8\]/],
      [good.replace('"kind":"Adam"', '"kind":"SGD"'), /is corrupt: Adam.loadStateDict/],
    ];
    for (const [text, message] of cases) {
      await writeFile(path, text);
      const e = await trainCnf({ ...tiny, out: dir, resume: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as Error).message).toMatch(message);
    }
  });

  it('the command line: --resume reads the options from the checkpoint; errors exit 1 or 2', async () => {
    const dir = await tempDir('cnf-cli');
    const none = spawnSync(process.execPath, [BIN, 'cnf', '--resume', dir], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^sympode: no checkpoint to resume/);
    const other = spawnSync(process.execPath, [BIN, 'cnf', '--resume', dir, '--out', join(dir, 'x')], { encoding: 'utf8' });
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/--resume continues the run in its own folder/);

    await trainCnf({ ...tiny, out: dir, saveEvery: 3, signal: aborted() });
    const mismatch = spawnSync(process.execPath, [BIN, 'cnf', '--resume', dir, '--lr', '0.1'], { encoding: 'utf8' });
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr).toMatch(/--lr 0.1 here, 0.05 in the checkpoint/);
    const fresh = spawnSync(process.execPath, [BIN, 'cnf', '--out', dir, '--iters', '2'], { encoding: 'utf8' });
    expect(fresh.status).toBe(1);
    expect(fresh.stderr).toMatch(/holds the checkpoint of an unfinished run/);
  });
});
