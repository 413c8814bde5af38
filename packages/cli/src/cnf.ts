/**
 * `sympode cnf`: trains a continuous normalizing flow (FFJORD's concat-squash CNF, @sympode/flows) on a 2-D
 * toy density by maximum likelihood, gradients by the chosen method (symplectic adjoint by default). Writes
 * metrics.csv, params.json and pictures (data | model density | samples, samples, loss) to --out.
 */
import { writeFile } from 'node:fs/promises';
import { stagedOut } from './outputs.js';
import { join } from 'node:path';
import { createDevice, optim, type Device } from '@sympode/tensor';
import type { GradientMethodName, OdeintStats, StageMode } from '@sympode/symplectic';
import { CNF, toyData, type ToyDataset, type TraceEstimator } from '@sympode/flows';
import { cliDevice, type BackendChoice } from './device.js';
import { formatBytes } from './format.js';
import { Progress } from './progress.js';
import { writeCnfPictures } from './cnf-pictures.js';

/** Options of {@link trainCnf} (the command's flags). */
export interface CnfOptions {
  data: ToyDataset;
  gradient: GradientMethodName;
  /** odeint's `stages` ('keep': the symplectic adjoint stores the stage derivatives instead of recomputing them). */
  stages?: StageMode;
  backend: BackendChoice;
  /** Element type on the cpu backend (webgpu is always float32). */
  dtype: 'float64' | 'float32';
  blocks: number;
  /** Hidden width of each concat-squash layer. */
  width: number;
  /** Number of hidden layers. */
  depth: number;
  /** rtol = atol of dopri5. */
  tol: number;
  trace: TraceEstimator;
  iters: number;
  lr: number;
  batch: number;
  seed: number;
  out: string;
  /** Side of the density grid in cells. */
  grid: number;
  /** Number of samples drawn for the pictures. */
  samples: number;
  /** Stop training after this many seconds (0: no limit); the iterations run are reported. */
  timeLimit?: number;
  quiet?: boolean;
}

/** What {@link trainCnf} returns. */
export interface CnfResult {
  /** Batch negative log-likelihood (nats) of the first and last iteration. */
  firstLoss: number;
  finalLoss: number;
  /** Mean NLL over the last min(50, iters) iterations: less noisy than the last batch. */
  finalLossAvg: number;
  /** NLL (nats) of 4096 held-out points (seeded) after training. */
  testLoss: number;
  /** Iterations run (fewer than asked when the time limit stopped training). */
  iterations: number;
  /** Per-iteration batch losses. */
  losses: number[];
  /** Seconds of training (without the pictures), and in all. */
  trainSeconds: number;
  seconds: number;
  device: string;
  files: string[];
}

/** The flow's parameters by name ("blocks.m.<concat-squash name>"), as nn.Module's stateDict. */
async function flowState(cnf: CNF) {
  const out: Record<string, unknown> = {};
  for (const [m, net] of cnf.nets.entries()) {
    const sd = await (net as unknown as { stateDict(): Promise<Record<string, unknown>> }).stateDict();
    for (const [k, v] of Object.entries(sd)) out[`blocks.${m}.${k}`] = v;
  }
  return out;
}

/** NLL (nats) of `n` held-out points without gradients, in chunks. */
async function heldOutNll(dev: Device, cnf: CNF, data: ToyDataset, n: number, seed: number): Promise<number> {
  const pts = toyData(data, n, seed);
  let sum = 0;
  for (let s = 0; s < n; s += 1024) {
    const k = Math.min(1024, n - s);
    sum += await dev.tidy(() => dev.noGrad(async () => (await cnf.logProb(dev.tensor(pts.subarray(2 * s, 2 * (s + k)), [k, 2]))).sum().item()));
  }
  return -sum / n;
}

/** Trains the flow, writes the files; see the module comment. */
export async function trainCnf(opts: CnfOptions): Promise<CnfResult> {
  const t0 = performance.now();
  const log = opts.quiet ? () => undefined : (m: string) => console.log(m);
  const dev = opts.backend === 'cpu' ? await createDevice({ backend: 'cpu', dtype: opts.dtype, seed: opts.seed }) : await cliDevice(opts.backend, opts.seed, log);
  const hidden = Array.from({ length: opts.depth }, () => opts.width);
  const arch = `${opts.blocks} block${opts.blocks > 1 ? 's' : ''} of 2→${hidden.join('→')}→2`;
  log(`device: ${dev.backend.description}; data ${opts.data}; ${arch}; gradient ${opts.gradient}${opts.stages === 'keep' ? " (stages 'keep')" : ''}; dopri5 tol ${opts.tol}; ${opts.iters} iterations of batch ${opts.batch}`);
  const cnf = CNF.ffjord(dev, 2, {
    hidden, blocks: opts.blocks, seed: opts.seed, trace: opts.trace,
    solver: { method: 'dopri5', rtol: opts.tol, atol: opts.tol, gradient: opts.gradient, stages: opts.stages ?? 'recompute' },
  });
  const opt = new optim.Adam(cnf.parameters(), { lr: opts.lr });
  const rows = ['iteration,loss,nfe_forward,nfe_backward,steps,live_bytes,peak_bytes,seconds'];
  const losses: number[] = [];
  const progress = opts.quiet ? null : new Progress(opts.iters);
  for (let it = 1; it <= opts.iters; it++) {
    const start = performance.now();
    dev.memory.resetPeak();
    const stats: Partial<OdeintStats>[] = [];
    const loss = await dev.tidy(async () => {
      // A fresh batch each iteration from a seeded stream (iteration-dependent seed: reproducible).
      const x = dev.tensor(toyData(opts.data, opts.batch, opts.seed * 1_000_003 + it), [opts.batch, 2]);
      const nll = (await cnf.logProb(x, { stats })).mean().neg();
      await nll.backward();
      opt.step();
      opt.zeroGrad();
      return nll.item();
    });
    const sec = (performance.now() - start) / 1000;
    losses.push(loss);
    const sum = (k: 'nfeForward' | 'nfeBackward' | 'acceptedSteps') => stats.reduce((a, s) => a + (s[k] ?? 0), 0);
    const m = dev.memory.stats();
    rows.push([it, loss, sum('nfeForward'), sum('nfeBackward'), sum('acceptedSteps'), m.liveBytes, m.peakBytes, sec.toFixed(3)].join(','));
    const over = (opts.timeLimit ?? 0) > 0 && (performance.now() - t0) / 1000 > opts.timeLimit!;
    progress?.update(over ? opts.iters : it, `loss ${loss.toFixed(3)} nats nfe ${sum('nfeForward')}+${sum('nfeBackward')} live ${formatBytes(m.liveBytes)} peak ${formatBytes(m.peakBytes)}`);
    if (over) {
      log(`time limit of ${opts.timeLimit} s reached after ${it} iterations`);
      break;
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const testLoss = await heldOutNll(dev, cnf, opts.data, 4096, opts.seed + 12345);

  const tail = losses.slice(-Math.min(50, losses.length));
  const finalLossAvg = tail.reduce((a, b) => a + b, 0) / tail.length;
  const caption = `${arch}, ${losses.length} it., test NLL ${testLoss.toFixed(3)} nats`;
  // Written to a staging folder and renamed into --out together: a failed write leaves the previous run's files.
  const files = await stagedOut(opts.out, async (dir) => {
    const metrics = join(dir, 'metrics.csv');
    await writeFile(metrics, rows.join('\n') + '\n');
    const params = join(dir, 'params.json');
    await writeFile(params, JSON.stringify(await flowState(cnf)));
    const pics = await writeCnfPictures(dev, cnf, {
      out: dir, data: opts.data, seed: opts.seed, grid: opts.grid, samples: opts.samples, caption,
      losses: losses.map((loss, i) => ({ iter: i + 1, loss })),
    });
    return [metrics, params, ...pics];
  });
  const result: CnfResult = {
    firstLoss: losses[0]!, finalLoss: losses[losses.length - 1]!, finalLossAvg, testLoss, iterations: losses.length, losses,
    trainSeconds, seconds: (performance.now() - t0) / 1000, device: dev.backend.description, files,
  };
  log(`NLL ${result.firstLoss.toFixed(3)} → ${result.finalLoss.toFixed(3)} nats (mean of the last ${tail.length}: ${finalLossAvg.toFixed(3)}); held-out NLL ${testLoss.toFixed(3)} nats; training ${trainSeconds.toFixed(1)} s, in all ${result.seconds.toFixed(1)} s`);
  log(`wrote ${files.join(', ')}`);
  opt.dispose();
  cnf.dispose();
  dev.destroy();
  return result;
}
