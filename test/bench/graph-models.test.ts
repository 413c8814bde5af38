/**
 * Backprop's and recompute's memory models against the allocator, to the byte, from the bench's own byte sizes
 * of f (measured from single evaluations, never from a solve): every recorded evaluation kept without its output
 * (the stage combinations save nothing), the outputs, the stage gradients a step's backward holds at once and Xb.
 * Fixed-step and adaptive tableaus, FSAL or not. Backprop with a high-order adaptive tableau peaks in its forward
 * (the error estimate's stage rows), which the model leaves out: there only recompute is compared.
 */
import { describe, it, expect } from 'vitest';
import { createDevice } from '@sympode/tensor';
import { getTableau, GRADIENTS, type GradientMethodName } from '@sympode/symplectic';
import { buildMlpOde } from '../../bench/lib/problems.js';
import { measureFunctionBytes } from '../../bench/lib/memory-model.js';
import { measureSolve, type SolveConfig } from '../../bench/lib/measure.js';

describe('graph methods: measured peak = memory model (cpu float64)', () => {
  const cases: [string, GradientMethodName[]][] = [
    ['euler', ['backprop', 'recompute']],
    ['rk4', ['backprop', 'recompute']],
    ['rk38', ['backprop', 'recompute']],
    ['bosh3', ['backprop', 'recompute']],
    ['fehlberg2', ['backprop', 'recompute']],
    ['dopri5', ['recompute']],
    ['dopri8', ['recompute']],
  ];
  it.each(cases)('%s', async (method, gradients) => {
    const dev = await createDevice({ backend: 'cpu' });
    const prob = buildMlpOde(dev, { D: 4, W: 8, L: 2, B: 8, seed: 3 });
    const fb = await measureFunctionBytes(prob);
    const tableau = getTableau(method);
    for (const gradient of gradients) {
      for (const n of [4, 9]) {
        const cfg = (tableau.adaptive ? { method, rtol: 10 ** -n / 2, atol: 1e-9, gradient } : { method, stepSize: 1 / n, gradient }) as unknown as SolveConfig;
        const m = await measureSolve(prob, cfg);
        const model = GRADIENTS[gradient].memoryModel({ tableau, N: m.stats.acceptedSteps, T: prob.times.length }, fb);
        expect(m.peakBytes, `${method}, ${gradient}, N = ${m.stats.acceptedSteps}: ${model.formula}`).toBe(model.total);
        expect(m.leakedBytes).toBe(0);
      }
    }
    prob.dispose();
    dev.destroy();
  });
});
