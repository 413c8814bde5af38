/**
 * One measured solve: forward (odeint) and backward (`grad` of the loss w.r.t. y0 and θ), timed separately
 * (each ends with a device sync, so GPU work is included), with the allocator's exact peak (reset before the
 * solve; reported above the bytes live at that moment, i.e. what the solve and its gradient cost), the peak of
 * each memory label, function evaluations, and the backend's dispatch/submit/readback counters.
 */
import { grad, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintStats, type TableauName } from '@sympode/symplectic';
import type { MlpOde } from './problems.js';
import { flatten, median } from './stats.js';

export interface SolveConfig {
  method: TableauName;
  gradient: GradientMethodName;
  /** Fixed-step methods. */
  stepSize?: number;
  rtol?: number;
  atol?: number;
  adjointRtol?: number;
  adjointAtol?: number;
}

export interface Counters {
  dispatches: number;
  submits: number;
  readbacks: number;
}

export interface SolveMeasurement {
  fwdMs: number;
  bwdMs: number;
  /** Peak live bytes during forward + backward, above the live bytes at the start. */
  peakBytes: number;
  /** Live bytes when the peak was reset (parameters, y0, ∂L/∂ys: what the caller holds). */
  baseBytes: number;
  /** Peak live bytes per label above that label's live bytes at the start (peaks of different labels need not coincide). */
  labelPeaks: Record<string, number>;
  stats: OdeintStats;
  /** Counters of the forward solve and of the backward pass (the timing syncs excluded). */
  fwdCounters: Counters;
  bwdCounters: Counters;
  /** Gradients w.r.t. y0 then each parameter, flattened. */
  grads: Float64Array;
  /** Live bytes after everything was disposed minus the base (0 when nothing leaked). */
  leakedBytes: number;
}

function counters(dev: Device): Counters {
  const c = dev.backend.counters;
  return { dispatches: c.dispatches, submits: c.submits, readbacks: c.readbacks };
}
function diff(a: Counters, b: Counters): Counters {
  return { dispatches: b.dispatches - a.dispatches, submits: b.submits - a.submits, readbacks: b.readbacks - a.readbacks };
}

/** Runs one forward + backward of `prob` with `cfg` and measures it. */
export async function measureSolve(prob: MlpOde, cfg: SolveConfig): Promise<SolveMeasurement> {
  const dev = prob.device;
  await dev.sync();
  dev.memory.resetPeak();
  const start = dev.memory.stats();
  const stats: Partial<OdeintStats> = {};
  const c0 = counters(dev);
  const t0 = performance.now();
  const ys = await odeint(prob.f, prob.y0, prob.times, { ...cfg, params: prob.mlp, stats });
  const c1 = counters(dev);
  await dev.sync();
  const t1 = performance.now();
  const c2 = counters(dev);
  const gs = await grad(ys, prob.inputs, { gradOutput: prob.gradOutput });
  const c3 = counters(dev);
  await dev.sync();
  const t2 = performance.now();
  const end = dev.memory.stats();
  const host = await Promise.all(gs.map((g) => g.data()));
  dev.dispose(ys, gs);
  const labelPeaks: Record<string, number> = {};
  for (const [label, s] of Object.entries(end.byLabel)) {
    const peak = s.peakBytes - (start.byLabel[label]?.liveBytes ?? 0);
    if (peak > 0) labelPeaks[label] = peak;
  }
  return {
    fwdMs: t1 - t0,
    bwdMs: t2 - t1,
    peakBytes: end.peakBytes - start.liveBytes,
    baseBytes: start.liveBytes,
    labelPeaks,
    stats: stats as OdeintStats,
    fwdCounters: diff(c0, c1),
    bwdCounters: diff(c2, c3),
    grads: flatten(host),
    leakedBytes: dev.memory.stats().liveBytes - start.liveBytes,
  };
}

export interface RepeatedMeasurement extends SolveMeasurement {
  /** Every repeat's forward and backward ms (warm-up excluded). */
  fwdSamples: number[];
  bwdSamples: number[];
}

/**
 * One warm-up (unless `warmup` is false: the kernels are already compiled) then `repeats` measured runs:
 * median times; memory and counts from the last run (deterministic).
 */
export async function measureRepeated(prob: MlpOde, cfg: SolveConfig, repeats: number, warmup = true): Promise<RepeatedMeasurement> {
  if (warmup) await measureSolve(prob, cfg);
  const runs: SolveMeasurement[] = [];
  for (let r = 0; r < Math.max(1, repeats); r++) runs.push(await measureSolve(prob, cfg));
  const last = runs[runs.length - 1];
  const fwdSamples = runs.map((r) => r.fwdMs);
  const bwdSamples = runs.map((r) => r.bwdMs);
  return { ...last, fwdMs: median(fwdSamples), bwdMs: median(bwdSamples), fwdSamples, bwdSamples };
}

/** Forward-only solve (no graph, no checkpoints): steps and evaluation counts, for calibration. */
export async function forwardSteps(prob: MlpOde, cfg: Omit<SolveConfig, 'gradient'>): Promise<OdeintStats> {
  const dev = prob.device;
  const stats: Partial<OdeintStats> = {};
  const ys = await dev.noGrad(() => odeint(prob.f, prob.y0, prob.times, { ...cfg, stats }));
  ys.dispose();
  return stats as OdeintStats;
}

/** Allocation trace of one forward + backward: [timeMs, liveBytes above start] per event, and the labels. */
export async function traceSolve(prob: MlpOde, cfg: SolveConfig): Promise<{ timeMs: number[]; liveBytes: number[]; csv: string; chrome: string }> {
  const dev = prob.device;
  await dev.sync();
  const base = dev.memory.stats().liveBytes;
  const trace = dev.memory.startTrace();
  let ys: Tensor | null = null;
  let gs: Tensor[] = [];
  try {
    ys = await odeint(prob.f, prob.y0, prob.times, { ...cfg, params: prob.mlp });
    gs = await grad(ys, prob.inputs, { gradOutput: prob.gradOutput });
    await dev.sync();
  } finally {
    dev.memory.stopTrace();
    dev.dispose(ys, gs);
  }
  return {
    timeMs: trace.events.map((e) => e.timeMs),
    liveBytes: trace.events.map((e) => e.liveBytes - base),
    csv: trace.toCSV(),
    chrome: trace.toChromeTrace(`${cfg.method} ${cfg.gradient}`),
  };
}
