/**
 * The vector field as the solver calls it: f(t, y) counted, shape-checked, its allocations labelled
 * 'network', its temporaries freed by a tidy; and, once, a probe that finds the tensors requiring grad f reads.
 * What f returns without having made it (its input, a closure tensor, a parameter) is the caller's: the
 * solver gets its own handle on it, so that disposing a stage derivative never frees a user's tensor.
 */
import { DisposedTensorError, InvalidArgumentError, ShapeError, Tensor, traceInputs, type Device } from '@sympode/tensor';
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
   * Set to receive, once, the tensors requiring grad that f reads (parameters in its closure, and tensors
   * computed from them before the solve, such as A = −softplus(w)): the next evaluation records f's graph to
   * find where it starts (`traceInputs`), then returns a plain result.
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

  /** f(t, y). The caller owns the result: a new handle, never y or a tensor of the user's. */
  async eval(t: number, y: Tensor): Promise<Tensor> {
    this.counter.nfe++;
    // A long solve never yields to the event loop otherwise (webgpu's bind groups pile up: Device.relieve).
    await this.device.relieve();
    const report = this.probe;
    if (!report) return this.evalOnce(t, y);
    this.probe = null;
    const leaf = y.detach();
    leaf.requiresGrad = true;
    try {
      const { value: k, inputs } = await traceInputs(() => this.evalOnce(t, leaf));
      report(inputs.filter((p) => p !== leaf));
      const out = k.detach();
      k.dispose();
      return out;
    } finally {
      leaf.dispose();
    }
  }

  /**
   * f's result inside its tidy: what f made as it is; what it borrowed (created before the call, or kept) as a
   * new handle on the same storage and graph (a reshape: no copy, no bytes), which the solver may dispose.
   */
  private async owned(s: number, y: Tensor): Promise<unknown> {
    const k: unknown = await this.f(s, y);
    if (!(k instanceof Tensor) || k.isDisposed || k.device !== this.device || this.device.createdInTidy(k)) return k;
    return k.reshape(k.shape);
  }

  private async evalOnce(s: number, y: Tensor): Promise<Tensor> {
    const t = this.sign * s;
    let k: unknown;
    try {
      k = await this.device.memory.scope('network', () => this.device.tidy(() => this.owned(s, y)));
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
      k.dispose();
      throw new ShapeError(`the ODE function returned shape [${k.shape.join(', ')}] at t = ${t}; expected the state's shape [${this.shape.join(', ')}]`);
    }
    return k;
  }
}
