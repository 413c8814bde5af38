/**
 * Types and shared counting of the gradient methods' memory models: each method predicts its peak (bytes
 * above what the caller holds) for one solve + backward from a few byte sizes of f measured on the device
 * (the bench measures them; see bench/lib/memory-model.ts) and the solve's shape. Tested to the byte for the
 * symplectic adjoint; within a few percent for the others.
 */
import type { Tableau } from '../tableaus.js';

/** Byte sizes of one problem's f, measured on its device. */
export interface FunctionBytes {
  /** Bytes of one state. */
  S: number;
  /** Bytes of all parameters. */
  P: number;
  /** Bytes one recorded f evaluation keeps alive (input + saved + output). */
  Ge: number;
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

/** Number of nonzero coefficients in a row. */
function nnz(row: readonly number[]): number {
  return row.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
}

/**
 * States one recorded RK step keeps for its stage combinations, beyond the f graphs: every combination
 * y + Σ_j (h·a_j)·k_j is built from scalar multiplies (each term kept by the add that consumes it) and adds
 * (each partial sum kept by the next add); the final sum is f's input, counted in Ge.
 */
export function combinationStates(tab: Tableau): number {
  let n = 0;
  const s = tab.b.length;
  for (let i = 1; i < s; i++) n += Math.max(0, 2 * nnz(tab.a[i]) - 1);
  if (!tab.fsal) n += Math.max(0, 2 * nnz(tab.b) - 1);
  return n;
}

/** f evaluations of one recorded step: all stages, but FSAL reuses the previous step's last one. */
export function evalsPerStep(tab: Tableau): number {
  return tab.fsal ? tab.b.length - 1 : tab.b.length;
}
