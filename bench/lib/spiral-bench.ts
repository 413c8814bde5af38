/**
 * Milliseconds per training iteration of the main job's spiral model (MLP 2→50→2 tanh on y³; batches of 20
 * random windows of 10 points from the true trajectory; dopri5 at rtol 1e-7, atol 1e-9; L1 loss; Adam), per
 * gradient method. The model code is the CLI's (`packages/cli/src/spiral.ts`), passed in by the caller, so
 * this module does not depend on the CLI's build.
 */
import { createDevice, optim, type Device } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';
import type * as SpiralModule from '../../packages/cli/dist/spiral.js';
import { median } from './stats.js';

export type SpiralLib = Pick<typeof SpiralModule, 'SpiralModel' | 'BatchSampler' | 'trueTrajectory' | 'spiralTimes'>;

export interface SpiralRow {
  backend: string;
  gradient: GradientMethodName;
  /** Median ms per iteration (forward, backward, Adam step, loss read back), warm-up excluded. */
  msPerIter: number;
  iters: number;
  /** Mean accepted steps of the forward solves. */
  steps: number;
  nfeForward: number;
  nfeBackward: number;
  /** Peak bytes of one iteration above what was live before it. */
  peakBytes: number;
  firstLoss: number;
  lastLoss: number;
  error?: string;
}

export interface SpiralOptions {
  iters: number;
  batchSize?: number;
  batchTime?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

/** Runs `iters` timed iterations (+1 warm-up) per gradient method on `dev`; the truth comes from `cpu64`. */
export async function spiralBench(lib: SpiralLib, dev: Device, cpu64: Device, gradients: readonly GradientMethodName[], opts: SpiralOptions): Promise<SpiralRow[]> {
  const { batchSize = 20, batchTime = 10, rtol = 1e-7, atol = 1e-9, seed = 0 } = opts;
  const times = lib.spiralTimes();
  const trueY = await lib.trueTrajectory(cpu64, times);
  const rows: SpiralRow[] = [];
  for (const gradient of gradients) {
    const model = new lib.SpiralModel(dev, seed);
    const opt = new optim.Adam(model.mlp.parameters(), { lr: 1e-3 });
    const sampler = new lib.BatchSampler(trueY, times, batchTime, batchSize, seed);
    const ms: number[] = [];
    let steps = 0, nfeF = 0, nfeB = 0, peak = 0, firstLoss = NaN, lastLoss = NaN;
    let error: string | undefined;
    try {
      for (let it = 0; it <= opts.iters; it++) {
        const batch = sampler.next();
        await dev.sync();
        dev.memory.resetPeak();
        const base = dev.memory.stats().liveBytes;
        const stats: Partial<OdeintStats> = {};
        const t0 = performance.now();
        const loss = await dev.tidy(async () => {
          const y0 = dev.tensor(batch.y0, [batchSize, 2]);
          const target = dev.tensor(batch.target, [batchTime, batchSize, 2]);
          const pred = await odeint(model.f, y0, batch.t, { method: 'dopri5', rtol, atol, params: model.mlp, gradient, stats });
          const l = pred.sub(target).abs().mean();
          await l.backward();
          opt.step();
          opt.zeroGrad();
          return l.item();
        });
        const dt = performance.now() - t0;
        if (it === 0) {
          firstLoss = loss;
          continue; // warm-up
        }
        ms.push(dt);
        lastLoss = loss;
        steps += stats.acceptedSteps ?? 0;
        nfeF += stats.nfeForward ?? 0;
        nfeB += stats.nfeBackward ?? 0;
        peak = Math.max(peak, dev.memory.stats().peakBytes - base);
      }
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    } finally {
      opt.dispose();
      model.mlp.dispose();
    }
    const n = Math.max(1, ms.length);
    rows.push({
      backend: dev.backend.description, gradient, msPerIter: median(ms), iters: ms.length,
      steps: steps / n, nfeForward: nfeF / n, nfeBackward: nfeB / n, peakBytes: peak, firstLoss, lastLoss, error,
    });
  }
  return rows;
}

/** Convenience for a fresh float64 cpu device (the truth is always computed in float64). */
export function cpu64(): Promise<Device> {
  return createDevice({ backend: 'cpu', dtype: 'float64' });
}
