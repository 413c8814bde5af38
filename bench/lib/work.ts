/** Work counted on the backend: dispatches and readbacks of a dopri5 solve, our matmul kernel's GFLOP/s. */
import type { Device } from '@sympode/tensor';
import type { Grid } from './grid.js';
import { forwardSteps } from './measure.js';
import { buildMlpOde, type MlpOdeSpec } from './problems.js';
import { median } from './stats.js';
import type { BenchRow, DispatchRow, MatmulRow } from './types.js';

/** Dispatches and readbacks of dopri5 forward solves on `dev`, from the backend's counters. */
export async function dispatchCounts(dev: Device, spec: MlpOdeSpec, tol: { rtol: number; atol: number }, symp: BenchRow): Promise<DispatchRow> {
  const p = buildMlpOde(dev, spec);
  try {
    const c = dev.backend.counters;
    await dev.sync();
    const d0 = c.dispatches;
    const k = dev.noGrad(() => p.f(0, p.y0));
    const fDispatches = c.dispatches - d0;
    k.dispose();
    await dev.sync();
    const solve = async (T: number) => {
      const q = buildMlpOde(dev, { ...spec, T });
      try {
        await dev.sync();
        const before = { d: c.dispatches, r: c.readbacks, s: c.submits };
        const st = await forwardSteps(q, { method: 'dopri5', ...tol });
        return { d: c.dispatches - before.d, r: c.readbacks - before.r, s: c.submits - before.s, nfe: st.nfeForward, steps: st.acceptedSteps + st.rejectedSteps };
      } finally {
        q.dispose();
      }
    };
    const full = await solve(spec.T ?? 1);
    const half = await solve((spec.T ?? 1) / 2);
    const dn = full.nfe - half.nfe, ds = full.steps - half.steps;
    return {
      backend: dev.backend.description, fDispatches,
      amortizedDispatchesPerStage: (full.d - full.nfe * fDispatches) / full.nfe,
      amortizedReadbacksPerStep: full.r / full.steps,
      marginalDispatchesPerStage: dn > 0 ? (full.d - half.d - dn * fDispatches) / dn : NaN,
      marginalReadbacksPerStep: ds > 0 ? (full.r - half.r) / ds : NaN,
      submitsPerStep: full.s / full.steps,
      bwdDispatchesPerEval: symp.nfeBackward > 0 ? symp.bwdDispatches / symp.nfeBackward : NaN,
      steps: full.steps,
    };
  } finally {
    p.dispose();
  }
}

/** Our matmul kernel's GFLOP/s at the grid's shapes (median of 5 batches of 10 after one, each batch ends in a readback). */
export async function matmulRates(dev: Device, grid: Grid, peak?: number): Promise<MatmulRow[]> {
  const out: MatmulRow[] = [];
  for (const [m, k, n] of grid.matmulShapes) {
    const a = dev.randn([m, k], { seed: 1 }), b = dev.randn([k, n], { seed: 2 });
    const reps = 10;
    const times: number[] = [];
    for (let r = 0; r < 6; r++) {
      const t = performance.now();
      const outs = Array.from({ length: reps }, () => a.matmul(b));
      await outs[reps - 1].data();
      dev.dispose(outs);
      if (r > 0) times.push((performance.now() - t) / reps);
    }
    dev.dispose(a, b);
    const ms = median(times);
    const gflops = (2 * m * k * n) / (ms * 1e6);
    out.push({ m, k, n, ms, gflops, percentOfPeak: peak ? (100 * gflops) / peak : undefined });
  }
  return out;
}
