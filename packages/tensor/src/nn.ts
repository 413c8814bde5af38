/**
 * Neural-network building blocks: Module, Linear (PyTorch layout and default init), MLP. Parameters are
 * allocated under the memory label 'parameters' and kept out of `tidy`.
 */
import type { Device } from './device.js';
import { InvalidArgumentError, NonFiniteError, ShapeError } from './errors.js';
import { describe } from './args.js';
import { checkSeed } from './random.js';
import { sameDevice } from './ops/common.js';
import { linear, type LinearActivation } from './ops/linear.js';
import { fmt, sameShape } from './shape.js';
import type { Tensor } from './tensor.js';

/** Serialised parameters: name → shape and values. */
export type StateDict = Record<string, { shape: number[]; data: number[] }>;

/** A network: named parameters (kept out of `tidy`, label 'parameters') and a forward function. */
export abstract class Module {
  /** Parameters with dotted names, in a stable order. */
  abstract namedParameters(): [string, Tensor][];
  abstract forward(x: Tensor): Tensor;

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Number of scalar parameters. */
  get parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Parameter values as JSON-ready data. */
  async stateDict(): Promise<StateDict> {
    const out: StateDict = {};
    for (const [name, p] of this.namedParameters()) out[name] = { shape: [...p.shape], data: Array.from(await p.data()) };
    return out;
  }

  /**
   * Overwrites parameters in place from `stateDict()` output. All or nothing: every entry is checked (names,
   * shapes, value count, finite numbers) before any parameter is written.
   */
  loadStateDict(state: StateDict): void {
    const named = this.namedParameters();
    const values = checkStateDict(state, named);
    named.forEach(([, p], i) => {
      p._storage.bump('loadStateDict');
      p.device.backend.write(p._raw, values[i], 0);
    });
  }

  /** Frees the parameters (and their gradients). */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }

  /** `using net = new nn.MLP(…)`: frees the parameters when the block ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The values of `state` in the order of `named`, or a typed error naming the first bad entry. */
function checkStateDict(state: unknown, named: readonly [string, Tensor][]): ArrayLike<number>[] {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new InvalidArgumentError(`loadStateDict: expected an object of { shape, data } entries (stateDict() output), got ${describe(state)}`);
  }
  const names = new Set(named.map(([n]) => n));
  const unexpected = Object.keys(state).filter((k) => !names.has(k));
  if (unexpected.length) {
    throw new InvalidArgumentError(`loadStateDict: unexpected parameter${unexpected.length > 1 ? 's' : ''} ${unexpected.map((k) => `'${k}'`).join(', ')}; the module has ${[...names].join(', ')}`);
  }
  return named.map(([name, p]) => {
    p._check();
    const entry = (state as Record<string, unknown>)[name];
    if (entry === undefined) throw new InvalidArgumentError(`loadStateDict: missing parameter '${name}' (every parameter must be given)`);
    const { shape, data } = (entry ?? {}) as { shape?: unknown; data?: unknown };
    if (!Array.isArray(shape)) throw new InvalidArgumentError(`loadStateDict: '${name}' needs { shape, data }; its shape is ${describe(shape)}`);
    if (!sameShape(shape, p.shape)) throw new ShapeError(`loadStateDict: '${name}' has shape ${fmt(shape)}, the module expects ${fmt(p.shape)}`);
    if (!Array.isArray(data) && !(ArrayBuffer.isView(data) && !(data instanceof DataView))) {
      throw new InvalidArgumentError(`loadStateDict: '${name}'.data is ${describe(data)}; expected an array of numbers`);
    }
    const values = data as ArrayLike<unknown>;
    if (values.length !== p.size) throw new ShapeError(`loadStateDict: '${name}' has ${values.length} values for shape ${fmt(p.shape)} (${p.size} expected)`);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number') throw new InvalidArgumentError(`loadStateDict: '${name}'.data[${i}] is ${describe(v)}; expected a number`);
      if (!Number.isFinite(v)) throw new NonFiniteError(`loadStateDict: '${name}'.data[${i}] is ${v}; parameters must be finite`);
    }
    return values as ArrayLike<number>;
  });
}

function param(device: Device, shape: number[], bound: number, seed: number | undefined): Tensor {
  const t = device.memory.scope('parameters', () => device.rand(shape, -bound, bound, { seed, requiresGrad: true }));
  return device.keep(t);
}

/** Options of {@link Linear}. */
export interface LinearOptions {
  bias?: boolean;
  /** Seed for the init; omitted: the device's random stream. */
  seed?: number;
}

/** y = x·Wᵀ + b with W of shape [out, in]; init U(−1/√in, 1/√in) for W and b (PyTorch's default). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly device: Device, readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    if (!(Number.isInteger(inFeatures) && Number.isInteger(outFeatures) && inFeatures > 0 && outFeatures > 0)) {
      throw new InvalidArgumentError(`Linear(${String(inFeatures)}, ${String(outFeatures)}): sizes must be positive integers`);
    }
    if (opts.seed !== undefined) checkSeed(`Linear(${inFeatures}, ${outFeatures})`, opts.seed);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = param(device, [outFeatures, inFeatures], bound, opts.seed);
    this.bias = opts.bias === false ? null : param(device, [outFeatures], bound, opts.seed === undefined ? undefined : opts.seed + 1);
  }

  namedParameters(): [string, Tensor][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }

  /** act(x·Wᵀ + b), one fused kernel (see `linear`); `activation` defaults to the identity. */
  forward(x: Tensor, activation: LinearActivation = 'identity'): Tensor {
    sameDevice('Linear', x, this.weight);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input ${fmt(x.shape)} has ${x.shape[x.rank - 1]} features`);
    }
    return linear(x, this.weight, this.bias, activation);
  }
}

/** An activation by name, or any tensor function. */
export type Activation = 'tanh' | 'relu' | 'sigmoid' | 'softplus' | ((x: Tensor) => Tensor);

function activate(a: Activation, x: Tensor): Tensor {
  switch (a) {
    case 'tanh': return x.tanh();
    case 'relu': return x.relu();
    case 'sigmoid': return x.sigmoid();
    case 'softplus': return x.softplus();
    default:
      if (typeof a === 'function') return a(x);
      throw new InvalidArgumentError(`unknown activation '${String(a)}'`);
  }
}

/** Options of {@link MLP}. */
export interface MLPOptions {
  /** Seed: layer i uses seed + 2i (weight) and seed + 2i + 1 (bias). */
  seed?: number;
}

/** Linear layers of `sizes` with `activation` between them (none after the last). */
export class MLP extends Module {
  readonly layers: Linear[];

  constructor(device: Device, readonly sizes: readonly number[], readonly activation: Activation = 'tanh', opts: MLPOptions = {}) {
    super();
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new InvalidArgumentError(`MLP needs an array of at least two layer sizes, got ${Array.isArray(sizes) ? fmt(sizes) : describe(sizes)}`);
    }
    if (typeof activation === 'string' && !['tanh', 'relu', 'sigmoid', 'softplus'].includes(activation)) {
      throw new InvalidArgumentError(`unknown activation '${activation}' (expected tanh, relu, sigmoid or softplus)`);
    }
    this.layers = sizes.slice(1).map((out, i) => new Linear(device, sizes[i], out, { seed: opts.seed === undefined ? undefined : opts.seed + 2 * i }));
  }

  namedParameters(): [string, Tensor][] {
    return this.layers.flatMap((l, i) => l.namedParameters().map(([n, p]): [string, Tensor] => [`layers.${i}.${n}`, p]));
  }

  /**
   * Intermediate activations are disposed as soon as the next layer consumed them (the graph keeps what
   * backward needs). A named activation is fused into its layer's kernel: one dispatch a layer.
   */
  forward(x: Tensor): Tensor {
    const a = this.activation;
    const fused = typeof a === 'string';
    const last = this.layers.length - 1;
    let h = x;
    for (let i = 0; i <= last; i++) {
      const z = this.layers[i].forward(h, fused && i < last ? a : 'identity');
      if (h !== x) h.dispose();
      if (i < last && !fused) {
        h = activate(a, z);
        z.dispose();
      } else {
        h = z;
      }
    }
    return h;
  }
}
