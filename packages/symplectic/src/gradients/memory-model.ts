/**
 * Types and shared counting of the gradient methods' memory models: each method predicts its peak (bytes
 * above what the caller holds) for one solve + backward from a few byte sizes of f measured on the device
 * (the bench measures them; see bench/lib/memory-model.ts) and the solve's shape. Tested to the byte for the
 * symplectic adjoint; within a few percent for the others.
 */
import type { Tableau } from '../tableaus.js';
import type { StageMode } from '../options.js';

/** Byte sizes of one problem's f, measured on its device. */
export interface FunctionBytes {
  /** Bytes of one state. */
  S: number;
  /** Bytes of all parameters. */
  P: number;
  /** Bytes one recorded f evaluation keeps alive (input + saved + output) while its output is held. */
  Ge: number;
  /**
   * Of Ge, the output bytes that f's own graph does not keep: freed once the solver lets go of the output
   * (the RK combinations that read it save nothing). One state for an f whose last op saves nothing of its
   * output (a linear output layer), 0 for one that saves it (e.g. a final tanh).
   */
  Go: number;
  /** Peak of one VJP of f above its inputs (y, κ). */
  Vf: number;
  /** What a backward through several f evaluations adds on top of their recorded graph. */
  Xb: number;
  elementBytes: number;
}

/** The solve a prediction is for. */
export interface SolveShape {
  tableau: Tableau;
  /** Accepted steps. */
  N: number;
  /** Output times. */
  T: number;
  /** odeint's `checkpoints` budget (most step states held at once, y0 included); absent: one per step. */
  checkpoints?: number;
  /**
   * Some output lies strictly inside an accepted step (outputs 'interpolate'): the per-step backward then
   * also needs the stages the interpolant uses. Absent: outputs at step ends only.
   */
  interpolated?: boolean;
  /** odeint's `stages` (default 'recompute'): 'keep' holds each step's stored stage derivatives too. */
  stages?: StageMode;
}

/** A predicted peak: the total, its named terms (bytes) and the formula in words. */
export interface MemoryPrediction {
  total: number;
  terms: Record<string, number>;
  formula: string;
  /** Host bytes on top (not in `total`): the (t, h) record of every step replays read, 16 bytes each. */
  hostBytes?: number;
}

/**
 * Checkpoint states a per-step method holds at its backward peak: N − 1 (y0 is the caller's) without a
 * budget; under a budget c < N, c − 1 snapshots and one working state (the state being reversed or
 * advanced from, which is not a snapshot when the sweep has run out of them).
 */
export function checkpointStates(N: number, budget: number | undefined): number {
  if (budget === undefined || budget >= N) return Math.max(0, N - 1);
  return budget;
}

/**
 * Host bytes of the (t, h) record of every accepted step (two float64 each) that a graph-free forward keeps
 * for its replays: recomputation under a checkpoint budget, and second derivatives.
 */
export function stepRecordBytes(N: number): number {
  return 16 * N;
}

/**
 * Bytes one recorded evaluation keeps in a graph once the solver has let go of its output: Ge − Go. The stage
 * combinations (`combineTerms`, one graph node each) save no tensor, so a recorded step keeps its f graphs and
 * nothing else; each combination's result is the next f's input, counted in that f's Ge.
 */
export function keptPerEval(fb: Pick<FunctionBytes, 'Ge' | 'Go'>): number {
  return fb.Ge - fb.Go;
}

/**
 * Most stage-derivative gradients the backward of one recorded step holds at once. Stages are differentiated
 * from the last down; while f's VJP at stage i runs, the gradient of every k_j (j ≤ i) that the result
 * (b_j ≠ 0) or an already differentiated stage (a_mj ≠ 0, m > i) reads is pending. The gradient probe behind
 * Xb (one combination of one evaluation) holds one, so a model adds the rest: (this − 1)·S.
 */
export function pendingStageGrads(tab: Tableau): number {
  const s = tab.b.length;
  let most = 0;
  for (let i = s - 1; i >= 0; i--) {
    let pending = 0;
    for (let j = 0; j <= i; j++) {
      let read = tab.b[j] !== 0;
      for (let m = i + 1; m < s && !read; m++) read = (tab.a[m][j] ?? 0) !== 0;
      if (read) pending++;
    }
    most = Math.max(most, pending);
  }
  return most;
}

/** f evaluations of one recorded step: all stages, but FSAL reuses the previous step's last one. */
export function evalsPerStep(tab: Tableau): number {
  return tab.fsal ? tab.b.length - 1 : tab.b.length;
}
