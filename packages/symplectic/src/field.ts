/**
 * The vector field as the solver calls it: f(t, y) counted, shape-checked, its allocations labelled
 * 'network', its temporaries freed by a tidy; and, once, a probe that finds the tensors requiring grad f reads.
 */
import { enableGrad, graphLeaves, ShapeError, type Device, type Tensor } from '@sympode/tensor';

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
  ) {
    this.n = shape.reduce((p, d) => p * d, 1);
  }

  /** The same field counting into another counter (the backward's). */
  withCounter(counter: EvalCounter): Field {
    return new Field(this.device, this.f, this.shape, counter);
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

  private async evalOnce(t: number, y: Tensor): Promise<Tensor> {
    const k = await this.device.memory.scope('network', () => this.device.tidy(() => this.f(t, y)));
    if (k.size !== this.n || k.shape.length !== this.shape.length || k.shape.some((d, i) => d !== this.shape[i])) {
      if (k !== y) k.dispose();
      throw new ShapeError(`the ODE function returned shape [${k.shape.join(', ')}] at t = ${t}; expected the state's shape [${this.shape.join(', ')}]`);
    }
    return k;
  }
}
