/**
 * `sympode train`: learns the spiral dynamics with a Neural ODE, gradients by the chosen method (symplectic
 * adjoint by default). Writes metrics.csv (one row per iteration, row 0 the untrained model's trajectory loss),
 * trajectory.csv, params.json and pictures (phase portrait, loss curve) to --out; every chart is redrawable from
 * the two CSVs.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDevice, optim, type Device } from '@sympode/tensor';
import { cliDevice, type BackendChoice } from './device.js';
import { odeint, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';
import { formatBytes } from './format.js';
import { lineChart, writeChart } from '@sympode/plot';
import { stagedOut } from './outputs.js';
import { Progress } from './progress.js';
import { BatchSampler, SpiralModel, spiralTimes, trainStep, trueTrajectory, SPIRAL } from './spiral.js';

/** Options of `sympode train` (flags of the same names). */
export interface TrainOptions {
  backend: BackendChoice;
  gradient: GradientMethodName;
  iters: number;
  seed: number;
  out: string;
  lr: number;
  batchSize: number;
  batchTime: number;
  rtol: number;
  atol: number;
  /** Print and record the full-trajectory loss every this many iterations. */
  evalEvery: number;
  quiet?: boolean;
}

/** Losses before and after, what was written, where and how long. */
export interface TrainResult {
  firstLoss: number;
  finalLoss: number;
  /** Mean |y − y_true| over the whole trajectory before and after training. */
  firstTrajectoryLoss: number;
  finalTrajectoryLoss: number;
  files: string[];
  device: string;
  seconds: number;
}

/** Mean absolute error of the model's trajectory from y0 over all 1000 points, and the trajectory. */
async function evaluate(dev: Device, model: SpiralModel, times: number[], trueY: Float64Array, opts: TrainOptions) {
  return dev.tidy(async () => {
    const y0 = dev.tensor([[...SPIRAL.y0]]);
    const ys = await dev.noGrad(() => odeint(model.f, y0, times, { method: 'dopri5', rtol: opts.rtol, atol: opts.atol }));
    const pred = Float64Array.from(await ys.data());
    let err = 0;
    for (let i = 0; i < pred.length; i++) err += Math.abs(pred[i] - trueY[i]);
    return { loss: err / pred.length, pred };
  });
}

/** Trains the spiral model and writes its outputs (see the module comment); returns the losses and files. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const log = opts.quiet ? () => undefined : (m: string) => console.log(m);
  const dev = await cliDevice(opts.backend, opts.seed, log);
  log(`device: ${dev.backend.description}; gradient: ${opts.gradient}; ${opts.iters} iterations`);
  // The ground truth is always computed in float64 on the cpu, so every backend learns the same data.
  const cpu = dev.kind === 'cpu' && dev.dtype === 'float64' ? dev : await createDevice({ backend: 'cpu' });
  const times = spiralTimes();
  const trueY = await trueTrajectory(cpu, times);

  const model = new SpiralModel(dev, opts.seed);
  const opt = new optim.Adam(model.mlp.parameters(), { lr: opts.lr });
  const sampler = new BatchSampler(trueY, times, opts.batchTime, opts.batchSize, opts.seed);
  const first = await evaluate(dev, model, times, trueY, opts);
  const rows = ['iter,loss,trajectory_loss,steps,nfe_forward,nfe_backward,live_bytes,peak_bytes,ms'];
  // Iteration 0: the untrained model's whole-trajectory loss (the loss chart's first point); no batch yet.
  const m0 = dev.memory.stats();
  rows.push([0, '', first.loss.toPrecision(6), '', '', '', m0.liveBytes, m0.peakBytes, ''].join(','));
  const lossCurve: { iter: number; loss: number }[] = [];
  const evalCurve: { iter: number; loss: number }[] = [{ iter: 0, loss: first.loss }];
  const progress = opts.quiet ? null : new Progress(opts.iters);
  let firstLoss = NaN, lastLoss = NaN, trajLoss = first.loss;
  for (let it = 1; it <= opts.iters; it++) {
    const start = performance.now();
    dev.memory.resetPeak();
    const batch = sampler.next();
    const stats: Partial<OdeintStats> = {};
    const loss = await trainStep(model, opt, batch, { rtol: opts.rtol, atol: opts.atol, gradient: opts.gradient, stats });
    const ms = performance.now() - start;
    if (it === 1) firstLoss = loss;
    lastLoss = loss;
    lossCurve.push({ iter: it, loss });
    let evalCell = '';
    if (it % opts.evalEvery === 0 || it === opts.iters) {
      trajLoss = (await evaluate(dev, model, times, trueY, opts)).loss;
      evalCurve.push({ iter: it, loss: trajLoss });
      evalCell = trajLoss.toPrecision(6);
    }
    const m = dev.memory.stats();
    rows.push([it, loss, evalCell, stats.acceptedSteps ?? '', stats.nfeForward ?? '', stats.nfeBackward ?? '', m.liveBytes, m.peakBytes, ms.toFixed(2)].join(','));
    progress?.update(it, `loss ${loss.toFixed(4)} traj ${trajLoss.toFixed(4)} steps ${stats.acceptedSteps ?? '?'} live ${formatBytes(m.liveBytes)} peak ${formatBytes(m.peakBytes)}`);
  }
  const final = await evaluate(dev, model, times, trueY, opts);

  // Written to a staging folder and renamed into --out together: a failed write leaves the previous run's files.
  const files = await stagedOut(opts.out, async (dir) => {
    const files: string[] = [];
    const metrics = join(dir, 'metrics.csv');
    await writeFile(metrics, rows.join('\n') + '\n');
    const params = join(dir, 'params.json');
    await writeFile(params, JSON.stringify(await model.mlp.stateDict()));
    // The phase portrait's data: the true trajectory and the trained model's, at the 1000 output times.
    const trajectory = join(dir, 'trajectory.csv');
    await writeFile(trajectory, ['t,true_y1,true_y2,learned_y1,learned_y2', ...times.map((t, i) =>
      [t, trueY[2 * i], trueY[2 * i + 1], final.pred[2 * i], final.pred[2 * i + 1]].join(','))].join('\n') + '\n');
    files.push(metrics, trajectory, params);
    const phase = await writeChart(join(dir, 'phase'), lineChart({
      title: `Spiral: learned vs true trajectory (${opts.iters} iterations, ${opts.gradient})`,
      xLabel: 'y₁', yLabel: 'y₂', equalAspect: true,
      series: [
        { name: 'true', x: trueY.filter((_, i) => i % 2 === 0), y: trueY.filter((_, i) => i % 2 === 1) },
        { name: 'learned', x: final.pred.filter((_, i) => i % 2 === 0), y: final.pred.filter((_, i) => i % 2 === 1), dashed: true },
      ],
    }));
    const lossPng = await writeChart(join(dir, 'loss'), lineChart({
      title: 'Training loss (mean |y − y_true|)', xLabel: 'iteration', yLabel: 'loss', logY: true,
      series: [
        { name: 'batch loss', x: lossCurve.map((r) => r.iter), y: lossCurve.map((r) => r.loss) },
        { name: 'whole-trajectory loss', x: evalCurve.map((r) => r.iter), y: evalCurve.map((r) => r.loss) },
      ],
    }));
    files.push(phase.svg, phase.png, lossPng.svg, lossPng.png);
    return files;
  });

  const result: TrainResult = {
    firstLoss, finalLoss: lastLoss, firstTrajectoryLoss: first.loss, finalTrajectoryLoss: final.loss,
    files, device: dev.backend.description, seconds: (performance.now() - t0) / 1000,
  };
  log(`batch loss ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(4)}; whole-trajectory loss ${first.loss.toFixed(4)} → ${final.loss.toFixed(4)} in ${result.seconds.toFixed(1)} s`);
  log(`wrote ${files.join(', ')}`);
  opt.dispose();
  model.mlp.dispose();
  if (cpu !== dev) cpu.destroy();
  dev.destroy();
  return result;
}
