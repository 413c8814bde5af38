/**
 * One benchmark run's shared state: the devices (the first that starts is the primary; a float64 cpu device
 * for references), the journal, the log, and `point()`, which measures every gradient method at one
 * problem/solver point and collects the rows.
 */
import { execSync } from 'node:child_process';
import os from 'node:os';
import { createDevice, type Device } from '@sympode/tensor';
import { getTableau, type GradientMethodName } from '@sympode/symplectic';
import type { BenchMode, Grid } from './grid.js';
import { openJournal, type Journaled } from './journal.js';
import { measureRepeated, measureSolve, type SolveConfig, type SolveMeasurement } from './measure.js';
import { measureFunctionBytes, predictPeak, type Prediction } from './memory-model.js';
import { buildMlpOde, specLabel, type MlpOde, type MlpOdeSpec } from './problems.js';
import { stepsReference } from './reference.js';
import { relativeError } from './stats.js';
import type { BenchOptions, BenchResult, BenchRow, Environment } from './types.js';

/** The devices, journal, log and collected rows of one run. */
export interface Session {
  readonly grid: Grid;
  readonly devices: Device[];
  readonly primary: Device;
  /** float64 cpu: references, calibration, the spiral's truth (our cpu device when it is one). */
  readonly ref64: Device;
  readonly env: Environment;
  /** Notes for the report (shared with env.notes). */
  readonly notes: string[];
  readonly journaled: Journaled;
  say(message: string): void;
  readonly rows: BenchRow[];
  readonly functionBytes: BenchResult['functionBytes'];
  /** Gradients of the dopri5 and adjoint-sweep rows, for their errors against the ODE's own gradient. */
  readonly lastGrads: Map<BenchRow, Float64Array>;
  /** Measures every gradient method at one problem/solver point on `dev` (journaled); its rows join `rows`. */
  point(section: BenchRow['section'], dev: Device, spec: MlpOdeSpec, base: Omit<SolveConfig, 'gradient'>, gradients: readonly GradientMethodName[], repeats: number, extra?: Partial<SolveConfig>, warmup?: boolean): Promise<BenchRow[]>;
  destroy(): void;
}

function gitCommit(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().length > 0;
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

function dtypeOf(dev: Device): string {
  return `${dev.kind} ${dev.dtype}`;
}

/** Starts the run's devices (a backend that fails is noted, not fatal) and opens its journal. */
export async function openSession(options: BenchOptions, mode: BenchMode, grid: Grid, say: (m: string) => void): Promise<Session> {
  const notes: string[] = [...(options.notes ?? [])];
  const journaled = openJournal(options.journal);

  // ---- devices ----
  const devices: Device[] = [];
  for (const b of options.backends ?? ['webgpu', 'cpu']) {
    try {
      devices.push(await createDevice({ backend: b }));
    } catch (e) {
      notes.push(`our ${b} backend did not start (${e instanceof Error ? e.message : String(e)}); its rows are missing.`);
    }
  }
  if (!devices.length) throw new Error('runBench: no backend started');
  const primary = devices[0];
  const ownCpu = devices.find((d) => d.kind === 'cpu' && d.dtype === 'float64');
  const ref64 = ownCpu ?? (await createDevice({ backend: 'cpu', dtype: 'float64' }));
  const env: Environment = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version, backends: devices.map((d) => `${d.backend.description} (${d.dtype})`), tfjs: [],
    date: new Date().toISOString(), commit: gitCommit(), mode, command: options.command ?? `runBench({ mode: '${mode}' })`, seconds: 0, notes,
  };
  say(`devices: ${env.backends.join('; ')}`);

  if (grid.base.B * grid.base.W > grid.referenceLimit) {
    notes.push(`B·W = ${grid.base.B * grid.base.W} exceeds the float64 reference limit (${grid.referenceLimit}): gradient errors are not computed at these sizes.`);
  }
  const rows: BenchRow[] = [];
  const fbs: BenchResult['functionBytes'] = [];
  const refCache = new Map<string, Float64Array | null>();
  const lastGrads = new Map<BenchRow, Float64Array>();

  /**
   * The float64 backprop gradient of the same discrete solve: fixed-step methods through odeint in float64;
   * adaptive ones through exactly the accepted steps of the measured solve.
   */
  const reference = async (spec: MlpOdeSpec, cfg: Omit<SolveConfig, 'gradient'>, steps: number[] | undefined): Promise<Float64Array | null> => {
    const key = JSON.stringify([spec, cfg.method, steps ?? cfg]);
    if (refCache.has(key)) return refCache.get(key)!;
    let out: Float64Array | null = null;
    if (spec.B * spec.W <= grid.referenceLimit) {
      if (steps) {
        out = await stepsReference(ref64, spec, cfg.method, steps);
      } else {
        const p = buildMlpOde(ref64, spec);
        try {
          out = (await measureSolve(p, { ...cfg, gradient: 'backprop' })).grads;
        } finally {
          p.dispose();
        }
      }
    }
    refCache.set(key, out);
    return out;
  };

  const toRow = (section: BenchRow['section'], dev: Device, p: MlpOde, cfg: SolveConfig, m: SolveMeasurement, pred: Prediction, ref: Float64Array | null): BenchRow => {
    const { D, W, L, B, T, omega } = p.spec;
    return {
      section, backend: dev.backend.description, dtype: dtypeOf(dev), method: cfg.method, gradient: cfg.gradient,
      D, W, L, B, omega, T, stepSize: cfg.stepSize, rtol: cfg.rtol, atol: cfg.atol, adjointRtol: cfg.adjointRtol,
      steps: m.stats.acceptedSteps, rejected: m.stats.rejectedSteps, nfeForward: m.stats.nfeForward, nfeBackward: m.stats.nfeBackward,
      fwdMs: m.fwdMs, bwdMs: m.bwdMs, totalMs: m.fwdMs + m.bwdMs, peakBytes: m.peakBytes, predictedBytes: pred.total,
      modelRatio: m.peakBytes / pred.total, formula: pred.formula, terms: pred.terms, labelPeaks: m.labelPeaks,
      relError: ref ? relativeError(m.grads, ref) : NaN,
      fwdDispatches: m.fwdCounters.dispatches, fwdReadbacks: m.fwdCounters.readbacks, fwdSubmits: m.fwdCounters.submits,
      bwdDispatches: m.bwdCounters.dispatches, bwdReadbacks: m.bwdCounters.readbacks, leakedBytes: m.leakedBytes,
    };
  };

  const logRow = (row: BenchRow, suffix: string) =>
    say(`${row.section} ${row.dtype.split(' ')[0]} ${row.method} ${specLabel(row)} T=${row.T.toFixed(3)} ${row.gradient}${row.adjointRtol ? ` adjointRtol=${row.adjointRtol}` : ''}: N=${row.steps} peak ${row.peakBytes} (model ×${row.modelRatio.toFixed(4)}) ${row.fwdMs.toFixed(0)}+${row.bwdMs.toFixed(0)} ms err ${row.relError.toExponential(2)}${suffix}`);

  const point: Session['point'] = async (section, dev, spec, base, gradients, repeats, extra = {}, warmup = true) => {
    const key = JSON.stringify(['point', section, dev.kind, dev.dtype, spec, base, gradients, repeats, extra]);
    let resumed = true;
    const res = await journaled(key, async () => {
      resumed = false;
      const p = buildMlpOde(dev, spec);
      const adaptive = getTableau(base.method).adaptive;
      const out: { row: BenchRow; grads: Float64Array }[] = [];
      try {
        const fb = await measureFunctionBytes(p);
        for (const gradient of gradients) {
          const cfg: SolveConfig = { ...base, ...extra, gradient };
          const m = await measureRepeated(p, cfg, repeats, warmup);
          const pred = predictPeak({ method: cfg.method, gradient, N: m.stats.acceptedSteps, T: p.times.length }, fb);
          const ends = [p.times[0], ...m.stats.stepEndTimes];
          const stepSizes = adaptive ? ends.slice(1).map((e, i) => e - ends[i]) : undefined;
          const row = toRow(section, dev, p, cfg, m, pred, await reference(spec, base, stepSizes));
          row.stepSizes = stepSizes;
          out.push({ row, grads: m.grads });
          logRow(row, '');
        }
        return { fb, out };
      } finally {
        p.dispose();
      }
    });
    fbs.push({ backend: dev.backend.description, spec: specLabel(spec), fb: res.fb });
    for (const { row, grads } of res.out) {
      if (resumed) logRow(row, ' (from the journal)');
      if (section === 'dopri5' || section === 'adjoint-sweep') lastGrads.set(row, grads);
      rows.push(row);
    }
    return res.out.map((o) => o.row);
  };

  return {
    grid, devices, primary, ref64, env, notes, journaled, say, rows, functionBytes: fbs, lastGrads, point,
    destroy() {
      for (const d of devices) d.destroy();
      if (ref64 !== ownCpu) ref64.destroy();
    },
  };
}
