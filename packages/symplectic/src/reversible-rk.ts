/**
 * Reversible Runge–Kutta (McCallum & Foster, "Efficient, accurate and stable gradients for Neural ODEs", 2024):
 * any explicit RK step Ψ_h(t, x) = RK_h(t, x) − x of a base tableau, made algebraically reversible by coupling
 * two states (y_0 = z_0 = y0) with λ ∈ (0, 1]:
 *   y_{n+1} = λ y_n + (1 − λ) z_n + Ψ_h(t_n, z_n),   z_{n+1} = z_n − Ψ_{−h}(t_{n+1}, y_{n+1}),
 * inverted exactly (up to rounding) by
 *   z_n = z_{n+1} + Ψ_{−h}(t_{n+1}, y_{n+1}),   y_n = (y_{n+1} − (1 − λ) z_n − Ψ_h(t_n, z_n)) / λ,
 * so a backward pass needs only the final (y_N, z_N) (gradients/reversible-rk.ts): memory independent of N
 * at the base tableau's order. Two base steps per step (2s evaluations of f). Fixed steps, or with an
 * adaptive base adaptive ones: the step's error is the sum of both base steps' embedded estimates (as diffrax's
 * `Reversible`), and a rejected step retries from the same z_n (its f(t_n, z_n) reused, as is f(t_0, y_0)
 * from `start`); the accepted steps' (t, h) are what the backward replays. The integration loop drives it through the Stepper
 * interface with a stand-in tableau (the base's order; adaptive when the base is and no stepSize is given);
 * `reversibleRk(tableau)` gives the base and λ of a stand-in.
 */
import { combineRows, combineTerms, errorRatio, errorRatioPerSample, InvalidArgumentError, noGrad, type Tensor } from '@sympode/tensor';
import type { Field } from './field.js';
import { GraphStepper, stepWithGraph } from './graph-stepper.js';
import { NoGraphStepper } from './no-graph-stepper.js';
import type { ErrorNorm, Outputs, Stepper } from './stepper.js';
import type { Tableau } from './tableaus.js';

/** What a reversible RK stand-in tableau stands for. */
export interface ReversibleRkSpec {
  /** The explicit base tableau Ψ steps with. */
  readonly base: Tableau;
  /** The coupling λ ∈ (0, 1]. */
  readonly coupling: number;
}

const specs = new WeakMap<Tableau, ReversibleRkSpec>();

/**
 * The stand-in tableau the integration loop reads for `method: 'reversible'` on `base` with coupling λ:
 * adaptive when the base is, unless `fixed` (a stepSize was given).
 */
export function reversibleRkTableau(base: Tableau, coupling: number, fixed = true): Tableau {
  const adaptive = base.adaptive && !fixed;
  const t: Tableau = Object.freeze({
    name: `reversible(${base.name})`, a: [[]], b: [1], c: [0], order: base.order, fsal: false, adaptive, ...(adaptive ? { e: base.e } : {}),
  });
  specs.set(t, Object.freeze({ base, coupling }));
  return t;
}

/** The base and coupling of a reversible RK stand-in tableau (undefined for any other tableau). */
export function reversibleRk(tableau: Tableau): ReversibleRkSpec | undefined {
  return specs.get(tableau);
}

/** x + Σ c_j t_j as one combineTerms op (one graph node), recorded unless under noGrad. */
export function lin3(x: Tensor, terms: readonly [number, Tensor][]): Tensor {
  return combineTerms(x, terms.map(([, t]) => t), terms.map(([c]) => c), 1);
}

/** x + Ψ_h(t, x) without a graph on `plain`'s stage buffer, k_0 forgotten (every such step starts elsewhere). */
export async function baseStep(plain: NoGraphStepper, t: number, x: Tensor, h: number): Promise<Tensor> {
  plain.reset();
  const y1 = await plain.attempt(t, x, h);
  plain.reset();
  return y1;
}

/** The reversible RK step (see the module comment), with a recorded graph (`graph`, backprop) or without. */
export class ReversibleRkStepper implements Stepper {
  readonly tableau: Tableau;
  private readonly spec: ReversibleRkSpec;
  /** z_n of the coming step (null before the first: z_0 = y_0). */
  private z: Tensor | null = null;
  private y0: Tensor | null = null;
  /** z_{n+1} of the step just attempted. */
  private pending: Tensor | null = null;
  /** Graph-free: the base steps from z_n and from y_{n+1}, their stages in each one's K. */
  private readonly zStep: NoGraphStepper | null;
  private readonly yStep: NoGraphStepper | null;
  /** Recorded: f(t_n, z_n) when known (from `start`, or kept for a retry), and the attempt's stages. */
  private k0: Tensor | undefined;
  private ks: { z: Tensor[]; y: Tensor[] } | null = null;
  private readonly collector: Stepper;

  constructor(readonly field: Field, tableau: Tableau, readonly graph: boolean) {
    const spec = reversibleRk(tableau);
    if (!spec) throw new Error('internal: not a reversible RK tableau');
    this.tableau = tableau;
    this.spec = spec;
    this.zStep = graph ? null : new NoGraphStepper(field, spec.base);
    this.yStep = graph ? null : new NoGraphStepper(field, spec.base);
    this.collector = graph ? new GraphStepper(field, tableau) : new NoGraphStepper(field, tableau);
  }

  /** f(t_0, y_0) (= f(t_0, z_0)): the first base step reuses it. */
  async start(t: number, y0: Tensor): Promise<Tensor> {
    if (this.zStep) return this.zStep.start(t, y0);
    this.k0 = await this.field.eval(t, y0);
    return this.k0.detach();
  }

  async attempt(t: number, y: Tensor, h: number): Promise<Tensor> {
    const { field, spec } = this;
    const dev = field.device;
    const lam = spec.coupling;
    if (!this.z) {
      this.z = y; // z_0 = y_0 (shared: the caller's tensor is never disposed here)
      this.y0 = y;
    }
    const z = this.z;
    // y1 = λ y + (1 − λ) z + (R_h(t, z) − z) = λ y − λ z + R_h(t, z);  z1 = z + y1 − R_{−h}(t + h, y1)
    if (this.zStep && this.yStep) {
      const rz = await this.zStep.attempt(t, z, h);
      const y1 = dev.memory.scope('stages', () => noGrad(() => lin3(rz, [[lam, y], [-lam, z]])));
      rz.dispose();
      // Its stages stay in yStep.K for the error estimate.
      const ry = await baseStep(this.yStep, t + h, y1, -h);
      this.pending = dev.memory.scope('stages', () => noGrad(() => lin3(z, [[1, y1], [-1, ry]])));
      ry.dispose();
      return y1;
    }
    const sz = await stepWithGraph(field, spec.base, t, z, h, this.k0);
    const y1 = dev.memory.scope('stages', () => lin3(sz.y1, [[lam, y], [-lam, z]]));
    sz.y1.dispose();
    const sy = await stepWithGraph(field, spec.base, t + h, y1, -h);
    this.pending = dev.memory.scope('stages', () => lin3(z, [[1, y1], [-1, sy.y1]]));
    sy.y1.dispose();
    this.ks = { z: sz.ks, y: sy.ks };
    return y1;
  }

  /**
   * The error of the step as diffrax's `Reversible` has it: the sum of both base steps' embedded estimates,
   * h Σ e_j k^z_j + (−h) Σ e_j k^y_j, measured against y_n and y_{n+1}.
   */
  async errorRatio(y: Tensor, y1: Tensor, h: number, rtol: number, atol: number, norm: ErrorNorm = 'batch', prefix?: number): Promise<number> {
    if (prefix !== undefined) throw new InvalidArgumentError(`${this.tableau.name} does not measure a seminorm (normPrefix)`);
    const dev = this.field.device;
    const e = this.spec.base.e!;
    const r = noGrad(() => dev.memory.scope('stages', () => dev.tidy(() => {
      const zero = dev.zeros(this.field.shape);
      const err = this.zStep && this.yStep
        ? combineRows(combineRows(zero, this.zStep.K, e, h), this.yStep.K, e, -h)
        : combineTerms(combineTerms(zero, this.ks!.z, e, h), this.ks!.y, e, -h);
      const rows = err.reshape([1, ...this.field.shape]);
      return (norm === 'per-sample' ? errorRatioPerSample : errorRatio)(y, y1, rows, [1], 1, rtol, atol);
    })));
    const v = await r.item();
    r.dispose();
    return v;
  }

  dense(): Tensor {
    throw new InvalidArgumentError(`${this.tableau.name} outputs the states at step ends only (outputs: 'step')`);
  }

  accept(): void {
    this.dropZ();
    this.z = this.pending;
    this.pending = null;
    // The next base step starts from the new z: nothing of this one's stages is reused.
    this.zStep?.reset();
    this.dropKs(null);
    this.k0 = undefined;
  }

  reject(): void {
    this.pending?.dispose();
    this.pending = null;
    // The retry starts from the same z_n: f(t_n, z_n) stays.
    this.zStep?.reject();
    if (this.ks) this.k0 = this.ks.z[0];
    this.dropKs(this.k0 ?? null);
  }

  /** Frees the recorded attempt's stage handles but `keep` (their graphs stay where a result uses them). */
  private dropKs(keep: Tensor | null): void {
    if (!this.ks) return;
    for (const k of [...this.ks.z, ...this.ks.y]) if (k !== keep) k.dispose();
    this.ks = null;
  }

  /** The final z_N (the caller owns it): with y_N, all the reversible backward needs. */
  takeAux(): Tensor {
    const a = this.z === this.y0 ? this.z!.detach() : this.z!;
    this.z = null;
    return a;
  }

  outputs(count: number, y0: Tensor): Outputs {
    return this.collector.outputs(count, y0);
  }

  private dropZ(): void {
    if (this.z && this.z !== this.y0) this.z.dispose();
    this.z = null;
  }

  dispose(): void {
    this.reject();
    this.k0?.dispose();
    this.k0 = undefined;
    this.dropZ();
    this.zStep?.dispose();
    this.yStep?.dispose();
    this.collector.dispose();
  }
}
