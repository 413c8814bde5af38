/**
 * The CNF loss gradient (cpu float64): the symplectic adjoint, checkpointing and recompute equal backprop
 * through the solver to ≤ 1e-12 relative, with the exact trace and with Hutchinson's (the same ε), with the
 * RNODE regularizers on, over two blocks; central differences of the discrete solve agree.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, Rng, type Device } from '@sympode/tensor';
import type { GradientMethodName } from '@sympode/symplectic';
import type { CNFOptions } from '@sympode/flows';
import { relErr } from '../helpers/reference.js';
import { centralDifference } from '../helpers/gradcheck.js';
import { cnfLoss, lossAndGradients, smallCnf, toyPoints } from './helpers.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

function noise(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
}

describe('CNF gradients: every exact method = backprop (≤ 1e-12 relative)', () => {
  const B = 5;
  const cases: [string, CNFOptions & { blocks?: number }][] = [
    ['exact trace, dopri5', { trace: 'exact' }],
    ['hutchinson trace, dopri5', { trace: 'hutchinson' }],
    ['exact trace, regularizers, two blocks, tsit5', { trace: 'exact', blocks: 2, regularizers: { kinetic: true, jacobianFrobenius: true }, solver: { method: 'tsit5' } }],
    ['exact trace, bosh3 (loose tolerance: few steps)', { trace: 'exact', solver: { method: 'bosh3', rtol: 1e-3, atol: 1e-3 } }],
    ['hutchinson trace, regularizers, rk4 fixed steps', { trace: 'hutchinson', regularizers: { kinetic: true, jacobianFrobenius: true }, solver: { method: 'rk4', stepSize: 0.1 } }],
  ];
  for (const [label, opts] of cases) {
    it(label, async () => {
      const x = await toyPoints(dev, B);
      const eps = Array.from({ length: opts.blocks ?? 1 }, (_, m) => noise(2 * B, 10 + m));
      const run = async (g: GradientMethodName) => {
        const cnf = smallCnf(dev, g, opts);
        const r = await lossAndGradients(cnf, x, { noise: eps });
        cnf.dispose();
        return r;
      };
      const bp = await run('backprop');
      for (const g of ['symplectic-adjoint', 'checkpoint', 'recompute'] as const) {
        const r = await run(g);
        expect(Math.abs(r.loss - bp.loss) / Math.abs(bp.loss)).toBeLessThan(1e-12);
        r.grads.forEach((gr, i) => expect(relErr(gr, bp.grads[i]), `${g}, input ${i}`).toBeLessThan(1e-12));
      }
    });
  }
});

describe('CNF gradients: central differences', () => {
  it('agree with the symplectic adjoint (rk4, fixed steps; x and parameter elements)', async () => {
    const B = 4;
    const x = await toyPoints(dev, B, 2);
    const eps = [noise(2 * B, 5)];
    const opts: CNFOptions = { trace: 'hutchinson', regularizers: { kinetic: true }, solver: { method: 'rk4', stepSize: 0.05 } };
    const cnf = smallCnf(dev, 'symplectic-adjoint', opts);
    const { grads } = await lossAndGradients(cnf, x, { noise: eps });
    const value = async (xs: Float64Array) => dev.noGrad(async () => {
      const l = await cnfLoss(cnf, dev.tensor(xs, [B, 2]), { noise: eps });
      const v = await l.item();
      l.dispose();
      return v;
    });
    const h = 1e-6;
    for (const j of [0, 3, 6]) {
      const p = Float64Array.from(x), m = Float64Array.from(x);
      p[j] += h;
      m[j] -= h;
      const num = ((await value(p)) - (await value(m))) / (2 * h);
      expect(Math.abs(grads[0][j] - num) / Math.abs(num)).toBeLessThan(1e-6);
    }
    const params = cnf.parameters();
    for (const [pi, j] of [[0, 1], [2, 0], [4, 3], [6, 2], [9, 5]]) {
      const num = await centralDifference(params[pi], j, () => value(x), h);
      expect(Math.abs(grads[1 + pi][j] - num) / Math.max(Math.abs(num), 1e-3)).toBeLessThan(1e-6);
    }
  });
});
