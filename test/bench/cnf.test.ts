/**
 * bench:cnf's measured cell on a tiny pinwheel CNF (cpu): every gradient method trains from the same seed on
 * the same batches; the exact methods reach the same NLL, the symplectic adjoint peaks below backprop, and
 * with stages 'keep' trains to the same numbers with 5 fewer backward evaluations per step.
 */
import { describe, it, expect } from 'vitest';
import { createDevice } from '@sympode/tensor';
import { GRADIENT_METHODS } from '@sympode/symplectic';
import { cnfProblems, syntheticTabular } from '../../bench/lib/cnf-problems.js';
import { runCell, type Row } from '../../bench/lib/cnf-run.js';

describe('bench:cnf cell', () => {
  it('measures every method; exact methods agree on the NLL; symplectic adjoint < backprop in peak', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const toy = { ...cnfProblems(8, 32)[0]!, hidden: [8, 8] };
    const rows: Row[] = [];
    for (const m of GRADIENT_METHODS) rows.push(await runCell(dev, toy, { gradient: m }, 2, 1e-4));
    const keep = await runCell(dev, toy, { gradient: 'symplectic-adjoint', stages: 'keep' }, 2, 1e-4);
    const by = (m: string) => rows.find((r) => r.method === m)!;
    for (const r of rows) {
      expect(Number.isFinite(r.nll)).toBe(true);
      expect(r.peak).toBeGreaterThan(0);
      expect(r.nfeF).toBeGreaterThan(0);
    }
    for (const m of ['checkpoint', 'symplectic-adjoint', 'recompute']) expect(Math.abs(by(m).nll - by('backprop').nll)).toBeLessThan(1e-9);
    expect(by('symplectic-adjoint').peak).toBeLessThan(by('backprop').peak);
    // stages 'keep': the same training bit for bit, fewer backward evaluations, the stored stages in 'checkpoints'.
    expect(keep.nll).toBe(by('symplectic-adjoint').nll);
    expect(keep.stages).toBe('keep');
    expect(keep.nfeB).toBe(by('symplectic-adjoint').nfeB - 5 * keep.steps);
    expect(keep.labels.checkpoints).toBeGreaterThan(by('symplectic-adjoint').labels.checkpoints!);
    expect(by('symplectic-adjoint').labels.checkpoints).toBeGreaterThan(0);
    expect(dev.memory.stats().liveBytes).toBe(0);
    dev.destroy();
  });

  it('synthetic tabular data is seeded and of the paper’s dimensions', () => {
    const [power, gas, mini] = cnfProblems(8, 32).slice(1);
    expect([power!.dim, gas!.dim, mini!.dim]).toEqual([6, 8, 43]);
    expect([power!.batch, gas!.batch, mini!.batch]).toEqual([10000, 1000, 1000]);
    // FFJORD's settings (sources in bench/lib/cnf-problems.ts): widths, M, activation, T, Gaussian Hutchinson noise.
    expect([power!.hidden, gas!.hidden, mini!.hidden]).toEqual([[60, 60, 60], [160, 160, 160], [860, 860]]);
    expect([power!.blocks, gas!.blocks, mini!.blocks]).toEqual([5, 5, 1]);
    expect([power!.activation, gas!.activation, mini!.activation]).toEqual(['tanh', 'tanh', 'softplus']);
    for (const p of [power!, gas!, mini!]) expect([p.T, p.trace, p.noise]).toEqual([1, 'hutchinson', 'gaussian']);
    expect(syntheticTabular(6, 5, 1)).toEqual(syntheticTabular(6, 5, 1));
    expect(syntheticTabular(6, 5, 1)).not.toEqual(syntheticTabular(6, 5, 2));
  });
});
