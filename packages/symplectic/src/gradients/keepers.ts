/**
 * What a graph-free forward keeps for a gradient method's backward, one keeper per kind (a method names its
 * own: `GradientMethod.keeper`). `odeint` makes the keeper before the solve, gives it every accepted step and
 * then the solution, opens it for the backward (which reads exactly what it kept: `BackwardRun.kept`) and
 * disposes it when the output's graph is released or the solve fails. A new method that keeps something new
 * adds a keeper here; one that keeps what another does names that keeper.
 */
import type { Device, Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import type { AcceptedStep } from '../integrate.js';
import { NoGraphStepper } from '../no-graph-stepper.js';
import type { Stepper } from '../stepper.js';
import type { Tableau } from '../tableaus.js';
import { BudgetedCheckpoints } from './budget-keeper.js';
import { ReplayStates } from './budget-replay.js';
import type { StepSpan } from './replay.js';
import { keptStates, type StepStates } from './step-states.js';

/** What a backward reads, by kind: the tagged union `BackwardRun.kept`. */
export type Kept =
  /** Every accepted step's start state, kept or (under a budget) recomputed: what `reverseSweep` reads. */
  | { readonly kind: 'checkpoints'; readonly states: StepStates }
  /** The forward solution [T, ...shape] (the caller may dispose its own handle). */
  | { readonly kind: 'solution'; readonly ys: Tensor }
  /** The initial state without its graph. */
  | { readonly kind: 'initial'; readonly y0: Tensor }
  /** A reversible solver's final state y_N and its auxiliary state ŷ_N. */
  | { readonly kind: 'final'; readonly y: Tensor; readonly aux: Tensor };

/** The kinds of {@link Kept}. */
export type KeptKind = Kept['kind'];

/** What a keeper is made from, per solve. */
export interface KeeperContext {
  device: Device;
  /** The caller's initial state (never disposed, never relabelled). */
  y0: Tensor;
  tableau: Tableau;
  /** @internal The graph-free stepper of the forward solve (stored stages, a reversible solver's ŷ_N). */
  stepper: Stepper;
  /** odeint's `checkpoints` budget (most states held at once), if any. */
  budget?: number;
  /** The fixed step count when known beforehand (fixed steps), else null. */
  fixedSteps: number | null;
  /** Leading stage derivatives each kept step also stores (odeint's `stages: 'keep'`; 0: none). */
  stageRows: number;
  /** (t, h) of every accepted step, filled by odeint before each `accept`. */
  steps: readonly StepSpan[];
}

/** One solve's keeping: made before the forward, opened by the backward, disposed on release or failure. */
export interface ForwardKeep {
  /** The integration loop's `onAccept`: true when it took `step.y` (the loop then leaves it alone). */
  accept(step: AcceptedStep): boolean;
  /** Inside the forward's tidy, once the solve succeeded: takes what it needs from the solution. */
  finish(ys: Tensor): void;
  /** Whether it holds tensors (odeint attaches a release only then). */
  readonly holds: boolean;
  /** What the backward reads; `field` is the backward's (a budget recomputes states on it). */
  open(field: Field): Kept;
  /** Ends a backward that opened it (frees recomputed states); the steps and evaluations it recomputed. */
  close(): { recomputedSteps: number; recomputedNfe: number };
  /** Frees everything it kept. */
  dispose(): void;
}

/** Makes a method's keeping for one solve. */
export type Keeper = (ctx: KeeperContext) => ForwardKeep;

const nothingRecomputed = () => ({ recomputedSteps: 0, recomputedNfe: 0 });

/** One state per accepted step (every one, or under `budget` some, the rest recomputed in backward). */
export const keepCheckpoints: Keeper = (ctx) => {
  const { device: dev, y0 } = ctx;
  const checkpoints: AcceptedStep[] = [];
  const budget = ctx.budget !== undefined ? new BudgetedCheckpoints(dev, ctx.budget, ctx.fixedSteps, ctx.steps) : null;
  let states: StepStates | null = null;
  return {
    accept(step) {
      if (budget) return budget.accept(step, y0);
      // y0 is the caller's: share it; later states become checkpoints.
      const y = step.y === y0 ? y0.detach() : step.y;
      if (step.y !== y0) dev.memory.relabel(y, 'checkpoints');
      // Kept: a tidy enclosing odeint must not free them before backward (dispose frees them).
      const stages = ctx.stageRows > 0 ? dev.keep((ctx.stepper as NoGraphStepper).storeStages(ctx.stageRows)) : undefined;
      checkpoints.push({ ...step, y: dev.keep(y), stages });
      return true;
    },
    finish() {},
    get holds() {
      return checkpoints.length > 0 || budget !== null;
    },
    open(field) {
      states = budget ? new ReplayStates(budget, field, ctx.tableau) : keptStates(checkpoints);
      return { kind: 'checkpoints', states };
    },
    close() {
      const s = states;
      states = null;
      s?.close();
      return s ? { recomputedSteps: s.recomputedSteps, recomputedNfe: s.recomputedNfe } : nothingRecomputed();
    },
    dispose() {
      dev.dispose(checkpoints.flatMap((c) => [c.y, c.stages ?? null]));
      budget?.dispose();
    },
  };
};

/** One held tensor taken at the end of the forward (the solution, or y0 without its graph). */
function keepOne(ctx: KeeperContext, take: (ys: Tensor) => Tensor, kept: (x: Tensor) => Kept): ForwardKeep {
  let held: Tensor | null = null;
  return {
    accept: () => false,
    finish(ys) {
      held = ctx.device.keep(take(ys));
    },
    get holds() {
      return held !== null;
    },
    open: () => kept(held!),
    close: nothingRecomputed,
    dispose() {
      held?.dispose();
      held = null;
    },
  };
}

/** The forward solution (the continuous adjoint reads it backward): our own handle, so the caller may drop theirs. */
export const keepSolution: Keeper = (ctx) => keepOne(ctx, (ys) => ys.detach(), (ys) => ({ kind: 'solution', ys }));

/** y0 without its graph (shared storage: no bytes); recompute retakes the solve from it. */
export const keepInitial: Keeper = (ctx) => keepOne(ctx, () => ctx.y0.detach(), (y0) => ({ kind: 'initial', y0 }));

/** A reversible solver's final (y_N and its auxiliary state: reversible Heun's ŷ_N, reversible RK's z_N): all its backward needs, whatever N. */
export const keepFinal: Keeper = (ctx) => {
  const dev = ctx.device;
  let fin: { y: Tensor; aux: Tensor } | null = null;
  return {
    accept: () => false,
    finish(ys) {
      const stepper = ctx.stepper as Stepper & { takeAux?: () => Tensor };
      if (typeof stepper.takeAux !== 'function') throw new Error('internal: keepFinal needs a reversible stepper');
      const aux = dev.keep(stepper.takeAux());
      dev.memory.relabel(aux, 'checkpoints');
      // y_N: a copy of the last output.
      const y = dev.keep(dev.memory.scope('checkpoints', () => ys.narrow(0, ys.shape[0] - 1, 1).reshape(ctx.y0.shape)));
      fin = { y, aux };
    },
    get holds() {
      return fin !== null;
    },
    open() {
      if (!fin) throw new Error('internal: the reversible backward got no final state');
      return { kind: 'final', ...fin };
    },
    close: nothingRecomputed,
    dispose() {
      if (fin) dev.dispose(fin.y, fin.aux);
      fin = null;
    },
  };
};

/** Nothing: a forward that no backward will read (backprop's solve under noGrad, which records nothing). */
export const keepNothing: Keeper = () => ({
  accept: () => false,
  finish() {},
  holds: false,
  open() {
    throw new Error('internal: a backward opened a forward that kept nothing');
  },
  close: nothingRecomputed,
  dispose() {},
});

/** The kept data of kind `kind` (a method reads only its own keeper's; anything else is a bug). */
export function keptAs<K extends KeptKind>(kept: Kept, kind: K): Extract<Kept, { kind: K }> {
  if (kept.kind !== kind) throw new Error(`internal: a backward expecting '${kind}' got '${kept.kind}'`);
  return kept as Extract<Kept, { kind: K }>;
}
