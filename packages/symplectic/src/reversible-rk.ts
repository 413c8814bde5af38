/**
 * Reversible Runge–Kutta (McCallum & Foster, "Efficient, accurate and stable gradients for Neural ODEs", 2024):
 * any explicit RK step Ψ_h(t, x) = RK_h(t, x) − x of a base tableau, made algebraically reversible by coupling
 * two states (y_0 = z_0 = y0) with λ ∈ (0, 1]:
 *   y_{n+1} = λ y_n + (1 − λ) z_n + Ψ_h(t_n, z_n),   z_{n+1} = z_n − Ψ_{−h}(t_{n+1}, y_{n+1}),
 * inverted exactly (up to rounding) by
 *   z_n = z_{n+1} + Ψ_{−h}(t_{n+1}, y_{n+1}),   y_n = (y_{n+1} − (1 − λ) z_n − Ψ_h(t_n, z_n)) / λ,
 * so a backward pass needs only the final (y_N, z_N) (gradients/reversible-rk.ts): memory independent of N
 * at the base tableau's order. Two base steps per step (2s evaluations of f). Fixed steps.
 * The integration loop drives it through the Stepper interface with a stand-in tableau (fixed steps, the
 * base's order); `reversibleRk(tableau)` gives the base and λ of a stand-in.
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

/** The stand-in tableau the integration loop reads for `method: 'reversible'` on `base` with coupling λ. */
export function reversibleRkTableau(base: Tableau, coupling: number): Tableau {
  const t: Tableau = Object.freeze({
    name: `reversible(${base.name})`, a: [[]], b: [1], c: [0], order: base.order, fsal: false, adaptive: false,
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
  private pending: Tensor | null = null;
  private readonly plain: NoGraphStepper | null;
  private readonly collector: Stepper;

  constructor(readonly field: Field, tableau: Tableau, readonly graph: boolean) {
    const spec = reversibleRk(tableau);
    if (!spec) throw new Error('internal: not a reversible RK tableau');
    this.tableau = tableau;
    this.spec = spec;
    this.plain = graph ? null : new NoGraphStepper(field, spec.base);
    this.collector = graph ? new GraphStepper(field, tableau) : new NoGraphStepper(field, tableau);
  }

  async start(): Promise<Tensor> {
    throw new InvalidArgumentError(`internal: ${this.tableau.name} takes fixed steps (no first-step selection)`);
  }

  private run<T>(fn: () => T): T {
    return this.graph ? fn() : noGrad(fn);
  }

  async attempt(t: number, y: Tensor, h: number): Promise<Tensor> {
    const { field, spec, graph, plain } = this;
    const dev = field.device;
    const lam = spec.coupling;
    if (!this.z) {
      this.z = y; // z_0 = y_0 (shared: the caller's tensor is never disposed here)
      this.y0 = y;
    }
    const z = this.z;
    // y1 = λ y + (1 − λ) z + (RK_h(t, z) − z) = λ y − λ z + RK_h(t, z)
    const rz = await this.run(() => baseStep(field, spec.base, graph, plain, t, z, h));
    const y1 = dev.memory.scope('stages', () => this.run(() => lin3(rz, [[lam, y], [-lam, z]])));
    rz.dispose();
    // z1 = z − (RK_{−h}(t + h, y1) − y1) = z + y1 − RK_{−h}(t + h, y1)
    const ry = await this.run(() => baseStep(field, spec.base, graph, plain, t + h, y1, -h));
    this.pending = dev.memory.scope('stages', () => this.run(() => lin3(z, [[1, y1], [-1, ry]])));
    ry.dispose();
    return y1;
  }

  async errorRatio(_y: Tensor, _y1: Tensor, _h: number, _r: number, _a: number, _n?: ErrorNorm): Promise<number> {
    return 0;
  }

  dense(): Tensor {
    throw new InvalidArgumentError(`${this.tableau.name} outputs the states at step ends only (outputs: 'step')`);
  }

  accept(): void {
    this.dropZ();
    this.z = this.pending;
    this.pending = null;
  }

  reject(): void {
    this.pending?.dispose();
    this.pending = null;
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
    this.plain?.dispose();
    this.collector.dispose();
  }
}
