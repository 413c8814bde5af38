/**
 * The reversible Heun method (Kidger, Foster, Li & Lyons, "Efficient and accurate gradients for neural SDEs",
 * NeurIPS 2021), here for ODEs. It carries a second state ŷ beside y (ŷ_0 = y_0) and one evaluation of f per
 * step, f_n = f(t_n, ŷ_n), cached from the step before:
 *   ŷ_{n+1} = 2y_n − ŷ_n + h f_n,   f_{n+1} = f(t_{n+1}, ŷ_{n+1}),   y_{n+1} = y_n + (h/2)(f_n + f_{n+1}).
 * The step inverts algebraically, with f evaluated once again at the reconstructed ŷ_n:
 *   ŷ_n = 2y_{n+1} − ŷ_{n+1} − h f_{n+1},   f_n = f(t_n, ŷ_n),   y_n = y_{n+1} − (h/2)(f_n + f_{n+1}),
 * so a backward pass needs only the final (y_N, ŷ_N) (gradients/reversible.ts). Second order, fixed steps.
 * It is not a Runge–Kutta tableau: the integration loop drives it through the Stepper interface with a
 * stand-in tableau (one stage, not adaptive) and the stepper keeps ŷ and f itself, like FSAL's k_0.
 */
import { InvalidArgumentError, noGrad, type Tensor } from '@sympode/tensor';
import type { Field } from './field.js';
import { GraphStepper } from './graph-stepper.js';
import { NoGraphStepper } from './no-graph-stepper.js';
import type { ErrorNorm, Outputs, Stepper } from './stepper.js';
import type { Tableau } from './tableaus.js';

/**
 * Names of the reversible solvers (`odeint`'s `method`): reversible Heun (second order, one evaluation of f a
 * step), and reversible Runge–Kutta on any explicit base tableau (`base`, `coupling`: reversible-rk.ts).
 */
export type ReversibleMethodName = 'reversible_heun' | 'reversible';

/** The reversible solvers `method` accepts. */
export const REVERSIBLE_METHODS: readonly ReversibleMethodName[] = Object.freeze(['reversible_heun', 'reversible'] as const);

/** Whether `name` is a reversible solver. */
export function isReversibleMethod(name: unknown): name is ReversibleMethodName {
  return (REVERSIBLE_METHODS as readonly unknown[]).includes(name);
}

/** The stand-in tableau the integration loop reads (name, order 2, fixed steps); its stages are unused. */
export const REVERSIBLE_HEUN: Tableau = Object.freeze({
  name: 'reversible_heun', a: [[]], b: [1], c: [0], order: 2, fsal: false, adaptive: false,
});

/** y + Σ_j c_j x_j with differentiable ops (recorded unless under noGrad). */
function lin(dev: Field['device'], terms: readonly [number, Tensor][]): Tensor {
  return dev.tidy(() => terms.reduce<Tensor | null>((acc, [c, x]) => {
    const t = c === 1 ? x : x.mul(c);
    return acc ? acc.add(t) : t;
  }, null)!);
}

/** The reversible Heun step, with a recorded graph (`graph`, backprop) or without. */
export class ReversibleHeunStepper implements Stepper {
  readonly tableau = REVERSIBLE_HEUN;
  /** ŷ_n and f(t_n, ŷ_n) of the coming step (null before the first). */
  private yhat: Tensor | null = null;
  private fn: Tensor | null = null;
  private pending: { yhat: Tensor; f: Tensor } | null = null;
  private y0: Tensor | null = null;
  private readonly collector: Stepper;

  constructor(readonly field: Field, readonly graph: boolean) {
    this.collector = graph ? new GraphStepper(field, REVERSIBLE_HEUN) : new NoGraphStepper(field, REVERSIBLE_HEUN);
  }

  async start(): Promise<Tensor> {
    throw new InvalidArgumentError('internal: reversible_heun takes fixed steps (no first-step selection)');
  }

  private run<T>(fn: () => T): T {
    return this.graph ? fn() : noGrad(fn);
  }

  async attempt(t: number, y: Tensor, h: number): Promise<Tensor> {
    const dev = this.field.device;
    if (!this.yhat) {
      // ŷ_0 = y_0 (shared: the caller's tensor is never disposed here).
      this.yhat = y;
      this.y0 = y;
      this.fn = await this.run(() => this.field.eval(t, y));
    }
    const yhat1 = dev.memory.scope('stages', () => this.run(() => lin(dev, [[2, y], [-1, this.yhat!], [h, this.fn!]])));
    const f1 = await this.run(() => this.field.eval(t + h, yhat1));
    const y1 = dev.memory.scope('stages', () => this.run(() => lin(dev, [[1, y], [h / 2, this.fn!], [h / 2, f1]])));
    this.pending = { yhat: yhat1, f: f1 };
    return y1;
  }

  async errorRatio(_y: Tensor, _y1: Tensor, _h: number, _r: number, _a: number, _n?: ErrorNorm): Promise<number> {
    return 0;
  }

  dense(): Tensor {
    throw new InvalidArgumentError("reversible_heun outputs the states at step ends only (outputs: 'step')");
  }

  accept(): void {
    this.drop();
    this.yhat = this.pending!.yhat;
    this.fn = this.pending!.f;
    this.pending = null;
  }

  reject(): void {
    if (this.pending) this.field.device.dispose(this.pending.yhat, this.pending.f);
    this.pending = null;
  }

  /** The final ŷ_N (the caller owns it): with y_N, all the reversible backward needs. */
  takeAux(): Tensor {
    const a = this.yhat === this.y0 ? this.yhat!.detach() : this.yhat!;
    this.yhat = null;
    return a;
  }

  outputs(count: number, y0: Tensor): Outputs {
    return this.collector.outputs(count, y0);
  }

  /** Frees ŷ_n and f_n (the first ŷ is the caller's y0). */
  private drop(): void {
    if (this.yhat && this.yhat !== this.y0) this.yhat.dispose();
    this.fn?.dispose();
    this.yhat = null;
    this.fn = null;
  }

  dispose(): void {
    this.reject();
    this.drop();
    this.collector.dispose();
  }
}
