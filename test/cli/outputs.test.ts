/**
 * --out is checked before any work starts, every file-system failure is one line and a non-zero exit, and a
 * run's files land together (issue 20 #3): a failed write leaves the previous run's files as they were.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../packages/cli/src/main.js';
import { OutputError } from '../../packages/cli/src/errors.js';
import { prepareOut, stagedOut } from '../../packages/cli/src/outputs.js';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = resolve('packages/cli/dist/main.js');

describe('sympode --out', () => {
  it('a path under a regular file fails before training (100 000 iterations would take hours)', async () => {
    const dir = await tempDir('out-file');
    const file = join(dir, 'results.csv');
    writeFileSync(file, 'kept\n');
    const t0 = performance.now();
    for (const cmd of ['train', 'cnf', 'memory']) {
      const err = await main([cmd, '--iters', '100000', '--out', join(file, 'sub')].filter((a, i, all) => cmd !== 'memory' || (a !== '--iters' && all[i - 1] !== '--iters'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputError);
      expect((err as Error).message).toMatch(/results\.csv.*not a folder|a part of the path is a file/);
      expect((err as Error).message).toMatch(/choose another --out/);
    }
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(readFileSync(file, 'utf8')).toBe('kept\n');
  });

  it('the command line: /proc/nope and a file path end at once with one line and exit status 1', async () => {
    const dir = await tempDir('out-cli');
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    for (const out of ['/proc/nope', join(file, 'sub'), file]) {
      const r = spawnSync(process.execPath, [BIN, 'train', '--iters', '2', '--backend', 'cpu', '--out', out], { encoding: 'utf8', timeout: 30_000 });
      expect(r.signal).toBeNull(); // not killed by the timeout: it did not hang
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^sympode: cannot .*'${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'.*; .+`));
    }
  });

  it('a folder without write permission is refused before work starts', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits; a read-only mount stands in for it
      expect(() => prepareOut('/proc/sys/nope')).toThrow(OutputError);
      return;
    }
    const dir = await tempDir('out-ro');
    chmodSync(dir, 0o500);
    try {
      expect(() => prepareOut(join(dir, 'sub'))).toThrow(/permission denied/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('a failed write leaves the previous run\'s files and no staging folder', async () => {
    const dir = await tempDir('out-staged');
    const first = await stagedOut(dir, async (s) => {
      writeFileSync(join(s, 'metrics.csv'), 'run 1\n');
      writeFileSync(join(s, 'params.json'), '{"run":1}');
      return [join(s, 'metrics.csv'), join(s, 'params.json')];
    });
    expect(first).toEqual([join(dir, 'metrics.csv'), join(dir, 'params.json')]);
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const err = await stagedOut(dir, async (s) => {
      writeFileSync(join(s, 'metrics.csv'), 'run 2\n');
      throw enospc;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toMatch(/no space left on device.*unchanged/);
    expect(readFileSync(join(dir, 'metrics.csv'), 'utf8')).toBe('run 1\n');
    expect(readdirSync(dir).sort()).toEqual(['metrics.csv', 'params.json']);
  });

  it('a real train run writes its files through the staging folder and leaves nothing else', async () => {
    const dir = await tempDir('out-train');
    await main(['train', '--iters', '1', '--backend', 'cpu', '--batch-size', '2', '--batch-time', '3', '--eval-every', '1', '--out', dir]);
    expect(readdirSync(dir).sort()).toEqual(['loss.png', 'loss.svg', 'metrics.csv', 'params.json', 'phase.png', 'phase.svg', 'trajectory.csv']);
  });
});
