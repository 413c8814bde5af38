/**
 * Smoke test of the ODE benchmark harness: the smallest grid on the cpu backend with the tfjs-cpu peer,
 * written into a temporary folder (never bench/RESULTS.md). Checks the output's structure, not performance.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBench, ALL_GRADIENTS } from '../../bench/lib/run.js';

describe('bench harness (quick, cpu)', () => {
  it('measures every method, checks the memory model and writes a RESULTS-style report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sympode-bench-'));
    const committed = resolve(__dirname, '..', '..', 'bench', 'RESULTS.md');
    const before = existsSync(committed) ? statSync(committed).mtimeMs : null;
    try {
      const res = await runBench({
        mode: 'quick', backends: ['cpu'], tfjs: ['cpu'], outDir: join(dir, 'out'), resultsPath: join(dir, 'RESULTS.md'),
        figuresDir: null, plots: false, spiral: false, log: () => undefined,
      });
      // Every section has a row per gradient method.
      for (const section of ['N-sweep', 'L-sweep', 'dopri5', 'tableaus'] as const) {
        for (const g of ALL_GRADIENTS) expect(res.rows.some((r) => r.section === section && r.gradient === g)).toBe(true);
      }
      expect(res.rows.some((r) => r.section === 'adjoint-sweep')).toBe(true);
      for (const r of res.rows) {
        expect(Number.isFinite(r.modelRatio) && r.modelRatio > 0).toBe(true);
        expect(r.peakBytes).toBeGreaterThan(0);
        expect(r.leakedBytes).toBe(0);
        expect(Number.isFinite(r.relError)).toBe(true);
      }
      // The exact methods agree with the float64 reference; the symplectic adjoint matches its model.
      for (const r of res.rows.filter((x) => x.gradient !== 'adjoint')) expect(r.relError).toBeLessThan(1e-10);
      for (const r of res.rows.filter((x) => x.gradient === 'symplectic-adjoint')) expect(Math.abs(r.modelRatio - 1)).toBeLessThan(0.02);
      // Slopes vs N and L, with predictions.
      expect(res.slopes.some((s) => s.variable === 'N' && s.gradient === 'symplectic-adjoint' && s.measured === s.predicted)).toBe(true);
      expect(res.slopes.some((s) => s.variable === 'L')).toBe(true);
      // The tfjs peer ran and computed the same gradient.
      expect(res.peers.length).toBe(1);
      expect(res.peers[0].error).toBeUndefined();
      expect(res.peers[0].relError).toBeLessThan(1e-4);
      expect(res.dispatch.length).toBe(1);
      expect(res.targets.length).toBeGreaterThan(4);
      // Files: the Markdown in the temp folder, the CSVs.
      const md = readFileSync(join(dir, 'RESULTS.md'), 'utf8');
      expect(md).toBe(res.markdown);
      for (const h of ['# Benchmark results', '## Targets', '## Memory model vs measurement', '## Peers', '| Machine |', '| Commit |']) expect(md).toContain(h);
      expect(readFileSync(join(dir, 'out', 'ode_grid.csv'), 'utf8').split('\n')[0]).toContain('modelRatio');
      expect(res.files.every((f) => f.startsWith(dir))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(committed) ? statSync(committed).mtimeMs : null).toBe(before);
  }, 60_000);
});
