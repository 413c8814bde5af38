/**
 * `sympode cnf`: trains a continuous normalizing flow (FFJORD's concat-squash CNF, @sympode/flows) on a 2-D
 * toy density by maximum likelihood, gradients by the chosen method (symplectic adjoint by default). Writes
 * metrics.csv, params.json and pictures (data | model density | samples, samples, loss) to --out.
 */
import { writeFile } from 'node:fs/promises';
import { stagedOut } from './outputs.js';
import { join } from 'node:path';
import { createDevice, optim, type Device, type RngState } from '@sympode/tensor';
import type { GradientMethodName, OdeintStats, StageMode } from '@sympode/symplectic';
import { CNF, toyData, type ToyDataset, type TraceEstimator } from '@sympode/flows';
import { cliDevice, type BackendChoice } from './device.js';
import { formatBytes } from './format.js';
import { Progress } from './progress.js';
import { writeCnfPictures } from './cnf-pictures.js';
import { RunStore, type RunOptions } from './checkpoint.js';
import { CheckpointError } from './errors.js';

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
  /**
   * Save a checkpoint every this many iterations (and at the end of training, and when `signal` aborts) in
   * `<out>/checkpoint/`, with metrics.csv appended there as the run goes; 0 or omitted: no checkpoint.
   */
  saveEvery?: number;
  /** Continue the run whose checkpoint is in `<out>/checkpoint/` (the options that fix the numbers must match). */
  resume?: boolean;
  /** Aborted: stop after the current iteration, saving a checkpoint when saving is on (`CnfResult.stopped`). */
  signal?: AbortSignal;
  quiet?: boolean;
}

/** The options that fix a run's numbers, by flag name: a checkpoint records them and resuming checks them. */
export function cnfRunOptions(o: CnfOptions): RunOptions {
  return {
    data: o.data, gradient: o.gradient, stages: o.stages ?? 'recompute', backend: o.backend, dtype: o.dtype, blocks: o.blocks, width: o.width,
    depth: o.depth, tol: o.tol, trace: o.trace, lr: o.lr, batch: o.batch, seed: o.seed, grid: o.grid, samples: o.samples,
  };
}

/** Options kept in a checkpoint (a resume without the flag uses them) that a resume may change: they shape pictures only. */
const PICTURE_OPTIONS = ['grid', 'samples'] as const;

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
  /** The files written (none when the run was stopped). */
  files: string[];
  /** Set when `signal` stopped the run: the iteration it stopped after and the checkpoint saved (null: none). */
  stopped?: { iteration: number; checkpoint: string | null };
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

/** Loads a checkpoint's parameters into the flow's blocks (all checked first by each block's loadStateDict). */
function loadFlowState(cnf: CNF, state: unknown, where: string) {
  try {
    if (typeof state !== 'object' || state === null) throw new Error(`model is ${String(state)}`);
    for (const [m, net] of cnf.nets.entries()) {
      const prefix = `blocks.${m}.`;
      const own = Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
      (net as unknown as { loadStateDict(s: unknown): void }).loadStateDict(own);
    }
  } catch (e) {
    throw new CheckpointError(`the checkpoint '${where}' does not fit this flow: ${(e as Error).message}`, { cause: e });
  }
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
  const header = 'iteration,loss,nfe_forward,nfe_backward,steps,live_bytes,peak_bytes,seconds';
  const saveEvery = opts.saveEvery ?? 0;
  const store = saveEvery > 0 || opts.resume ? new RunStore(opts.out, 'cnf') : null;
  // Checked before the device exists: a bad resume fails at once and holds nothing.
  const cp = opts.resume ? store!.resume(cnfRunOptions(opts), PICTURE_OPTIONS) : (store?.begin(header), null);
  const dev = opts.backend === 'cpu' ? await createDevice({ backend: 'cpu', dtype: opts.dtype, seed: opts.seed }) : await cliDevice(opts.backend, opts.seed, log);
  const hidden = Array.from({ length: opts.depth }, () => opts.width);
  const arch = `${opts.blocks} block${opts.blocks > 1 ? 's' : ''} of 2→${hidden.join('→')}→2`;
  const cnf = CNF.ffjord(dev, 2, {
    hidden, blocks: opts.blocks, seed: opts.seed, trace: opts.trace,
    solver: { method: 'dopri5', rtol: opts.tol, atol: opts.tol, gradient: opts.gradient, stages: opts.stages ?? 'recompute' },
  });
  const opt = new optim.Adam(cnf.parameters(), { lr: opts.lr });
  try {
    const rows = cp ? [...cp.metrics] : [header];
    const losses = rows.slice(1).map((r) => Number(r.split(',')[1]));
    if (cp && store) {
      loadFlowState(cnf, cp.model, store.statePath);
      try {
        opt.loadStateDict(cp.optimizer as Parameters<typeof opt.loadStateDict>[0]);
        cnf.setNoiseState(cp.rng as RngState);
      } catch (e) {
        throw new CheckpointError(`the checkpoint '${store.statePath}' is corrupt: ${(e as Error).message}`, { cause: e });
      }
    }
    if (cp && cp.iteration > opts.iters) throw new CheckpointError(`cannot resume '${opts.out}': its checkpoint is at iteration ${cp.iteration}, past --iters ${opts.iters}`);
    const first = cp ? cp.iteration + 1 : 1;
    log(`device: ${dev.backend.description}; data ${opts.data}; ${arch}; gradient ${opts.gradient}${opts.stages === 'keep' ? " (stages 'keep')" : ''}; dopri5 tol ${opts.tol}; ${opts.iters} iterations of batch ${opts.batch}${cp ? `; resumed after iteration ${cp.iteration}` : ''}`);
    let saved = cp?.iteration ?? -1;
    const save = async (iteration: number) => {
      store!.save({ options: cnfRunOptions(opts), iteration, model: await flowState(cnf), optimizer: await opt.stateDict(), rng: cnf.noiseState(), metrics: rows });
      saved = iteration;
    };
    const progress = opts.quiet ? null : new Progress(opts.iters);
    let stopped = false;
    for (let it = first; it <= opts.iters; it++) {
      const start = performance.now();
      dev.memory.resetPeak();
      const stats: Partial<OdeintStats>[] = [];
      const loss = await dev.tidy(async () => {
        // A fresh batch each iteration from a seeded stream (iteration-dependent seed: reproducible, resumable).
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
      const row = [it, loss, sum('nfeForward'), sum('nfeBackward'), sum('acceptedSteps'), m.liveBytes, m.peakBytes, sec.toFixed(3)].join(',');
      rows.push(row);
      store?.append(row);
      // A cpu iteration never leaves the microtask queue, so signal handlers would never run: give them a turn.
      if (opts.signal) await new Promise<void>((r) => setImmediate(r));
      stopped = opts.signal?.aborted ?? false;
      if (saveEvery > 0 && it % saveEvery === 0) await save(it); // a stop's checkpoint is saved after the loop
      const over = (opts.timeLimit ?? 0) > 0 && (performance.now() - t0) / 1000 > opts.timeLimit!;
      progress?.update(over || stopped ? opts.iters : it, `loss ${loss.toFixed(3)} nats nfe ${sum('nfeForward')}+${sum('nfeBackward')} live ${formatBytes(m.liveBytes)} peak ${formatBytes(m.peakBytes)}`);
      if (stopped) break;
      if (over) {
        log(`time limit of ${opts.timeLimit} s reached after ${it} iterations`);
        break;
      }
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const iteration = rows.length - 1;
    if (store && saved !== iteration) await save(iteration);
    if (stopped) {
      log(`stopped after iteration ${iteration}${store ? `; checkpoint saved in ${store.statePath} (continue with --resume ${opts.out})` : ''}`);
      return {
        firstLoss: losses[0]!, finalLoss: losses[losses.length - 1]!, finalLossAvg: NaN, testLoss: NaN, iterations: iteration, losses, trainSeconds,
        seconds: (performance.now() - t0) / 1000, device: dev.backend.description, files: [], stopped: { iteration, checkpoint: store?.statePath ?? null },
      };
    }
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
    store?.finish();
    const result: CnfResult = {
      firstLoss: losses[0]!, finalLoss: losses[losses.length - 1]!, finalLossAvg, testLoss, iterations: losses.length, losses,
      trainSeconds, seconds: (performance.now() - t0) / 1000, device: dev.backend.description, files,
    };
    log(`NLL ${result.firstLoss.toFixed(3)} → ${result.finalLoss.toFixed(3)} nats (mean of the last ${tail.length}: ${finalLossAvg.toFixed(3)}); held-out NLL ${testLoss.toFixed(3)} nats; training ${trainSeconds.toFixed(1)} s, in all ${result.seconds.toFixed(1)} s`);
    log(`wrote ${files.join(', ')}`);
    return result;
  } finally {
    opt.dispose();
    cnf.dispose();
    dev.destroy();
  }
}
