/**
 * The main job end to end: `train` with a tiny iteration count on cpu and webgpu writes its files and valid
 * images; `memory` shows the symplectic adjoint's peak below backprop's; bad flags are clear usage errors.
 */
import { describe, it, expect } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../packages/cli/src/main.js';
import { train } from '../../packages/cli/src/train.js';
import { memoryReport } from '../../packages/cli/src/memory-report.js';
import { UsageError } from '../../packages/cli/src/args.js';
import { webgpuDevice } from '../helpers/devices.js';
import { expectPictures } from '../helpers/pictures.js';
import { GRADIENT_METHODS } from '@sympode/symplectic';
import { tempDir } from '../helpers/temp-dir.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function checkOutputs(dir: string, iters: number) {
  const csv = (await readFile(join(dir, 'metrics.csv'), 'utf8')).trim().split('\n');
  expect(csv[0]).toMatch(/^iter,loss,/);
  expect(csv).toHaveLength(iters + 2); // header, iteration 0 (trajectory loss only), one row per iteration
  expect(csv[1]).toMatch(/^0,,\d/);
  for (const row of csv.slice(2)) expect(Number.isFinite(Number(row.split(',')[1]))).toBe(true);
  const params = JSON.parse(await readFile(join(dir, 'params.json'), 'utf8'));
  expect(params['layers.0.weight'].shape).toEqual([50, 2]);
  await expectPictures(dir, ['phase', 'loss']);
  for (const name of ['phase', 'loss']) expect((await stat(join(dir, `${name}.png`))).size).toBeGreaterThan(5000);
}

const base = { gradient: 'symplectic-adjoint' as const, seed: 1, lr: 0.01, batchSize: 4, batchTime: 5, rtol: 1e-5, atol: 1e-7, evalEvery: 2, quiet: true };

describe('sympode train', () => {
  it('runs end to end on cpu, reproducibly, and writes metrics, params and valid images', async () => {
    const dir = await tempDir('train');
    const r1 = await train({ ...base, backend: 'cpu', iters: 3, out: dir });
    await checkOutputs(dir, 3);
    const r2 = await train({ ...base, backend: 'cpu', iters: 3, out: await tempDir('train') });
    expect(r2.finalLoss).toBe(r1.finalLoss); // same seed, same loss to the last digit
  });

  it('runs end to end on webgpu', async (ctx) => {
    if (!(await webgpuDevice())) return ctx.skip();
    const dir = await tempDir('train-gpu');
    const r = await train({ ...base, backend: 'webgpu', iters: 2, out: dir });
    expect(r.device).toMatch(/webgpu/);
    await checkOutputs(dir, 2);
  });
});

describe('sympode memory', () => {
  it('prints the table; the symplectic adjoint peaks below backprop', async () => {
    const dir = await tempDir('memory');
    const rows = await memoryReport({ backend: 'cpu', seed: 0, out: dir, batchSize: 8, batchTime: 5, rtol: 1e-6, atol: 1e-8, quiet: true });
    const peak = (m: string) => rows.find((r) => r.method === m)!.peakBytes;
    expect(peak('symplectic-adjoint')).toBeLessThan(peak('backprop'));
    expect(peak('checkpoint')).toBeLessThan(peak('backprop'));
    const table = await readFile(join(dir, 'memory.md'), 'utf8');
    expect(table).toMatch(/\| symplectic-adjoint \|/);
    const trace = JSON.parse(await readFile(join(dir, 'trace-symplectic-adjoint.json'), 'utf8'));
    expect(trace.traceEvents.length).toBeGreaterThan(10);
    const png = await readFile(join(dir, 'memory-timeline.png'));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });
});

describe('command line', () => {
  it('rejects bad flags with a clear usage error', async () => {
    await expect(main(['train', '--gradient', 'magic'])).rejects.toThrow(UsageError);
    await expect(main(['train', '--gradient', 'magic'])).rejects.toThrow(new RegExp(`--gradient must be one of ${GRADIENT_METHODS.join(', ')}`));
    await expect(main(['train', '--iters', 'ten'])).rejects.toThrow(/--iters must be an integer/);
    await expect(main(['train', '--bogus', '1'])).rejects.toThrow(/unknown flag --bogus/);
    await expect(main(['fly'])).rejects.toThrow(/unknown command 'fly'/);
  });
  it('prints help for every command', async () => {
    for (const cmd of [[], ['train'], ['memory'], ['demo']]) expect(await main([...cmd, '--help'])).toBe(0);
  });
});
