/** What a benchmark run takes (BenchOptions) and returns (BenchResult, one row type per section). */
import type { GradientMethodName, TableauName } from '@sympode/symplectic';
import type { BenchMode, Grid } from './grid.js';
import type { FunctionBytes } from './memory-model.js';
import type { MlpOdeSpec } from './problems.js';
import type { SpiralRow } from './spiral-bench.js';
import type { TfjsBackend } from './tfjs-peer.js';
import type { BackendName } from '@sympode/tensor';

/** How `runBench` runs: mode, backends and peers, where the outputs go, the journal. */
export interface BenchOptions {
  mode?: BenchMode;
  /** Our backends (default webgpu and cpu). The first one that starts is the primary. */
  backends?: BackendName[];
  /** tfjs peers (default webgpu and cpu; [] for none). */
  tfjs?: TfjsBackend[];
  /** Folder for CSV, charts and traces. */
  outDir: string;
  /** Where the Markdown goes (default `<outDir>/RESULTS.md`). */
  resultsPath?: string;
  /** Folder the key charts are copied into (null: none). */
  figuresDir?: string | null;
  /** Time the main job's spiral model (`@sympode/cli/spiral`); default false. */
  spiral?: boolean;
  /** Draw the charts (`@sympode/plot`) and record the memory timelines; default false. */
  plots?: boolean;
  /** Peak GFLOP/s of the device, for the matmul section's percentages. */
  peakGflops?: number;
  /** Overrides of the mode's grid. */
  grid?: Partial<Grid>;
  log?: (message: string) => void;
  /** The command line, for the report. */
  command?: string;
  /**
   * A JSON file recording every finished measurement: a run that died (Dawn on lavapipe crashes natively now
   * and then) is restarted with the same journal and resumes where it stopped. Omitted: no journal.
   */
  journal?: string;
  /** Extra notes for the report (e.g. the runner's record of restarts). */
  notes?: string[];
  /** Wall-clock start (Date.now()) of the whole run when it spans several processes; for the reported duration. */
  startedAt?: number;
}

/** One measured point: a gradient method at one problem, tableau and size on one backend. */
export interface BenchRow {
  section: 'N-sweep' | 'L-sweep' | 'dopri5' | 'adjoint-sweep' | 'tableaus';
  backend: string;
  dtype: string;
  method: TableauName;
  gradient: GradientMethodName;
  D: number; W: number; L: number; B: number;
  /** Rotation added to the field (adaptive sections), 0 otherwise. */
  omega: number;
  T: number;
  stepSize?: number;
  rtol?: number;
  atol?: number;
  adjointRtol?: number;
  steps: number;
  rejected: number;
  nfeForward: number;
  nfeBackward: number;
  fwdMs: number;
  bwdMs: number;
  totalMs: number;
  peakBytes: number;
  predictedBytes: number;
  /** measured / predicted. */
  modelRatio: number;
  formula: string;
  terms: Record<string, number>;
  labelPeaks: Record<string, number>;
  /**
   * Relative L2 error of (∂L/∂y0, ∂L/∂θ) against the float64 backprop gradient of the same discrete solve
   * (fixed steps: odeint's backprop in float64; adaptive: backprop through exactly this row's accepted steps).
   */
  relError: number;
  /**
   * dopri5 and adjoint-sweep sections: relative error against the ODE's own (continuous) gradient, computed in
   * float64 with dopri8 at rtol 1e-10 (what a tolerance buys: the discrete-exact methods carry the forward
   * solve's discretization error, the continuous adjoint both solves' errors).
   */
  trueError?: number;
  fwdDispatches: number;
  fwdReadbacks: number;
  fwdSubmits: number;
  bwdDispatches: number;
  bwdReadbacks: number;
  leakedBytes: number;
  /** Step sizes of the forward solve (adaptive methods). */
  stepSizes?: number[];
}

/** A least-squares slope of the peak against N or L, measured and predicted. */
export interface SlopeRow {
  backend: string;
  gradient: GradientMethodName;
  variable: 'N' | 'L';
  /** Least-squares slope of the measured peak (bytes per step or per layer). */
  measured: number;
  predicted: number;
  r2: number;
}

/** A tfjs peer at the dopri5 point, with our rows for the ratios. */
export interface PeerRow {
  peer: string;
  /** Accepted steps of the compared solve (fewer than the dopri5 point's when the full run failed). */
  steps: number;
  note?: string;
  /** Median ms per iteration (forward + backward). */
  iterMs: number;
  fwdMs: number;
  peakBytes: number;
  relError: number;
  leakedTensors: number;
  /** Our symplectic-adjoint row and backprop row on the primary backend, for the ratios. */
  oursSymplecticMs: number;
  oursSymplecticPeak: number;
  oursBackpropMs: number;
  oursBackpropPeak: number;
  error?: string;
}

/** Backend work of a dopri5 solve: dispatches per stage and readbacks per step. */
export interface DispatchRow {
  backend: string;
  /** Dispatches of one f evaluation on its own. */
  fDispatches: number;
  /** Whole forward solve: per stage beyond f's own ops, and readbacks per step (setup included). */
  amortizedDispatchesPerStage: number;
  amortizedReadbacksPerStep: number;
  /** Marginal cost of one more step (difference of two solves: setup excluded). */
  marginalDispatchesPerStage: number;
  marginalReadbacksPerStep: number;
  submitsPerStep: number;
  /** Backward of the symplectic adjoint: dispatches per backward evaluation (recompute or VJP). */
  bwdDispatchesPerEval: number;
  steps: number;
}

/** Our matmul kernel's throughput at one shape ('gpu' mode). */
export interface MatmulRow {
  m: number; k: number; n: number;
  ms: number;
  gflops: number;
  percentOfPeak?: number;
}

/** One goal of the report, its measured value and verdict. */
export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean | null;
  note: string;
}

/** The machine, backends, peers, commit and command of a run. */
export interface Environment {
  cpu: string;
  cores: number;
  memory: string;
  node: string;
  backends: string[];
  tfjs: string[];
  date: string;
  commit: string;
  mode: BenchMode;
  command: string;
  seconds: number;
  notes: string[];
}

/** Everything a run measured, the Markdown report and the files written. */
export interface BenchResult {
  env: Environment;
  grid: Grid;
  rows: BenchRow[];
  slopes: SlopeRow[];
  peers: PeerRow[];
  dispatch: DispatchRow[];
  spiral: SpiralRow[];
  matmul: MatmulRow[];
  targets: Target[];
  functionBytes: { backend: string; spec: string; fb: FunctionBytes }[];
  dopri5: { T: number; spec: MlpOdeSpec };
  markdown: string;
  files: string[];
}
