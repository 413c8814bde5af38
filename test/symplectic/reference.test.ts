/**
 * Against the authors' PyTorch implementation (test/fixtures, a copy of the project's shared/reference): on the cpu float64 backend, the accepted
 * step times are reproduced and `reference.symplectic` (loss, solution, gradients) to ≤ 1e-9 relative.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { concat, createDevice, grad, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type OdeintStats } from '@sympode/symplectic';
import { relErr } from '../helpers/reference.js';

interface Case {
  problem: {
    sizes: number[]; activation: 'tanh'; time_dependent: boolean; y0: number[][]; t: number[]; method: string; rtol: number; atol: number;
    layers: { weight: number[][]; bias: number[] }[];
  };
  accepted_step_end_times: number[];
  reference: Record<'symplectic' | 'backprop' | 'adjoint', { loss: number; ys: number[][][]; grad_y0: number[][]; grad_params: (number[][] | number[])[] }>;
}

const cases: Case[] = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/torch-symplectic-adjoint-cases.json', import.meta.url)), 'utf8'));
const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

/** The reference MLP: Linear layers with tanh between, t appended as a column when time-dependent. */
export function referenceField(dev: Device, c: Case) {
  const params = c.problem.layers.flatMap((l) => [dev.tensor(l.weight, undefined, { requiresGrad: true }), dev.tensor(l.bias, undefined, { requiresGrad: true })]);
  const f = (t: number, y: Tensor): Tensor =>
    dev.tidy(() => {
      let h = c.problem.time_dependent ? concat([y, dev.full([y.shape[0], 1], t)], 1) : y;
      for (let i = 0; i < params.length / 2; i++) {
        h = h.matmul(params[2 * i].transpose()).add(params[2 * i + 1]);
        if (i < params.length / 2 - 1) h = h.tanh();
      }
      return h;
    });
  return { f, params };
}

describe('reference cases from the authors’ implementation (cpu float64)', () => {
  for (const [idx, c] of cases.entries()) {
    it(`case ${idx}: ${c.problem.method}, sizes ${c.problem.sizes.join('→')}${c.problem.time_dependent ? ', time-dependent' : ''}`, async () => {
      const dev = await createDevice({ backend: 'cpu' });
      const { f, params } = referenceField(dev, c);
      const y0 = dev.tensor(c.problem.y0, undefined, { requiresGrad: true });
      const stats: Partial<OdeintStats> = {};
      // The authors cut steps at every output time: outputs 'step' (our default for adaptive tableaus interpolates).
      const ys = await odeint(f, y0, c.problem.t, { method: c.problem.method, rtol: c.problem.rtol, atol: c.problem.atol, params, stats, outputs: 'step' });
      const w = dev.tensor(c.problem.t.map((_, k) => k + 1), [c.problem.t.length, 1, 1]);
      const loss = ys.square().mul(w).sum();
      const [gy0, ...gp] = await grad(loss, [y0, ...params]);
      const ref = c.reference.symplectic;
      expect([0, ...stats.stepEndTimes!]).toEqual(c.accepted_step_end_times.map((v) => expect.closeTo(v, 14)));
      expect(Math.abs((await loss.item()) - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-9);
      expect(relErr(await ys.data(), flat(ref.ys))).toBeLessThan(1e-9);
      expect(relErr(await gy0.data(), flat(ref.grad_y0))).toBeLessThan(1e-9);
      for (const [i, g] of gp.entries()) expect(relErr(await g.data(), flat(ref.grad_params[i]))).toBeLessThan(1e-9);
    });
  }
});
