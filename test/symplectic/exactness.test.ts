/**
 * Exactness on cpu float64: the symplectic adjoint, checkpointed backprop and backprop through the solver give
 * the same gradients (y0 and every parameter) to ≤ 1e-12 relative, for every tableau, adaptive and fixed steps,
 * several output times, a time-dependent f, and decreasing time. Finite differences of the discrete solve agree.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, type Device, type Tensor } from '@sympode/tensor';
import { odeint, TABLEAU_NAMES, TABLEAUS, type GradientMethodName, type OdeintOptions } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, solveGradients, weightedLoss } from '../helpers/mlp-ode.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

function gradients(method: string, gradient: GradientMethodName, times: number[], extra: OdeintOptions = {}) {
  return solveGradients(dev, method, gradient, times, extra);
}

const times = [0, 0.3, 0.7, 1.2];

describe('symplectic adjoint = checkpoint = backprop (≤ 1e-12 relative)', () => {
  for (const name of TABLEAU_NAMES) {
    const tab = TABLEAUS[name];
    const variants: [string, OdeintOptions][] = tab.adaptive ? [['adaptive', {}]] : [['one step per interval', {}], ['stepSize 0.1', { stepSize: 0.1 }]];
    for (const [label, extra] of variants) {
      it(`${name}, ${label}`, async () => {
        const bp = await gradients(name, 'backprop', times, extra);
        for (const m of ['symplectic-adjoint', 'checkpoint'] as const) {
          const r = await gradients(name, m, times, extra);
          expect(Math.abs(r.loss - bp.loss) / Math.abs(bp.loss)).toBeLessThan(1e-12);
          r.gs.forEach((g, i) => expect(relErr(g, bp.gs[i])).toBeLessThan(1e-12));
        }
      });
    }
  }

  it('decreasing output times (dopri5)', async () => {
    const rev = [1.2, 0.7, 0.3, 0];
    const bp = await gradients('dopri5', 'backprop', rev);
    const sa = await gradients('dopri5', 'symplectic-adjoint', rev);
    sa.gs.forEach((g, i) => expect(relErr(g, bp.gs[i])).toBeLessThan(1e-12));
  });
});

describe('finite differences of the discrete solve', () => {
  it('agree with the symplectic gradient (rk4 and midpoint, fixed steps)', async () => {
    for (const opts of [{ method: 'rk4', stepSize: 0.05 }, { method: 'midpoint', stepSize: 0.1 }] as OdeintOptions[]) {
      const { f, params, mlp } = mlpField(dev, [2, 6, 2], 9);
      const y0v = randomData(4, 21);
      const lossAt = async (y0: Tensor) => dev.noGrad(async () => {
        const ys = await odeint(f, y0, times, opts);
        const l = weightedLoss(ys);
        const v = await l.item();
        dev.dispose(ys, l);
        return v;
      });
      const y0 = dev.tensor(y0v, [2, 2], { requiresGrad: true });
      const ys = await odeint(f, y0, times, { ...opts, params });
      const [gy0, gw] = await grad(weightedLoss(ys), [y0, params[0]]);
      const eps = 1e-6;
      const num = new Float64Array(4);
      for (let i = 0; i < 4; i++) {
        const p = Float64Array.from(y0v); p[i] += eps;
        const m = Float64Array.from(y0v); m[i] -= eps;
        num[i] = ((await lossAt(dev.tensor(p, [2, 2]))) - (await lossAt(dev.tensor(m, [2, 2])))) / (2 * eps);
      }
      expect(relErr(await gy0.data(), num)).toBeLessThan(1e-7);
      // One weight element by differences of the parameter.
      const w = params[0];
      const wv = Float64Array.from(await w.data());
      const at = async (v: number) => {
        const c = Float64Array.from(wv); c[3] = v;
        w.device.backend.write(w._raw, c, 0);
        return lossAt(dev.tensor(y0v, [2, 2]));
      };
      const numW = ((await at(wv[3] + eps)) - (await at(wv[3] - eps))) / (2 * eps);
      await at(wv[3]);
      expect(Math.abs((await gw.data())[3] - numW) / Math.abs(numW)).toBeLessThan(1e-6);
      mlp.dispose();
    }
  });
});

describe('continuous adjoint', () => {
  it('is approximate: its error against the exact gradient shrinks as the adjoint tolerances tighten', async () => {
    const exact = await gradients('dopri5', 'symplectic-adjoint', [0, 1.5], { rtol: 1e-8, atol: 1e-10 });
    const errors: number[] = [];
    for (const tol of [1e-3, 1e-5, 1e-7, 1e-9]) {
      const r = await gradients('dopri5', 'adjoint', [0, 1.5], { rtol: 1e-8, atol: 1e-10, adjointRtol: tol, adjointAtol: tol * 1e-2 });
      errors.push(Math.max(...r.gs.map((g, i) => relErr(g, exact.gs[i]))));
    }
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]);
    expect(errors[0]).toBeGreaterThan(1e-8); // visibly approximate at loose tolerance
    expect(errors[errors.length - 1]).toBeLessThan(1e-6);
  });
});
