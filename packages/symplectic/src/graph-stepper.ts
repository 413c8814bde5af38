/**
 * Steps with a recorded graph (backprop through the solver, and the per-step replays): the same arithmetic
 * as the no-graph stepper written with differentiable tensor ops, step sizes held constant.
 */
import { combineTerms, InvalidArgumentError, noGrad, stack, writeRow, errorRatio, errorRatioPerSample, type Tensor } from '@sympode/tensor';
import type { Field } from './field.js';
import type { ErrorNorm, Outputs, Stepper } from './stepper.js';
import type { Tableau } from './tableaus.js';

/**
 * y + h·Σ_j coeffs[j]·ks[j] as one differentiable op (`combineTerms`: one kernel, one graph node that saves
 * nothing; zero coefficients skipped), with the no-graph stepper's `combineRows` arithmetic, so a recorded
 * step computes the same floats as a graph-free one.
 */
export function combineGraph(y: Tensor, ks: readonly Tensor[], coeffs: readonly number[], h: number): Tensor {
  return combineTerms(y, ks, coeffs, h);
}

/**
 * One step with a recorded graph: y1 and the stage derivatives (k0 reused when given, for FSAL). With
 * `lastStage` false an FSAL tableau's last f evaluation is skipped (y1 is that stage's state; its f only
 * serves the error estimate and the next step): `ks` then has s − 1 entries. The caller owns everything returned.
 */
export async function stepWithGraph(field: Field, tableau: Tableau, t: number, y: Tensor, h: number, k0?: Tensor, lastStage = true): Promise<{ y1: Tensor; ks: Tensor[] }> {
  const dev = field.device;
  const s = tableau.b.length;
  const ks: Tensor[] = [];
  let y1: Tensor | null = null;
  for (let i = 0; i < s; i++) {
    const Yi = i === 0 ? y : dev.memory.scope('stages', () => combineGraph(y, ks, tableau.a[i], h));
    const last = tableau.fsal && i === s - 1;
    if (!last || lastStage) ks.push(i === 0 && k0 ? k0 : await field.eval(t + tableau.c[i] * h, Yi));
    if (i === 0) continue;
    if (last) y1 = Yi;
    else Yi.dispose();
  }
  y1 ??= dev.memory.scope('stages', () => combineGraph(y, ks, tableau.b, h));
  return { y1, ks };
}

export class GraphStepper implements Stepper {
  /** f(t, y) of the coming step, when known (FSAL, a retry, or `start`). */
  private k0: Tensor | undefined;
  /** The stage derivatives of the step just attempted. */
  private ks: Tensor[] = [];
  /** Stage rows for the error estimate (allocated on first use). */
  private K: Tensor | null = null;

  constructor(readonly field: Field, readonly tableau: Tableau) {}

  async start(t: number, y0: Tensor): Promise<Tensor> {
    this.k0 = await this.field.eval(t, y0);
    return this.k0.detach();
  }

  async attempt(t: number, y: Tensor, h: number): Promise<Tensor> {
    const { y1, ks } = await stepWithGraph(this.field, this.tableau, t, y, h, this.k0);
    this.ks = ks;
    return y1;
  }

  async errorRatio(y: Tensor, y1: Tensor, h: number, rtol: number, atol: number, norm: ErrorNorm = 'batch', prefix?: number): Promise<number> {
    // Only the continuous adjoint's graph-free backward solve uses a seminorm; ignoring one here would change
    // the steps silently.
    if (prefix !== undefined) throw new InvalidArgumentError('the recording stepper does not support a seminorm (normPrefix); only graph-free solves do');
    const dev = this.field.device;
    this.K ??= dev.memory.scope('stages', () => dev.zeros([this.ks.length, ...this.field.shape]));
    const r = noGrad(() => {
      this.ks.forEach((k, i) => writeRow(this.K!, i, k));
      return (norm === 'per-sample' ? errorRatioPerSample : errorRatio)(y, y1, this.K!, this.tableau.e!, h, rtol, atol);
    });
    const v = await r.item();
    r.dispose();
    return v;
  }

  dense(y: Tensor, h: number, weights: readonly number[]): Tensor {
    return this.field.device.memory.scope('stages', () => combineGraph(y, this.ks, weights, h));
  }

  accept(): void {
    const next = this.tableau.fsal ? this.ks[this.ks.length - 1] : undefined;
    for (const k of this.ks) if (k !== next) k.dispose();
    this.ks = [];
    this.k0 = next;
  }

  reject(): void {
    // ks[0] is f(t, y) (reused or fresh): it stays valid for the retry; the rest of the step's graph goes.
    this.k0 = this.ks[0];
    for (const k of this.ks.slice(1)) k.dispose();
    this.ks = [];
  }

  outputs(count: number, y0: Tensor): Outputs {
    const list: Tensor[] = [];
    const release = () => {
      for (const o of list) if (o !== y0) o.dispose();
      list.length = 0;
    };
    return {
      add: (_k, y) => {
        list.push(y);
        return true;
      },
      finish: () => {
        const ys = stack(list, 0);
        release();
        return ys;
      },
      dispose: release,
    };
  }

  dispose(): void {
    for (const k of this.ks) if (k !== this.k0) k.dispose();
    this.k0?.dispose();
    this.K?.dispose();
    this.ks = [];
    this.k0 = undefined;
  }
}
