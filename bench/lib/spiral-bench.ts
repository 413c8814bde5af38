/**
 * Milliseconds per training iteration of the main job's spiral model (MLP 2→50→2 tanh on y³; batches of 20
 * random windows of 10 points from the true trajectory; dopri5 at rtol 1e-7, atol 1e-9; L1 loss; Adam), per
 * gradient method. The problem and the iteration are the CLI's own (`@sympode/cli/spiral`).
 */
import { optim, type Device } from '@sympode/tensor';
import type { GradientMethodName, OdeintStats } from '@sympode/symplectic';
import { BatchSampler, SpiralModel, spiralTimes, trainStep, trueTrajectory } from '@sympode/cli/spiral';
import { median } from './stats.js';

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
export async function spiralBench(dev: Device, cpu64: Device, gradients: readonly GradientMethodName[], opts: SpiralOptions): Promise<SpiralRow[]> {
  const { batchSize = 20, batchTime = 10, rtol = 1e-7, atol = 1e-9, seed = 0 } = opts;
  const times = spiralTimes();
  const trueY = await trueTrajectory(cpu64, times);
  const rows: SpiralRow[] = [];
  for (const gradient of gradients) {
    const model = new SpiralModel(dev, seed);
    const opt = new optim.Adam(model.mlp.parameters(), { lr: 1e-3 });
    const sampler = new BatchSampler(trueY, times, batchTime, batchSize, seed);
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
        const loss = await trainStep(model, opt, batch, { rtol, atol, gradient, stats });
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
