/**
 * Many outputs inside one step (issue 20, item 1): every gradient method × every adaptive tableau with 1, 17,
 * 100 and 1000 output times strictly inside a single accepted step. The symplectic adjoint's backward combines
 * one row per interior output (κ_i += h Σ_o w_i(θ_o) g_o), which once stopped at 16 rows; now any number work.
 * cpu float64 against backprop ≤ 1e-12 relative (the continuous adjoint, approximate by construction, against
 * its own tolerance); webgpu float32 ≤ 1e-4 relative against backprop on webgpu. 'reversible' is not here: it
 * needs reversible_heun, which outputs step ends only, so no output can lie inside a step.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, type Device } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, TABLEAU_NAMES, TABLEAUS, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { mlpField, weightedLoss } from '../helpers/mlp-ode.js';
import { webgpuDevice } from '../helpers/devices.js';

const T = 0.5;
/** `n` output times strictly inside (0, T), plus both ends. */
const times = (n: number) => Array.from({ length: n + 2 }, (_, i) => (T * i) / (n + 1));
/** Loose tolerances and firstStep = T: the controller accepts [0, T] as one step, for every tableau. */
const ONE_STEP: OdeintOptions = { rtol: 1e-1, atol: 1e-1, firstStep: T };
const ADAPTIVE = TABLEAU_NAMES.filter((n) => TABLEAUS[n].adaptive);

/** Loss and gradients (y0, θ) of a tiny [2, 4, 2] MLP field; nothing is left on the device. */
async function gradients(dev: Device, method: string, gradient: GradientMethodName, ts: number[], extra: OdeintOptions = {}) {
  const { f, params, mlp } = mlpField(dev, [2, 4, 2], 7);
  const y0 = dev.tensor(randomData(4, 9), [2, 2], { requiresGrad: true });
  const stats: Partial<OdeintStats> = {};
  const live = dev.memory.stats().liveBytes;
  const out = await dev.tidy(async () => {
    const ys = await odeint(f, y0, ts, { method, gradient, params, stats, ...ONE_STEP, ...extra });
    const loss = weightedLoss(ys);
    const gs = await grad(loss, [y0, ...params]);
    return { loss: await loss.item(), gs: await Promise.all(gs.map(async (g) => Float64Array.from(await g.data()))) };
  });
  expect(dev.memory.stats().liveBytes, `${gradient}: nothing left`).toBe(live);
  mlp.dispose();
  y0.dispose();
  return { ...out, stats };
}

function expectClose(got: { loss: number; gs: Float64Array[] }, ref: { loss: number; gs: Float64Array[] }, tol: number, what: string) {
  expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss), `${what}: loss`).toBeLessThan(tol);
  got.gs.forEach((g, i) => expect(relErr(g, ref.gs[i]), `${what}: grad ${i}`).toBeLessThan(tol));
}

/** Every gradient as one vector. */
const flat = (r: { gs: Float64Array[] }) => Float64Array.from(r.gs.flatMap((g) => Array.from(g)));

describe('many outputs inside one step (cpu float64): every method = backprop', () => {
  let dev: Device;
  beforeAll(async () => {
    dev = await createDevice({ backend: 'cpu' });
  });

  describe.each(ADAPTIVE)('%s', (method) => {
    it.each([1, 17, 100, 1000])('%i interior outputs', async (n) => {
      const ts = times(n);
      const bp = await gradients(dev, method, 'backprop', ts);
      expect(bp.stats.acceptedSteps, 'one step holds every output').toBe(1);
      for (const g of GRADIENT_METHODS.filter((m) => m !== 'backprop' && m !== 'adjoint')) {
        expectClose(await gradients(dev, method, g, ts), bp, 1e-12, g);
      }
      // The continuous adjoint approximates the exact gradient, not the discrete one: against the converged
      // gradient it must do about as well as backprop through this one coarse step (its backward restarts at
      // every output and never combines their rows, so one size suffices).
      if (n === 17) {
        // Any tableau converges to the same gradient: dopri8 gets there in few steps.
        const conv = flat(await gradients(dev, 'dopri8', 'backprop', ts, { rtol: 1e-10, atol: 1e-12, firstStep: undefined, outputs: 'step' }));
        const adj = await gradients(dev, method, 'adjoint', ts, { adjointRtol: 1e-7, adjointAtol: 1e-9 });
        expect(relErr(flat(adj), conv)).toBeLessThan(3 * relErr(flat(bp), conv));
      }
    });
  });
});

describe('many outputs inside one step (webgpu float32)', () => {
  // One tableau and two sizes (past 16 rows: one and several chained dispatches) keep lavapipe's share small.
  it.each([17, 100])('dopri5, %i interior outputs: every method = backprop on webgpu ≤ 1e-4', async (n, ctx) => {
    const gpu = await webgpuDevice();
    if (!gpu) return ctx.skip();
    const ts = times(n);
    const bp = await gradients(gpu, 'dopri5', 'backprop', ts);
    expect(bp.stats.acceptedSteps).toBe(1);
    for (const g of GRADIENT_METHODS.filter((m) => m !== 'backprop' && m !== 'adjoint')) {
      expectClose(await gradients(gpu, 'dopri5', g, ts), bp, 1e-4, g);
    }
  });
});
