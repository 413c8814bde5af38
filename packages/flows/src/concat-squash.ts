/**
 * FFJORD's time-dependent layers (Grathwohl et al. 2019, lib/layers/diffeq_layers): a concat-squash linear
 * layer gates and shifts a linear map of x by functions of t,
 *   CSL(t, x) = (x·Wᵀ + b) ⊙ σ(t·w_g + b_g) + t·w_b,
 * and the default CNF network stacks them with an activation between (none after the last).
 */
import { InvalidArgumentError, nn, type Device, type Tensor } from '@sympode/tensor';
import type { CNF } from './cnf.js';

/** A network of time and state, g(t, x), with its parameters: what a CNF block integrates. */
export interface TimeNet {
  /** g(t, x) for x of shape [B, D]; returns [B, D]. */
  forward(t: number, x: Tensor): Tensor;
  /** The tensors to differentiate (requiring grad). */
  parameters(): Tensor[];
  /** Frees the parameters (called by {@link CNF.dispose} when present). */
  dispose?(): void;
}

/** Options of {@link ConcatSquashLinear} and {@link ConcatSquashNet}. */
export interface ConcatSquashOptions {
  /** Seed of the init (PyTorch's default Linear init, U(−1/√in, 1/√in)); omitted: the device's stream. */
  seed?: number;
}

/** One concat-squash layer: (x·Wᵀ + b) ⊙ σ(t·w_g + b_g) + t·w_b (FFJORD's ConcatSquashLinear). */
export class ConcatSquashLinear extends nn.Module {
  /** x·Wᵀ + b. */
  readonly layer: nn.Linear;
  /** t·w_b (no bias). */
  readonly hyperBias: nn.Linear;
  /** t·w_g + b_g. */
  readonly hyperGate: nn.Linear;

  constructor(readonly device: Device, readonly inFeatures: number, readonly outFeatures: number, opts: ConcatSquashOptions = {}) {
    super();
    const s = opts.seed;
    this.layer = new nn.Linear(device, inFeatures, outFeatures, { seed: s });
    this.hyperBias = new nn.Linear(device, 1, outFeatures, { bias: false, seed: s === undefined ? undefined : s + 2 });
    this.hyperGate = new nn.Linear(device, 1, outFeatures, { seed: s === undefined ? undefined : s + 4 });
  }

  namedParameters(): [string, Tensor][] {
    const sub = (name: string, m: nn.Module) => m.namedParameters().map(([n, p]): [string, Tensor] => [`${name}.${n}`, p]);
    return [...sub('layer', this.layer), ...sub('hyperBias', this.hyperBias), ...sub('hyperGate', this.hyperGate)];
  }

  /** Time-free use is not defined for this layer: call {@link ConcatSquashLinear.forwardAt}. */
  forward(): Tensor {
    throw new InvalidArgumentError('ConcatSquashLinear needs the time: call forwardAt(t, x)');
  }

  /** The layer at time t for x of shape [B, in]. */
  forwardAt(t: number, x: Tensor): Tensor {
    const dev = this.device;
    return dev.tidy(() => {
      const tt = dev.full([1, 1], t);
      return this.layer.forward(x).mul(this.hyperGate.forward(tt).sigmoid()).add(this.hyperBias.forward(tt));
    });
  }
}

/** Options of {@link ConcatSquashNet}. */
export interface ConcatSquashNetOptions extends ConcatSquashOptions {
  /** Activation between layers (FFJORD's toy default: tanh). */
  activation?: 'tanh' | 'softplus' | 'relu' | 'sigmoid';
}

/** FFJORD's default CNF network: concat-squash layers D → hidden… → D with an activation between. */
export class ConcatSquashNet extends nn.Module implements TimeNet {
  /** The layers, in order. */
  readonly layers: ConcatSquashLinear[];
  /** The activation between layers. */
  readonly activation: NonNullable<ConcatSquashNetOptions['activation']>;

  /**
   * @param sizes layer widths including input and output, e.g. [2, 64, 64, 64, 2] (FFJORD's toy `--dims 64-64-64`)
   */
  constructor(readonly device: Device, readonly sizes: readonly number[], opts: ConcatSquashNetOptions = {}) {
    super();
    if (sizes.length < 2 || sizes.some((n) => !(Number.isInteger(n) && n > 0))) {
      throw new InvalidArgumentError(`ConcatSquashNet: sizes must be ≥ 2 positive integers, got [${sizes.join(', ')}]`);
    }
    if (sizes[0] !== sizes[sizes.length - 1]) {
      throw new InvalidArgumentError(`ConcatSquashNet: a vector field maps D to D, got sizes [${sizes.join(', ')}]`);
    }
    this.activation = opts.activation ?? 'tanh';
    // Each layer takes 6 seeds (three Linears, weight and bias each).
    this.layers = sizes.slice(1).map((n, i) => new ConcatSquashLinear(device, sizes[i], n, { seed: opts.seed === undefined ? undefined : opts.seed + 6 * i }));
  }

  namedParameters(): [string, Tensor][] {
    return this.layers.flatMap((l, i) => l.namedParameters().map(([n, p]): [string, Tensor] => [`layers.${i}.${n}`, p]));
  }

  /** Time-free use is not defined: call {@link ConcatSquashNet.forwardAt} (or use it as a {@link TimeNet}). */
  forward(x: Tensor): Tensor;
  forward(t: number, x: Tensor): Tensor;
  forward(a: number | Tensor, x?: Tensor): Tensor {
    if (typeof a === 'number' && x) return this.forwardAt(a, x);
    throw new InvalidArgumentError('ConcatSquashNet needs the time: call forward(t, x)');
  }

  /** g(t, x) for x of shape [B, D]. */
  forwardAt(t: number, x: Tensor): Tensor {
    const dev = this.device;
    return dev.tidy(() => {
      let h = x;
      for (const [i, l] of this.layers.entries()) {
        h = l.forwardAt(t, h);
        if (i < this.layers.length - 1) h = act(this.activation, h);
      }
      return h;
    });
  }
}

function act(a: NonNullable<ConcatSquashNetOptions['activation']>, x: Tensor): Tensor {
  switch (a) {
    case 'tanh': return x.tanh();
    case 'softplus': return x.softplus();
    case 'relu': return x.relu();
    case 'sigmoid': return x.sigmoid();
    default: throw new InvalidArgumentError(`unknown activation '${String(a)}'`);
  }
}
