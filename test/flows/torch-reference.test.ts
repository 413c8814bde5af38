/**
 * Against the authors' PyTorch symplectic adjoint (test/fixtures/cnf-symplectic-adjoint-cases.json, made by
 * scripts/cnf_fixture.py): an FFJORD-style CNF with given weights and ε, on cpu float64: the log-density,
 * the final state and the gradients of the loss with respect to x and every parameter to ≤ 1e-10 relative.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDevice, grad, nn } from '@sympode/tensor';
import { CNF, ConcatSquashNet, type TraceEstimator } from '@sympode/flows';
import { relErr } from '../helpers/reference.js';
import { cnfLoss } from './helpers.js';

interface Result { loss: number; log_prob: number[]; z: number[][]; final_state: number[][]; grad_x: number[][]; grad_params: unknown[] }
interface Case {
  sizes: number[]; layers: Record<string, unknown>[]; T: number; x: number[][]; eps: number[][]; trace: TraceEstimator;
  regularizers: { kinetic: boolean; jacobianFrobenius: boolean }; method: string; rtol: number; atol: number;
  reference: { symplectic: Result; backprop: Result };
}

const { cases } = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/cnf-symplectic-adjoint-cases.json', import.meta.url)), 'utf8')) as { cases: Case[] };
const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

describe('CNF against the authors’ PyTorch symplectic adjoint (cpu float64, ≤ 1e-10)', () => {
  for (const c of cases) {
    const regs = Object.entries(c.regularizers).filter(([, on]) => on).map(([k]) => k);
    it(`${c.trace} trace${regs.length ? `, ${regs.join(' + ')}` : ''}, ${c.method}`, async () => {
      const dev = await createDevice({ backend: 'cpu' });
      const net = new ConcatSquashNet(dev, c.sizes, { activation: 'tanh' });
      const state: nn.StateDict = {};
      c.layers.forEach((l, i) => {
        for (const [k, v] of Object.entries(l)) {
          const shape = Array.isArray((v as unknown[])[0]) ? [(v as unknown[]).length, ((v as unknown[])[0] as unknown[]).length] : [(v as unknown[]).length];
          state[`layers.${i}.${k}`] = { shape, data: flat(v) };
        }
      });
      net.loadStateDict(state);
      const cnf = new CNF(dev, 2, [net], {
        T: c.T, trace: c.trace, regularizers: c.regularizers,
        solver: { method: c.method, rtol: c.rtol, atol: c.atol, gradient: 'symplectic-adjoint' },
      });
      const B = c.x.length;
      const x = dev.tensor(flat(c.x), [B, 2], { requiresGrad: true });
      const ref = c.reference.symplectic;
      const r = await cnf.encode(x, { noise: [flat(c.eps)] });
      expect(relErr(await r.logProb.data(), ref.log_prob)).toBeLessThan(1e-10);
      expect(relErr(await r.z.data(), flat(ref.z))).toBeLessThan(1e-10);
      dev.dispose(r);
      const loss = await cnfLoss(cnf, x, { noise: [flat(c.eps)] });
      expect(Math.abs((await loss.item()) - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-10);
      const [gx, ...gp] = await grad(loss, [x, ...cnf.parameters()]);
      expect(relErr(await gx.data(), flat(ref.grad_x))).toBeLessThan(1e-10);
      for (const [i, g] of gp.entries()) expect(relErr(await g.data(), flat(ref.grad_params[i])), `parameter ${i}`).toBeLessThan(1e-10);
    });
  }
});
