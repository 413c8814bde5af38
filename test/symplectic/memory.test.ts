/**
 * The memory claim, from exact byte counts: peak live bytes during backward as a function of the number of
 * steps N (fixed-step rk4). Symplectic adjoint: +1 checkpoint (the state's bytes) per step, exactly;
 * checkpointing (ACA): the same slope, a larger constant (one step's graph); backprop: the whole per-step graph.
 * After backward nothing is left but what the caller holds.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, type Device } from '@sympode/tensor';
import type { GradientMethodName } from '@sympode/symplectic';
import { measureSolve } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const DIM = 3;
const stateBytes = 8 * DIM * 8;

async function backwardPeak(gradient: GradientMethodName, N: number) {
  const m = await measureSolve(dev, [DIM, 16, 16, DIM], [0, 1], { method: 'rk4', stepSize: 1 / N, gradient });
  // Nothing left but what the caller holds: params + y0 and the returned gradients.
  expect(m.leaked).toBe(0);
  expect(m.stats.acceptedSteps).toBe(N);
  return { peak: m.backwardPeak, checkpoints: m.checkpoints, stagesPeak: m.stagesPeak };
}

describe('peak memory during backward vs number of steps', () => {
  it('symplectic adjoint grows by exactly one state per step; ACA likewise above it; backprop by a whole graph', async () => {
    const Ns = [10, 20, 40, 80];
    const res: Record<string, { peak: number; checkpoints: number; stagesPeak: number }[]> = {};
    for (const m of ['symplectic-adjoint', 'checkpoint', 'backprop'] as const) {
      res[m] = [];
      for (const N of Ns) res[m].push(await backwardPeak(m, N));
    }
    const slopes = (m: string) => Ns.slice(1).map((N, i) => (res[m][i + 1].peak - res[m][i].peak) / (N - Ns[i]));
    for (const s of slopes('symplectic-adjoint')) expect(s).toBe(stateBytes);
    for (const s of slopes('checkpoint')) expect(s).toBe(stateBytes);
    // Checkpoints held while backward runs: N − 1 states (y0 is the caller's, shared).
    Ns.forEach((N, i) => expect(res['symplectic-adjoint'][i].checkpoints).toBe((N - 1) * stateBytes));
    // Stage memory of the symplectic backward: the [s, n] stage buffer + the s − 1 recomputed stage states (rk4: 4 + 3).
    for (const r of res['symplectic-adjoint']) expect(r.stagesPeak).toBe(7 * stateBytes);
    for (const s of slopes('backprop')) expect(s).toBeGreaterThan(20 * stateBytes);
    Ns.forEach((_, i) => {
      expect(res.checkpoint[i].peak).toBeGreaterThan(res['symplectic-adjoint'][i].peak);
      expect(res.backprop[i].peak).toBeGreaterThan(res.checkpoint[i].peak);
    });
  });
});
