/**
 * Optimisers that update parameters in place (the parameter's buffer is overwritten by a copy kernel), with
 * their state allocated under the memory label 'optimizer'. Temporaries of a step are freed before it returns.
 */
import { InvalidArgumentError } from './errors.js';
import { noGrad } from './autograd.js';
import { contiguousView } from './shape.js';
import type { Tensor } from './tensor.js';

/** Writes `value` into `param`'s storage (no graph). */
function assign(param: Tensor, value: Tensor): void {
  const v = contiguousView(param.shape);
  param.device.backend.copy(value._raw, v, param._raw, v, param.shape);
}

function checkLr(lr: number): void {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new InvalidArgumentError(`learning rate must be a positive finite number, got ${lr}`);
}

abstract class Optimizer {
  constructor(readonly params: readonly Tensor[]) {
    if (!params.length) throw new InvalidArgumentError('optimizer: no parameters');
  }

  /** Drops every parameter's `.grad`. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  protected state(p: Tensor): Tensor {
    return p.device.keep(p.device.memory.scope('optimizer', () => p.device.zerosLike(p)));
  }

  /** One update from the current `.grad`s (parameters without one are skipped). */
  step(): void {
    noGrad(() => {
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i];
        if (!p.grad) continue;
        p.device.tidy(() => this.update(i, p, p.grad!));
      }
    });
  }

  protected abstract update(i: number, p: Tensor, g: Tensor): void;

  /** Frees the optimiser state. */
  abstract dispose(): void;
}

/** Options of {@link SGD}. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

/** SGD with optional momentum (PyTorch's formulation: v = μv + g, p -= lr·v). */
export class SGD extends Optimizer {
  private readonly velocity: (Tensor | null)[];

  constructor(params: readonly Tensor[], readonly options: SGDOptions) {
    super(params);
    checkLr(options.lr);
    this.velocity = params.map(() => null);
  }

  protected update(i: number, p: Tensor, g0: Tensor): void {
    const { lr, momentum = 0, weightDecay = 0 } = this.options;
    let g = weightDecay ? g0.add(p.mul(weightDecay)) : g0;
    if (momentum) {
      const v = (this.velocity[i] ??= this.state(p));
      const nv = v.mul(momentum).add(g);
      assign(v, nv);
      g = v;
    }
    assign(p, p.sub(g.mul(lr)));
  }

  dispose(): void {
    for (const v of this.velocity) v?.dispose();
  }
}

/** Options of {@link Adam}. */
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam (Kingma & Ba), bias-corrected, as in PyTorch. */
export class Adam extends Optimizer {
  private readonly m: (Tensor | null)[];
  private readonly v: (Tensor | null)[];
  private t = 0;
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params);
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    checkLr(this.lr);
    this.m = params.map(() => null);
    this.v = params.map(() => null);
  }

  override step(): void {
    this.t++;
    super.step();
  }

  protected update(i: number, p: Tensor, g0: Tensor): void {
    const [b1, b2] = this.betas;
    const g = this.weightDecay ? g0.add(p.mul(this.weightDecay)) : g0;
    const m = (this.m[i] ??= this.state(p));
    const v = (this.v[i] ??= this.state(p));
    assign(m, m.mul(b1).add(g.mul(1 - b1)));
    assign(v, v.mul(b2).add(g.square().mul(1 - b2)));
    const mhat = m.mul(1 / (1 - b1 ** this.t));
    const vhat = v.mul(1 / (1 - b2 ** this.t));
    assign(p, p.sub(mhat.div(vhat.sqrt().add(this.eps)).mul(this.lr)));
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t?.dispose();
  }
}
