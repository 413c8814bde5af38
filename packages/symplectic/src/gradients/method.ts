/**
 * The one interface of a gradient method. `odeint` resolves its options, looks the method up in the
 * registry (registry.ts) and runs it: a method that records the forward graph (backprop) is differentiated
 * by the tensor library itself; every other one names the keeper of what its backward needs from a
 * graph-free forward (`keeper`, keepers.ts) and computes the gradients in `backward` from exactly that
 * (`run.kept`), attached as one custom op. A new method is one file implementing this and one registry line.
 */
import type { Tensor } from '@sympode/tensor';
import type { IntegrateOptions, IntegrateStats } from '../integrate.js';
import type { StepSpan } from './replay.js';
import type { EvalCounter, Field } from '../field.js';
import type { Tableau } from '../tableaus.js';
import type { GradientAccumulator } from './accumulator.js';
import type { FunctionBytes, MemoryPrediction, SolveShape } from './memory-model.js';
import type { Kept, Keeper } from './keepers.js';
import type { AdjointNorm } from '../options.js';
import type { AbortSignalLike, OnStep } from '../progress.js';

/** What a backward pass gets. */
export interface BackwardRun {
  /** f (in the solver's time, increasing), counting into the backward's counter. */
  field: Field;
  tableau: Tableau;
  /** Output times in the solver's time (increasing). */
  times: readonly number[];
  /** What the method's keeper kept, opened for this backward (its kind is the keeper's; `keptAs` narrows it). */
  kept: Kept;
  /** Start time and size of every accepted step, in order (numbers only; every graph-free method gets them). */
  steps: readonly StepSpan[];
  /** ∂L/∂ys, [T, ...shape]. */
  g: Tensor;
  /** Parameter gradients are added here. */
  acc: GradientAccumulator;
  /** Options of a backward solve (the continuous adjoint's tolerances). */
  solve: IntegrateOptions;
  /** odeint's `adjointNorm` ('seminorm' only for a method with `supportsSeminorm`). */
  adjointNorm: AdjointNorm;
  /** Check the adjoint for NaN/∞ (odeint's `checkBackward`). */
  checkFinite: boolean;
  /** Direction of the user's time (s = dir·t), for messages. */
  dir: 1 | -1;
  /** Counters of a backward solve (the continuous adjoint's steps). */
  stats: IntegrateStats;
  counter: EvalCounter;
  /** odeint's `signal`: a backward checks it between steps (`backwardStep` does, with `onStep`). */
  signal?: AbortSignalLike;
  /** odeint's `onStep`, told of every backward step. */
  onStep?: OnStep;
}

/** A gradient method of `odeint` (see the module comment; registry.ts lists the built-in ones). */
export interface GradientMethod {
  /** The name `odeint`'s `gradient` option takes. */
  readonly name: string;
  /** One line for docs and reports. */
  readonly description: string;
  /** The forward records its graph (backprop through the solver); `keeper` and `backward` are then unused. */
  readonly recordsGraph: boolean;
  /**
   * What the graph-free forward keeps for backward (besides the accepted steps' t and h, which every method
   * gets): `keepCheckpoints` (one state per accepted step), `keepSolution` (the solution at the output times),
   * `keepInitial` (y0), `keepFinal` (a reversible solver's final states), or one of its own (keepers.ts).
   * Required unless `recordsGraph`.
   */
  readonly keeper?: Keeper;
  /** Needs a reversible solver (`method: 'reversible_heun'`), and only such a solver's steps. */
  readonly reversible?: boolean;
  /**
   * Supports a second backward (`grad(..., { createGraph: true })`): for the per-step methods by replaying the
   * accepted steps with a graph (gradients/replay.ts). Otherwise such a call throws HigherOrderGradientError.
   */
  readonly secondOrder: boolean;
  /**
   * Honours odeint's `checkpoints` budget: its backward reads the step states from `run.states` (as
   * `reverseSweep` does), so the forward may keep only some of them. Absent: the option is refused.
   */
  readonly supportsBudget?: boolean;
  /**
   * Honours odeint's `stages: 'keep'`: how many leading stage derivatives k_0 … k_{m−1} of each accepted step
   * its backward reuses; the forward then stores them with the step (`AcceptedStep.stages`). Absent: the
   * option is refused.
   */
  storedStageRows?(tableau: Tableau): number;
  /**
   * Honours odeint's `adjointNorm: 'seminorm'`: its backward is an adaptive solve of an augmented state whose
   * trailing channels are a plain integral, left out of the error norm when `run.adjointNorm` says so.
   * Absent: the option is refused.
   */
  readonly supportsSeminorm?: boolean;
  /** ∂L/∂y0 from ∂L/∂ys; parameter gradients go into `run.acc`. Frees what it made, also when it fails. */
  backward(run: BackwardRun): Promise<Tensor>;
  /** Predicted peak bytes above what the caller holds, for one solve + backward. */
  memoryModel(shape: SolveShape, bytes: FunctionBytes): MemoryPrediction;
}
