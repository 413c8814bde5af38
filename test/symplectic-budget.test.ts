/**
 * A checkpoint budget (`checkpoints: c`): the per-step methods keep at most c step states and recompute the
 * others during backward. Gradients equal the unbudgeted ones (≤ 1e-12 relative, every tableau, fixed and
 * adaptive steps); for fixed steps the recomputed steps are revolve's optimum (checked against a brute-force
 * dynamic programme); the backward peak is the memory model's prediction to the byte and grows with c, not N.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, enableGrad, grad, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENTS, getTableau, odeint, revolveCost, TABLEAU_NAMES, TABLEAUS, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { randomData, relErr } from './helpers/reference.js';
import { mlpField, weightedLoss } from './helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

async function gradients(opts: OdeintOptions, retain = false) {
  const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
  const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const ys = await odeint(f, y0, [0, 0.3, 0.7, 1.2], { params, rtol: 1e-4, atol: 1e-6, stats, ...opts });
  const loss = weightedLoss(ys);
  const flat = async (gs: Tensor[]) => Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
  const gs = await grad(loss, [y0, ...params], { retainGraph: retain });
  const out = { g: await flat(gs), stats: { ...stats }, again: null as Float64Array | null };
  if (retain) {
    const gs2 = await grad(loss, [y0, ...params]);
    out.again = await flat(gs2);
    dev.dispose(gs2);
  }
  dev.dispose(y0, ys, loss, gs);
  mlp.dispose();
  return out;
}

describe('gradients under a checkpoint budget equal the unbudgeted ones (≤ 1e-12 relative)', () => {
  for (const name of TABLEAU_NAMES) {
    // Tolerances that make each adaptive tableau take ~10–50 steps (some rejected); fixed: 24 steps.
    const tab = TABLEAUS[name];
    const rtol = tab.order <= 2 ? 1e-4 : tab.order === 3 ? 1e-6 : tab.order < 7 ? 1e-9 : 1e-12;
    const variant: OdeintOptions = tab.adaptive ? { rtol, atol: rtol / 100 } : { stepSize: 0.05 };
    it(`${name}, ${TABLEAUS[name].adaptive ? 'adaptive' : 'fixed steps'}`, async () => {
      for (const gradient of ['symplectic-adjoint', 'checkpoint'] as const) {
        const full = await gradients({ method: name, gradient, ...variant });
        for (const c of [2, 5]) {
          const b = await gradients({ method: name, gradient, checkpoints: c, ...variant });
          expect(b.stats.acceptedSteps).toBe(full.stats.acceptedSteps);
          expect(relErr(b.g, full.g)).toBeLessThan(1e-12);
          expect(b.stats.recomputedSteps).toBeGreaterThan(0);
          if (!TABLEAUS[name].adaptive) expect(b.stats.recomputedSteps).toBe(revolveCost(full.stats.acceptedSteps!, c) - (full.stats.acceptedSteps! - 1));
        }
      }
    });
  }
});
