/**
 * `sympode cnf` end to end: a tiny CNF run on cpu writes metrics, parameters and valid pictures, its loss is
 * finite and falls, the same seed gives the same numbers; bad flags are usage errors (exit status 2).
 */
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../packages/cli/src/main.js';
import { trainCnf, type CnfOptions } from '../../packages/cli/src/cnf.js';
import { expectPictures } from '../helpers/pictures.js';
import { UsageError } from '../../packages/cli/src/args.js';
import { tempDir } from '../helpers/temp-dir.js';

const tiny: Omit<CnfOptions, 'out'> = {
  data: '8gaussians', gradient: 'symplectic-adjoint', backend: 'cpu', dtype: 'float64', blocks: 1, width: 8, depth: 2,
  tol: 1e-4, trace: 'exact', iters: 8, lr: 0.05, batch: 64, seed: 3, grid: 24, samples: 200, quiet: true,
};
const tmp = () => tempDir('cnf');

describe('sympode cnf', () => {
  it('trains a tiny flow on cpu: files, valid images, a finite falling loss, reproducible', async () => {
    const dir = await tmp();
    const r = await trainCnf({ ...tiny, out: dir });
    expect(r.iterations).toBe(8);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(r.losses.slice(-3))).toBeLessThan(mean(r.losses.slice(0, 3)));
    expect(Number.isFinite(r.testLoss)).toBe(true);

    const csv = (await readFile(join(dir, 'metrics.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('iteration,loss,nfe_forward,nfe_backward,steps,live_bytes,peak_bytes,seconds');
    expect(csv).toHaveLength(9);
    for (const row of csv.slice(1)) {
      const [it, loss, nfeF, nfeB, , live, peak, sec] = row.split(',').map(Number);
      expect(it).toBeGreaterThan(0);
      expect(Number.isFinite(loss)).toBe(true);
      expect(nfeF).toBeGreaterThanOrEqual(6);
      expect(nfeB).toBeGreaterThan(0);
      expect(peak).toBeGreaterThanOrEqual(live);
      expect(sec).toBeGreaterThan(0);
    }
    const params = JSON.parse(await readFile(join(dir, 'params.json'), 'utf8'));
    expect(params['blocks.0.layers.0.layer.weight'].shape).toEqual([8, 2]);
    await expectPictures(dir, ['density', 'samples', 'loss']);
    expect(await readFile(join(dir, 'density.svg'), 'utf8')).toMatch(/href="data:image\/png;base64,/);

    const again = await trainCnf({ ...tiny, out: await tmp() });
    expect(again.losses).toEqual(r.losses); // same seed, same numbers to the last digit
    expect(again.testLoss).toBe(r.testLoss);
  });

  it("--stages keep trains to the same numbers with fewer backward evaluations", async () => {
    const dirA = await tmp(), dirB = await tmp();
    const a = await trainCnf({ ...tiny, iters: 3, out: dirA });
    const b = await trainCnf({ ...tiny, iters: 3, stages: 'keep', out: dirB });
    expect(b.losses).toEqual(a.losses);
    expect(b.testLoss).toBe(a.testLoss);
    const nfeB = async (dir: string) => (await readFile(join(dir, 'metrics.csv'), 'utf8')).trim().split('\n').slice(1).map((r) => Number(r.split(',')[3]));
    const [na, nb] = [await nfeB(dirA), await nfeB(dirB)];
    na.forEach((n, i) => expect(nb[i]).toBeLessThan(n));
    await expect(main(['cnf', '--stages', 'store'])).rejects.toThrow(/--stages must be one of recompute, keep/);
  });

  it('rejects bad flags with usage errors and prints help', async () => {
    await expect(main(['cnf', '--data', 'spiral'])).rejects.toThrow(UsageError);
    await expect(main(['cnf', '--data', 'spiral'])).rejects.toThrow(/--data must be one of 8gaussians, pinwheel/);
    await expect(main(['cnf', '--gradient', 'magic'])).rejects.toThrow(/--gradient must be one of/);
    await expect(main(['cnf', '--width', '0'])).rejects.toThrow(/--width must be ≥ 1/);
    await expect(main(['cnf', '--bogus', '1'])).rejects.toThrow(/unknown flag --bogus/);
    expect(await main(['cnf', '--help'])).toBe(0);
  });

  it('exits with status 2 on a bad flag (built CLI)', (ctx) => {
    const bin = join(import.meta.dirname, '../../packages/cli/dist/main.js');
    if (!existsSync(bin)) return ctx.skip();
    const r = spawnSync(process.execPath, [bin, 'cnf', '--iters', 'ten'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--iters must be an integer/);
  });
});
