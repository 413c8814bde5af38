/**
 * The per-step methods evaluate only what their backward needs. The symplectic adjoint recomputes only
 * what its VJPs need. dopri5's last (FSAL) stage has b = 0 and feeds
 * no other stage, so it needs no VJP, and k_5 — used only to build that stage — is not evaluated either:
 * 5 recomputed + 6 VJP evaluations per step (was 6 + 6). An output inside a step uses every stage through
 * the interpolant, and then all are rebuilt. Checked by evaluation counts, the 'stages' label's peak and the
 * memory model, with the gradient against backprop.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, type Device } from '@sympode/tensor';
import { GRADIENTS, getTableau, skippedStages, stagePlan } from '@sympode/symplectic';
import { relErr } from '../helpers/reference.js';
import { measureSolve, solveGradients } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

describe('stagePlan', () => {
  it('builds and evaluates only the stages the VJPs need', () => {
    const need = (name: string) => skippedStages(getTableau(name as never)).map((s) => !s);
    const d5 = stagePlan(getTableau('dopri5'), need('dopri5'));
    expect(d5.state).toEqual([true, true, true, true, true, true, false]);
    expect(d5.evaluate).toEqual([true, true, true, true, true, false, false]);
    const b3 = stagePlan(getTableau('bosh3'), need('bosh3'));
    expect(b3.evaluate.filter(Boolean).length).toBe(2);
    const rk4 = stagePlan(getTableau('rk4'), need('rk4'));
    expect(rk4.state).toEqual([true, true, true, true]);
    expect(rk4.evaluate).toEqual([true, true, true, false]);
    // With an interpolant inside the step every stage is needed: all built, all but the last evaluated.
    const all = stagePlan(getTableau('dopri5'), new Array(7).fill(true));
    expect(all.state.every(Boolean)).toBe(true);
    expect(all.evaluate.filter(Boolean).length).toBe(6);
  });
});

const dopri5Backward = (times: number[]) => measureSolve(dev, [3, 16, 3], times, { method: 'dopri5', rtol: 1e-7, atol: 1e-9, gradient: 'symplectic-adjoint' });

describe('symplectic adjoint over dopri5', () => {
  const S = 8 * 3 * 8;

  it('evaluates f 11 times per step backward and holds 5 recomputed stage states without interior outputs', async () => {
    const { stats, stagesPeak } = await dopri5Backward([0, 2]);
    const N = stats.acceptedSteps!;
    expect(N).toBeGreaterThan(3);
    expect(stats.nfeBackward).toBe(11 * N);
    // The [7, n] stage buffer + Y_1..Y_5.
    expect(stagesPeak).toBe((7 + 5) * S);
    const model = GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('dopri5'), N, T: 2 }, { S, P: 0, Vf: 0, Ge: 0, Go: 0, Xb: 0, elementBytes: 8 });
    const withInterior = GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('dopri5'), N, T: 2, interpolated: true }, { S, P: 0, Vf: 0, Ge: 0, Go: 0, Xb: 0, elementBytes: 8 });
    expect(withInterior.total - model.total).toBe(S);
  });

  it('rebuilds every stage in steps with outputs inside them', async () => {
    const { stats, stagesPeak } = await dopri5Backward(Array.from({ length: 40 }, (_, k) => (2 * k) / 39));
    expect(stats.nfeBackward).toBeGreaterThan(11 * stats.acceptedSteps!);
    expect(stagesPeak).toBe((7 + 6) * S);
  });

  it('still equals backprop through the same solve (with and without interior outputs)', async () => {
    for (const times of [[0, 1.5], [0, 0.3, 0.7, 1.5]]) {
      const a = await solveGradients(dev, 'dopri5', 'symplectic-adjoint', times);
      const b = await solveGradients(dev, 'dopri5', 'backprop', times);
      expect(a.stats.acceptedSteps).toBe(b.stats.acceptedSteps);
      a.gs.forEach((g, i) => expect(relErr(g, b.gs[i])).toBeLessThan(1e-12));
    }
  });
});

describe('checkpoint (ACA) over dopri5', () => {
  it('rebuilds a step without the FSAL stage’s f (6 evaluations per step), and with it where an output lies inside', async () => {
    const plain = await solveGradients(dev, 'dopri5', 'checkpoint', [0, 1.5]);
    expect(plain.stats.nfeBackward).toBe(6 * plain.stats.acceptedSteps!);
    const dense = await solveGradients(dev, 'dopri5', 'checkpoint', [0, 0.3, 0.7, 1.5]);
    expect(dense.stats.nfeBackward).toBeGreaterThan(6 * dense.stats.acceptedSteps!);
    for (const [a, times] of [[plain, [0, 1.5]], [dense, [0, 0.3, 0.7, 1.5]]] as const) {
      const b = await solveGradients(dev, 'dopri5', 'backprop', [...times]);
      a.gs.forEach((g, i) => expect(relErr(g, b.gs[i])).toBeLessThan(1e-12));
    }
  });
});
