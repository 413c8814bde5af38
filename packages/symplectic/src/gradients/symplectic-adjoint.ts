/**
 * The symplectic adjoint (Matsubara et al. 2021; docs/DESIGN.md). Backward over one accepted step (t, h, y_n)
 * given λ = ∂L/∂y_{n+1}:
 *   1. recompute the stage states the step's VJPs need from the checkpoint, without a graph (`stagePlan`;
 *      under odeint's `stages: 'keep'` from the stage derivatives the forward stored, without evaluating f);
 *   2. for i = s−1..0: κ_i = h(b_i λ + Σ_{j>i} a_ji ν_j); one VJP of f at Y_i gives ν_i = f_yᵀκ_i and adds
 *      f_θᵀκ_i to the parameter gradient; its graph is freed before the next stage;
 *   3. λ_n = λ + Σ_i ν_i.
 * Stages whose κ is identically zero (b_i = 0 and no non-skipped later stage uses k_i) are skipped, so tableaus
 * with b_i = 0 (dopri5's FSAL stage) need no special form and single-stage ones (euler) just work.
 * The result equals backprop through the same discrete solve to rounding. Memory O(N + s + L).
 */
import { combineRows, noGrad, writeRow, type Tensor } from '@sympode/tensor';
import { vjp } from './vjp.js';
import type { Field } from '../field.js';
import type { AcceptedStep } from '../integrate.js';
import { evaluatedRows, NoGraphStepper, recomputeStages, stagePlan, type StagePlan } from '../no-graph-stepper.js';
import type { Tableau } from '../tableaus.js';
import type { GradientAccumulator } from './accumulator.js';
import type { GradientMethod } from './method.js';
import { reverseSweep } from './reverse-sweep.js';
import { ReplayStates } from './budget-replay.js';
import { checkpointStates, stepRecordBytes } from './memory-model.js';
import type { DenseCotangent } from './placement.js';
import { keepCheckpoints, keptAs } from './keepers.js';

/**
 * skip[i]: κ_i ≡ 0 for every λ (decided from the tableau, not the data); `dense`: the stage weights of the
 * outputs interpolated inside the step, which use their stages too.
 */
export function skippedStages(tab: Tableau, dense: readonly (readonly number[])[] = []): boolean[] {
  const s = tab.b.length;
  const skip = new Array<boolean>(s).fill(false);
  for (let i = s - 1; i >= 0; i--) {
    let used = tab.b[i] !== 0 || dense.some((w) => w[i] !== 0);
    for (let j = i + 1; j < s && !used; j++) used = !skip[j] && (tab.a[j][i] ?? 0) !== 0;
    skip[i] = !used;
  }
  return skip;
}

/** The per-backward buffers: the stage stepper, V (rows 0..s−1: ν_i; row s: λ) and a zero state. */
class Sweep {
  readonly stepper: NoGraphStepper;
  readonly skip: boolean[];
  /** The recomputation of a step without outputs inside it (decided once, from the tableau). */
  readonly plan: StagePlan;
  readonly V: Tensor;
  readonly zero: Tensor;

  constructor(field: Field, readonly tableau: Tableau, readonly acc: GradientAccumulator) {
    const dev = field.device;
    this.stepper = new NoGraphStepper(field, tableau);
    this.skip = skippedStages(tableau);
    this.plan = stagePlan(tableau, this.skip.map((sk) => !sk));
    const s = tableau.b.length;
    this.V = dev.memory.scope('adjoint', () => dev.zeros([s + 1, ...field.shape]));
    this.zero = dev.memory.scope('adjoint', () => dev.zeros(field.shape));
  }

  /**
   * λ_n from λ_{n+1} over one step (λ is consumed). Outputs interpolated inside the step add
   * h Σ_o w_i(θ_o) g_o to κ_i and Σ_o g_o to λ_n.
   */
  async step({ t, h, y, stages: known }: AcceptedStep, lambda: Tensor, dense: DenseCotangent | null): Promise<Tensor> {
    const { tableau: tab, V, stepper } = this;
    const skip = dense ? skippedStages(tab, dense.weights) : this.skip;
    const plan = dense ? stagePlan(tab, skip.map((sk) => !sk)) : this.plan;
    const dev = stepper.field.device;
    const s = tab.b.length;
    const stages = await stepper.field.device.memory.phase('recompute stages', () => noGrad(() => recomputeStages(stepper, t, y, h, plan, known)));
    try {
      noGrad(() => writeRow(V, s, lambda));
      for (let i = s - 1; i >= 0; i--) {
        if (skip[i]) continue;
        const coeffs = new Array<number>(s + 1).fill(0);
        coeffs[s] = tab.b[i];
        for (let j = i + 1; j < s; j++) if (!skip[j]) coeffs[j] = tab.a[j][i];
        let kappa = dev.memory.scope('adjoint', () => noGrad(() => combineRows(this.zero, V, coeffs, h)));
        const wi = dense?.weights.map((w) => w[i]);
        if (dense && wi!.some((v) => v !== 0)) {
          const k2 = dev.memory.scope('adjoint', () => noGrad(() => combineRows(kappa, dense.g, wi!, h)));
          kappa.dispose();
          kappa = k2;
        }
        try {
          const nu = await stepper.field.device.memory.phase(`vjp stage ${i}`, () => vjp(stepper.field, t + tab.c[i] * h, stages[i]!, kappa, this.acc));
          noGrad(() => writeRow(V, i, nu));
          nu.dispose();
        } finally {
          kappa.dispose();
        }
      }
      const ones = skip.map((sk) => (sk ? 0 : 1)).concat([0]);
      let next = dev.memory.scope('adjoint', () => noGrad(() => combineRows(lambda, V, ones, 1)));
      lambda.dispose();
      if (dense) {
        const n2 = dev.memory.scope('adjoint', () => noGrad(() => combineRows(next, dense.g, dense.weights.map(() => 1), 1)));
        next.dispose();
        next = n2;
      }
      return next;
    } finally {
      for (const st of stages.slice(1)) st?.dispose();
    }
  }

  dispose(): void {
    this.stepper.dispose();
    this.V.dispose();
    this.zero.dispose();
  }
}

/** Stage derivatives a step's backward would evaluate without interior outputs: what `stages: 'keep'` stores. */
function storedStageRows(tableau: Tableau): number {
  return evaluatedRows(stagePlan(tableau, skippedStages(tableau).map((sk) => !sk)));
}

export const symplecticAdjoint: GradientMethod = {
  name: 'symplectic-adjoint',
  description: 'exact (backprop’s gradient to rounding) at O(N + s + L) memory: checkpoints + one VJP of f at a time',
  recordsGraph: false,
  keeper: keepCheckpoints,
  secondOrder: true,
  supportsBudget: true,
  storedStageRows,
  async backward(run) {
    const sweep = new Sweep(run.field, run.tableau, run.acc);
    try {
      // Under a budget, recomputation shares the sweep's stage buffer.
      const { states } = keptAs(run.kept, 'checkpoints');
      if (states instanceof ReplayStates) states.useStepper(sweep.stepper);
      return await reverseSweep(run, (step, lambda, dense) => sweep.step(step, lambda, dense));
    } finally {
      sweep.dispose();
    }
  },
  memoryModel({ tableau, N, T, checkpoints: c, interpolated, stages }, { S, P, Vf }) {
    const s = tableau.b.length;
    const out = T * S;
    // N − 1 checkpoints, or under a budget c − 1 snapshots + the working state (the sweep's stage buffer is shared).
    const ckpt = checkpointStates(N, c) * S;
    // stages 'keep': every step's first m stage derivatives, held until the backward ends.
    const m = stages === 'keep' ? storedStageRows(tableau) : 0;
    const kept = N * m * S;
    // Recomputed stage states r: those the VJPs need and their inputs (s − 1 but for skipped last stages,
    // e.g. dopri5's FSAL stage; an interpolant inside the step uses them all).
    const need = interpolated ? new Array<boolean>(s).fill(true) : skippedStages(tableau).map((sk) => !sk);
    const r = stagePlan(tableau, need).state.filter(Boolean).length - 1;
    // Backward holds: K [s, n] (stage derivatives), the r recomputed stage states, V [s+1, n] (ν's and λ),
    // a zero state, λ, κ (3 states), the parameter-gradient sums (P), and one VJP of f at a time (Vf).
    const buffers = (s + r + (s + 1) + 3) * S;
    const stagesTerm = `(2s+4+r)·S (r = ${r})`;
    return {
      total: ckpt + kept + out + buffers + P + Vf,
      terms: { checkpoints: ckpt, ...(m ? { storedStages: kept } : {}), outputs: out, stageAndAdjointBuffers: buffers, gradientSums: P, oneVjp: Vf },
      formula: `${c === undefined ? '(N−1)·S' : 'min(c, N−1)·S'}${m ? ` + N·m·S (m = ${m})` : ''} + T·S + ${stagesTerm} + P + Vf`,
      hostBytes: stepRecordBytes(N),
    };
  },
};
