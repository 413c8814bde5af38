/**
 * The solver's fast path: steps without a graph. Stage derivatives k_i live in one [s, ...shape] buffer; each
 * stage state Y_i = y + h Σ_j a_ij k_j is one fused `combineRows` and each k_i one `writeRow`, so a stage
 * costs f's own dispatches + 2, and the error ratio one more per step (one readback). `recomputeStages` is
 * the symplectic adjoint's recomputation of a step's stage states from its checkpoint.
 */
import { combineRows, errorRatio, errorRatioPerSample, noGrad, writeRow, writeRows, type Tensor } from '@sympode/tensor';
import type { Field } from './field.js';
import type { ErrorNorm, Outputs, Stepper } from './stepper.js';
import type { Tableau } from './tableaus.js';

export class NoGraphStepper implements Stepper {
  readonly s: number;
  /** Stage derivatives, row i = k_i (label 'stages'). */
  readonly K: Tensor;
  /** Row 0 of K holds f(t, y) of the coming step (FSAL reuse, or a retried step). */
  private k0Ready = false;
  /** FSAL: the last stage's f of the step just attempted. */
  private lastK: Tensor | null = null;

  constructor(readonly field: Field, readonly tableau: Tableau) {
    this.s = tableau.b.length;
    const dev = field.device;
    this.K = dev.memory.scope('stages', () => dev.zeros([this.s, ...field.shape]));
  }

  /** y + h Σ_j coeffs[j] K_j under `label`. */
  combine(y: Tensor, coeffs: readonly number[], h: number, label = 'stages'): Tensor {
    const dev = this.field.device;
    return dev.memory.scope(label, () => noGrad(() => combineRows(y, this.K, coeffs, h)));
  }

  async start(t: number, y0: Tensor): Promise<Tensor> {
    const f0 = await this.field.eval(t, y0);
    noGrad(() => writeRow(this.K, 0, f0));
    this.k0Ready = true;
    return f0;
  }

  async attempt(t: number, y: Tensor, h: number): Promise<Tensor> {
    const { tableau, s, K } = this;
    let y1: Tensor | null = null;
    for (let i = 0; i < s; i++) {
      if (i === 0 && this.k0Ready) continue;
      const Yi = i === 0 ? y : this.combine(y, tableau.a[i], h);
      const k = await this.field.eval(t + tableau.c[i] * h, Yi);
      noGrad(() => writeRow(K, i, k));
      const last = i === s - 1;
      if (tableau.fsal && last) this.setLastK(k);
      k.dispose(); // the Field's own handle, never Yi or y
      if (i === 0) continue;
      if (tableau.fsal && last) y1 = Yi;
      else Yi.dispose();
    }
    // For FSAL tableaus y1 is exactly the last stage state, as torchdiffeq has it.
    return y1 ?? this.combine(y, tableau.b, h);
  }

  async errorRatio(y: Tensor, y1: Tensor, h: number, rtol: number, atol: number, norm: ErrorNorm = 'batch', prefix?: number): Promise<number> {
    const ratio = norm === 'per-sample' ? errorRatioPerSample : errorRatio;
    const r = noGrad(() => {
      if (prefix === undefined || prefix === y.size) return ratio(y, y1, this.K, this.tableau.e!, h, rtol, atol);
      // The seminorm: the error of the leading `prefix` elements of a flat state only (integrate checked it:
      // batch norm, 1 ≤ prefix ≤ size). The kernel reads whole tensors, so the heads are copied (freed here).
      const dev = y.device;
      return dev.tidy(() => {
        const head = (x: Tensor) => x.reshape([x.size]).narrow(0, 0, prefix);
        const K = this.K.reshape([this.K.shape[0]!, y.size]).narrow(1, 0, prefix);
        return errorRatio(head(y), head(y1), K, this.tableau.e!, h, rtol, atol);
      });
    });
    const v = await r.item();
    r.dispose();
    return v;
  }

  dense(y: Tensor, h: number, weights: readonly number[]): Tensor {
    return this.combine(y, weights, h);
  }

  /**
   * A copy of the attempted step's stage derivatives k_0 … k_{m−1} (label 'checkpoints'): call after the step
   * is accepted and before `accept` (which recycles row 0).
   */
  storeStages(m: number): Tensor {
    const dev = this.field.device;
    return dev.memory.scope('checkpoints', () => noGrad(() => this.K.narrow(0, 0, m)));
  }

  accept(): void {
    if (this.tableau.fsal) {
      // From the last stage's own buffer: no same-buffer copy (a snapshot on WebGPU).
      noGrad(() => writeRow(this.K, 0, this.lastK!));
      this.dropLastK();
    }
    this.k0Ready = this.tableau.fsal;
  }

  reject(): void {
    this.dropLastK();
    this.k0Ready = true;
  }

  /** Forgets row 0 of K: the next attempt evaluates f(t, y) afresh (a replay from another state). */
  reset(): void {
    this.dropLastK();
    this.k0Ready = false;
  }

  outputs(count: number): Outputs {
    const ys = this.field.device.empty([count, ...this.field.shape]);
    return {
      add: (k, y) => {
        noGrad(() => writeRow(ys, k, y));
        return false;
      },
      finish: () => ys,
      dispose: () => ys.dispose(),
    };
  }

  private setLastK(k: Tensor): void {
    this.dropLastK();
    this.lastK = k.detach();
  }

  private dropLastK(): void {
    this.lastK?.dispose();
    this.lastK = null;
  }

  dispose(): void {
    this.dropLastK();
    this.K.dispose();
  }
}

/** What recomputing a step's stages builds (`state[i]`: Y_i) and evaluates (`evaluate[i]`: k_i = f(Y_i)). */
export interface StagePlan {
  readonly state: readonly boolean[];
  readonly evaluate: readonly boolean[];
}

/**
 * Which stage states a step's backward needs (`need[i]`: its VJP runs) and what recomputing them takes:
 * `state[i]` — Y_i is built (needed itself, or as the input of a needed k_i); `evaluate[i]` — k_i = f(Y_i)
 * is evaluated because some needed later stage uses it. For dopri5 without dense outputs the FSAL stage is
 * skipped, so k_5 (used only by it) is never evaluated: 5 evaluations instead of 6.
 */
export function stagePlan(tableau: Tableau, need: readonly boolean[]): StagePlan {
  const s = tableau.b.length;
  const evaluate = Array.from({ length: s }, (_, j) => {
    for (let i = j + 1; i < s; i++) if (need[i] && (tableau.a[i][j] ?? 0) !== 0) return true;
    return false;
  });
  const state = Array.from({ length: s }, (_, i) => need[i] || evaluate[i]);
  return { state, evaluate };
}

/** Stage derivatives a step's recomputation under `plan` evaluates: k_0 … k_{m−1}, m = the last one + 1. */
export function evaluatedRows(plan: StagePlan): number {
  return plan.evaluate.lastIndexOf(true) + 1;
}

/**
 * The stage states of the step from (t, y) of size h that `plan` builds (see `stagePlan`), recomputed
 * without a graph: entry i is Y_i or null where not built (Y_0 is y itself; the caller owns the others).
 * `known`: the step's stage derivatives k_0 … k_{m−1} stored by the forward; only later ones are evaluated.
 */
export async function recomputeStages(stepper: NoGraphStepper, t: number, y: Tensor, h: number, plan: StagePlan, known?: Tensor): Promise<(Tensor | null)[]> {
  const { tableau, s, K } = stepper;
  const m = known ? known.shape[0] : 0;
  if (known) noGrad(() => writeRows(K, 0, known));
  const stages: (Tensor | null)[] = [];
  for (let i = 0; i < s; i++) {
    const Yi = !plan.state[i] ? null : i === 0 ? y : stepper.combine(y, tableau.a[i], h);
    stages.push(Yi);
    if (!plan.evaluate[i] || i < m) continue;
    const k = await stepper.field.eval(t + tableau.c[i] * h, Yi!);
    noGrad(() => writeRow(K, i, k));
    k.dispose(); // the Field's own handle, never Yi or y
  }
  return stages;
}
