/** One cell of `bench:cnf`: a short training of one CNF problem with one gradient method, measured. */
import { concat, optim, Rng, type Device } from '@sympode/tensor';
import type { GradientMethodName, OdeintStats, StageMode } from '@sympode/symplectic';
import { CNF, cnfField } from '@sympode/flows';
import { problemBatch, type CnfProblem } from './cnf-problems.js';
import { measureUnitCosts, predictedMs, type UnitCosts } from './unit-costs.js';
import { variantOptions, type MethodVariant } from './method-variants.js';

/** One (backend, problem, method) cell of the table. */
export interface Row {
  backend: string;
  problem: string;
  method: GradientMethodName;
  /** odeint's `stages` when not the default ('keep': the forward stores the stage derivatives); absent in older runs. */
  stages?: StageMode;
  iters: number;
  /** Held-out NLL (nats) after training. */
  nll: number;
  /** Max over iterations of the peak bytes of the gradient computation (forward + backward, before the optimizer step) above what was live before the iteration. */
  peak: number;
  /** The same over the whole iteration, the optimizer step included (its temporaries are the same for every method). */
  peakStep?: number;
  labels: Record<string, number>;
  /** Median ms per iteration (the first, with its warm-up, excluded when there are ≥ 2). */
  ms: number;
  nfeF: number;
  nfeB: number;
  steps: number;
  /** What the last iteration's counts predict from f's unit costs (lib/unit-costs.ts), ms; absent in older runs. */
  predictedMs?: number;
}

/**
 * f's unit costs for problem `p` on `dev`: one block's CNF field (the flow's first net, seed 1, Gaussian or
 * exact trace as the problem has it) on a batch of the problem's size.
 */
export async function cnfUnitCosts(dev: Device, p: CnfProblem): Promise<UnitCosts> {
  const cnf = CNF.ffjord(dev, p.dim, { hidden: p.hidden, activation: p.activation, blocks: 1, seed: 1, trace: p.trace, noise: p.noise, T: p.T });
  const rng = new Rng(5);
  const noise = p.trace === 'hutchinson' ? Float64Array.from({ length: p.batch * p.dim }, () => rng.normal()) : undefined;
  const f = cnfField(cnf.nets[0]!, { dim: p.dim, trace: p.trace, noise });
  const s = dev.tidy(() => concat([problemBatch(dev, p, p.batch, 3), dev.zeros([p.batch, cnf.layout.width - p.dim])], 1));
  try {
    return await measureUnitCosts(dev, f, s, cnf.parameters(), p.dim === 2 ? 10 : 3, 3);
  } finally {
    s.dispose();
    cnf.dispose();
  }
}

/**
 * Trains a fresh flow for problem `p` (seed 1) with gradient `method` for `iters` iterations on `dev` and
 * measures each iteration; then the held-out NLL. `tol` overrides the problem's rtol and atol. See
 * bench/cnf.ts for what the columns mean.
 */
export async function runCell(dev: Device, p: CnfProblem, method: MethodVariant, iters: number, tol: number | undefined, units?: UnitCosts): Promise<Row> {
  const { gradient, stages } = method;
  const cnf = CNF.ffjord(dev, p.dim, {
    hidden: p.hidden, activation: p.activation, blocks: p.blocks, seed: 1, trace: p.trace, noise: p.noise, T: p.T,
    solver: { method: 'dopri5', rtol: tol ?? p.rtol, atol: tol ?? p.atol, ...variantOptions(method) },
  });
  const opt = new optim.Adam(cnf.parameters(), { lr: p.dim === 2 ? 5e-3 : 1e-3 });
  const times: number[] = [];
  let peak = 0, peakStep = 0, nfeF = 0, nfeB = 0, steps = 0;
  const labels: Record<string, number> = {};
  for (let it = 0; it < iters; it++) {
    await dev.sync();
    const before = dev.memory.stats();
    dev.memory.resetPeak();
    const stats: Partial<OdeintStats>[] = [];
    const t0 = performance.now();
    let grads = before;
    await dev.tidy(async () => {
      const x = problemBatch(dev, p, p.batch, 1000 + it);
      const nll = (await cnf.logProb(x, { stats })).mean().neg();
      await nll.backward();
      await dev.sync();
      grads = dev.memory.stats();
      opt.step();
      opt.zeroGrad();
      await dev.sync();
    });
    times.push(performance.now() - t0);
    const after = dev.memory.stats();
    peak = Math.max(peak, grads.peakBytes - before.liveBytes);
    peakStep = Math.max(peakStep, after.peakBytes - before.liveBytes);
    for (const [l, s] of Object.entries(grads.byLabel)) labels[l] = Math.max(labels[l] ?? 0, s.peakBytes - (before.byLabel[l]?.liveBytes ?? 0));
    nfeF = stats.reduce((a, s) => a + (s.nfeForward ?? 0), 0);
    nfeB = stats.reduce((a, s) => a + (s.nfeBackward ?? 0), 0);
    steps = stats.reduce((a, s) => a + (s.acceptedSteps ?? 0), 0);
  }
  // Held-out NLL: fixed points, fixed noise (a fresh flow stream would differ per method), no gradients.
  const nEval = Math.min(p.batch, p.dim === 2 ? 2048 : 1000);
  const noise = Array.from({ length: p.blocks }, (_, m) => Float64Array.from({ length: nEval * p.dim }, (_, i) => ((i * 7 + m) % 2 ? 1 : -1)));
  const nll = await dev.tidy(() => dev.noGrad(async () => -(await (await cnf.logProb(problemBatch(dev, p, nEval, 77), p.trace === 'hutchinson' ? { noise } : {})).mean().item())));
  opt.dispose();
  cnf.dispose();
  // The pool keeps every freed buffer for reuse; the next cell's shapes differ (and backprop's peak on the
  // POWER-sized problem is 14 GiB in float64), so hand it back rather than accumulate it across cells.
  dev.memory.emptyCache();
  const sorted = (times.length >= 2 ? times.slice(1) : times).sort((a, b) => a - b);
  return { backend: dev.backend.description, problem: p.name, method: gradient, ...(stages ? { stages } : {}), iters, nll, peak, peakStep, labels, ms: sorted[Math.floor(sorted.length / 2)]!, nfeF, nfeB, steps,
    ...(units ? { predictedMs: predictedMs(gradient, { nfeForward: nfeF, nfeBackward: nfeB, acceptedSteps: steps }, units, 'dopri5') } : {}) };
}

