/**
 * The vector field as the solver calls it: f(t, y) counted, shape-checked, its allocations labelled
 * 'network', its temporaries freed by a tidy; and, once, a probe that finds the tensors requiring grad f reads.
 */
import { DisposedTensorError, enableGrad, graphLeaves, InvalidArgumentError, ShapeError, Tensor, type Device } from '@sympode/tensor';
import { describe } from './describe.js';

/** dy/dt = f(t, y), same shape as y; may read parameters from its closure. */
export type OdeFunc = (t: number, y: Tensor) => Tensor | Promise<Tensor>;

/** Evaluation counters a solve fills in. */
export interface EvalCounter {
  nfe: number;
}

/** f as the solver calls it (see the module comment). */
export class Field {
  readonly n: number;
  /**
   * Set to receive, once, the tensors requiring grad that f reads (parameters in its closure): the next
   * evaluation records f's graph to find them, then returns a plain result.
   */
  probe: ((leaves: Tensor[]) => void) | null = null;

  constructor(
    readonly device: Device,
    readonly f: OdeFunc,
    readonly shape: readonly number[],
    readonly counter: EvalCounter,
    /** The user's time is `sign` × the solver's (−1 for decreasing times); for messages. */
    readonly sign: 1 | -1 = 1,
  ) {
    this.n = shape.reduce((p, d) => p * d, 1);
  }

  /** The same field counting into another counter (the backward's). */
  withCounter(counter: EvalCounter): Field {
    return new Field(this.device, this.f, this.shape, counter, this.sign);
  }

  /** f(t, y). The caller owns the result (which may be y itself when f returns its input). */
  async eval(t: number, y: Tensor): Promise<Tensor> {
    this.counter.nfe++;
    const report = this.probe;
    if (!report) return this.evalOnce(t, y);
    this.probe = null;
    const leaf = y.detach();
    leaf.requiresGrad = true;
    try {
      const k = await enableGrad(() => this.evalOnce(t, leaf));
      report(graphLeaves(k).filter((p) => p !== leaf));
      const out = k.detach();
      k.dispose();
      return out;
    } finally {
      leaf.dispose();
    }
  }

  private async evalOnce(s: number, y: Tensor): Promise<Tensor> {
    const t = this.sign * s;
    let k: unknown;
    try {
      k = await this.device.memory.scope('network', () => this.device.tidy(() => this.f(s, y)));
    } catch (e) {
      // Typically a parameter disposed between the solve and a backward that evaluates f again: say where.
      if (!(e instanceof DisposedTensorError) || e.message.includes('inside the ODE function')) throw e; // said once
      throw new DisposedTensorError(`${e.message}, inside the ODE function at t = ${t}; keep what f reads alive until backward has run`, { cause: e });
    }
    // Anything else f returned that holds tensors moved to the solve's tidy, which frees it on the way out.
    if (!(k instanceof Tensor)) {
      throw new InvalidArgumentError(`the ODE function returned ${describe(k, true)} at t = ${t}; it must return a Tensor of the state's shape [${this.shape.join(', ')}]`);
    }
    if (k.isDisposed) throw new DisposedTensorError(`the ODE function returned a disposed tensor at t = ${t}; return a live one (do not dispose it, or return it from its tidy)`);
    if (k.device !== this.device) {
      const [a, b] = [k.device, this.device];
      k.dispose();
      throw new InvalidArgumentError(
        `the ODE function returned a tensor of another device (${a.kind} ${a.dtype}) at t = ${t}; it must live on y0's device (${b.kind} ${b.dtype}): compute it from y`,
      );
    }
    if (k.size !== this.n || k.shape.length !== this.shape.length || k.shape.some((d, i) => d !== this.shape[i])) {
      if (k !== y) k.dispose();
      throw new ShapeError(`the ODE function returned shape [${k.shape.join(', ')}] at t = ${t}; expected the state's shape [${this.shape.join(', ')}]`);
    }
    return k;
  }
}
