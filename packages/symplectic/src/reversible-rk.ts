/**
 * Reversible Runge–Kutta (McCallum & Foster, "Efficient, accurate and stable gradients for Neural ODEs", 2024):
 * any explicit RK step Ψ_h(t, x) = RK_h(t, x) − x of a base tableau, made algebraically reversible by coupling
 * two states (y_0 = z_0 = y0) with λ ∈ (0, 1]:
 *   y_{n+1} = λ y_n + (1 − λ) z_n + Ψ_h(t_n, z_n),   z_{n+1} = z_n − Ψ_{−h}(t_{n+1}, y_{n+1}),
 * inverted exactly (up to rounding) by
 *   z_n = z_{n+1} + Ψ_{−h}(t_{n+1}, y_{n+1}),   y_n = (y_{n+1} − (1 − λ) z_n − Ψ_h(t_n, z_n)) / λ,
 * so a backward pass needs only the final (y_N, z_N) (gradients/reversible-rk.ts): memory independent of N
 * at the base tableau's order. Two base steps per step (2s evaluations of f). Fixed steps, or with an
 * adaptive base adaptive ones: the step's error is the base's embedded estimate of Ψ_h(t_n, z_n), and a
 * rejected step retries from the same z_n (its f(t_n, z_n) reused, as is f(t_0, y_0) from `start`); the
 * accepted steps' (t, h) are what the backward replays. The integration loop drives it through the Stepper
 * interface with a stand-in tableau (the base's order; adaptive when the base is and no stepSize is given);
 * `reversibleRk(tableau)` gives the base and λ of a stand-in.
 */
import { combineTerms, InvalidArgumentError, noGrad, type Tensor } from '@sympode/tensor';
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

/** a·x + b·y + c·w (each term skipped when its tensor is null), recorded unless under noGrad. */
export function lin3(x: Tensor, terms: readonly [number, Tensor][]): Tensor {
  // combineTerms(base, terms, coeffs, 1): base + Σ c_j t_j, one op (one graph node).
  return combineTerms(x, terms.map(([, t]) => t), terms.map(([c]) => c), 1);
}

/** One base RK step from (t, x) with step h: x + Ψ_h(t, x); recorded (graph) or not. */
export async function baseStep(field: Field, base: Tableau, graph: boolean, plain: NoGraphStepper | null, t: number, x: Tensor, h: number): Promise<Tensor> {
  if (graph) {
    const { y1, ks } = await stepWithGraph(field, base, t, x, h);
    field.device.dispose(ks);
    return y1;
  }
  // The graph-free stepper's K buffer, k_0 forgotten: every base step starts from a different state.
  plain!.reset();
  const y1 = await plain!.attempt(t, x, h);
  plain!.reset();
  return y1;
}

/** The reversible RK step (see the module comment), with a recorded graph (`graph`, backprop) or without. */
export class ReversibleRkStepper implements Stepper {
  readonly tableau: Tableau;
  private readonly spec: ReversibleRkSpec;
  /** z_n of the coming step (null before the first: z_0 = y_0). */
  private z: Tensor | null = null;
  private y0: Tensor | null = null;
  /** z_{n+1} and R_h(t_n, z_n) of the step just attempted (the latter for its error estimate). */
  private pending: Tensor | null = null;
  private rz: Tensor | null = null;
  /** The base steps from z (keeping f(t_n, z_n) for a retry) and, graph-free, those from y_{n+1}. */
  private readonly zStep: NoGraphStepper | GraphStepper;
  private readonly yStep: NoGraphStepper | null;
  private readonly collector: Stepper;

  constructor(readonly field: Field, tableau: Tableau, readonly graph: boolean) {
    const spec = reversibleRk(tableau);
    if (!spec) throw new Error('internal: not a reversible RK tableau');
    this.tableau = tableau;
    this.spec = spec;
    this.zStep = graph ? new GraphStepper(field, spec.base) : new NoGraphStepper(field, spec.base);
    this.yStep = graph ? null : new NoGraphStepper(field, spec.base);
    this.collector = graph ? new GraphStepper(field, tableau) : new NoGraphStepper(field, tableau);
  }

  /** f(t_0, y_0) (= f(t_0, z_0)): the first base step reuses it. */
  start(t: number, y0: Tensor): Promise<Tensor> {
    return this.zStep.start(t, y0);
  }

  private run<T>(fn: () => T): T {
    return this.graph ? fn() : noGrad(fn);
  }

  async attempt(t: number, y: Tensor, h: number): Promise<Tensor> {
    const { field, spec, graph } = this;
    const dev = field.device;
    const lam = spec.coupling;
    if (!this.z) {
      this.z = y; // z_0 = y_0 (shared: the caller's tensor is never disposed here)
      this.y0 = y;
    }
    const z = this.z;
    // y1 = λ y + (1 − λ) z + (R_h(t, z) − z) = λ y − λ z + R_h(t, z)
    const rz = await this.run(() => this.zStep.attempt(t, z, h));
    this.rz = rz;
    const y1 = dev.memory.scope('stages', () => this.run(() => lin3(rz, [[lam, y], [-lam, z]])));
    // z1 = z − (R_{−h}(t + h, y1) − y1) = z + y1 − R_{−h}(t + h, y1)
    const ry = await this.run(() => baseStep(field, spec.base, graph, this.yStep, t + h, y1, -h));
    this.pending = dev.memory.scope('stages', () => this.run(() => lin3(z, [[1, y1], [-1, ry]])));
    ry.dispose();
    return y1;
  }

  /** The base step's embedded error estimate of Ψ_h(t_n, z_n). */
  errorRatio(_y: Tensor, _y1: Tensor, h: number, rtol: number, atol: number, norm?: ErrorNorm, prefix?: number): Promise<number> {
    return this.zStep.errorRatio(this.z!, this.rz!, h, rtol, atol, norm, prefix);
  }

  dense(): Tensor {
    throw new InvalidArgumentError(`${this.tableau.name} outputs the states at step ends only (outputs: 'step')`);
  }

  accept(): void {
    this.dropZ();
    this.z = this.pending;
    this.pending = null;
    this.rz?.dispose();
    this.rz = null;
    this.zStep.reset(); // the next base step starts from the new z
  }

  reject(): void {
    this.pending?.dispose();
    this.pending = null;
    this.rz?.dispose();
    this.rz = null;
    this.zStep.reject(); // f(t_n, z_n) stays for the retry
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
    this.dropZ();
    this.zStep.dispose();
    this.yStep?.dispose();
    this.collector.dispose();
  }
}
