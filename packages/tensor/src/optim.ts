/**
 * Optimisers that update parameters in place (the parameter's buffer is overwritten by a copy kernel), with
 * their state allocated under the memory label 'optimizer'. Temporaries of a step are freed before it returns.
 * Options, parameters and gradients are checked up front: a step updates every parameter or none.
 */
import { DisposedTensorError, InvalidArgumentError, ShapeError } from './errors.js';
import { noGrad } from './autograd.js';
import { describe } from './args.js';
import { contiguousView, fmt, sameShape } from './shape.js';
import { Tensor } from './tensor.js';

/** Writes `value` into `param`'s storage (no graph). */
function assign(param: Tensor, value: Tensor, op: string): void {
  const v = contiguousView(param.shape);
  param._storage.bump(op);
  param.device.backend.copy(value._raw, v, param._raw, v, param.shape);
}

/** `options` is an object whose keys are all known (a misspelt option would otherwise be ignored). */
function checkKeys(name: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${name}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new InvalidArgumentError(`${name}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/** A number option within [lo, hi) (or [lo, hi] when `closed`). */
function inRange(name: string, v: unknown, lo: number, hi: number, closed = false): number {
  if (typeof v !== 'number' || !(v >= lo) || !(closed ? v <= hi : v < hi)) {
    const range = `${lo} ≤ ${name} ${closed ? '≤' : '<'} ${hi === Infinity ? '∞' : hi}`;
    throw new InvalidArgumentError(`${name} must be a number with ${range}, got ${typeof v === 'number' ? v : describe(v)}`);
  }
  return v;
}

function checkLr(lr: unknown): number {
  if (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr)) {
    throw new InvalidArgumentError(`learning rate must be a positive finite number, got ${typeof lr === 'number' ? lr : describe(lr)}`);
  }
  return lr;
}

/** Parameters: a non-empty array of distinct live leaf tensors that require grad. */
function checkParams(name: string, params: unknown): void {
  if (!Array.isArray(params)) {
    throw new InvalidArgumentError(`${name}: params must be an array of tensors (e.g. module.parameters()), got ${describe(params)}`);
  }
  if (!params.length) throw new InvalidArgumentError(`${name}: no parameters`);
  params.forEach((p: unknown, i) => {
    if (!(p instanceof Tensor)) throw new InvalidArgumentError(`${name}: parameter ${i} is ${describe(p)}; expected a Tensor`);
    p._check();
    if (!p.requiresGrad) {
      throw new InvalidArgumentError(`${name}: parameter ${i} (shape ${fmt(p.shape)}) does not require grad; set requiresGrad = true or leave it out`);
    }
    if (!p.isLeaf) {
      throw new InvalidArgumentError(`${name}: parameter ${i} (shape ${fmt(p.shape)}) was computed by an op; optimise the leaf it came from (or a detach()-ed copy)`);
    }
    const j = params.indexOf(p);
    if (j !== i) throw new InvalidArgumentError(`${name}: parameter ${i} is the same tensor as parameter ${j}; list each once`);
  });
}

/** What SGD and Adam share: the parameter list, the checks of each step, `zeroGrad`, `dispose`. */
export abstract class Optimizer {
  /** Whether dispose() ran. @internal */
  protected disposed = false;

  constructor(readonly params: readonly Tensor[], private readonly kind: string) {
    checkParams(kind, params);
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
    this.checkStep();
    this.advance();
    noGrad(() => {
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i];
        if (!p.grad) continue;
        p.device.tidy(() => this.update(i, p, p.grad!));
      }
    });
  }

  /** Every parameter and gradient is usable before the first one is written. */
  private checkStep(): void {
    const name = this.kind;
    if (this.disposed) throw new InvalidArgumentError(`${name}.step() after dispose(): create a new optimizer`);
    this.params.forEach((p, i) => {
      if (p.isDisposed) {
        throw new DisposedTensorError(`${name}: parameter ${i} (shape ${fmt(p.shape)}) was disposed after the optimizer was created`);
      }
      p._check();
      const g: unknown = p.grad;
      if (g === null || g === undefined) return;
      if (!(g instanceof Tensor)) {
        throw new InvalidArgumentError(`${name}: parameter ${i} has a .grad that is ${describe(g)}; expected a Tensor or null`);
      }
      if (g.isDisposed) {
        throw new DisposedTensorError(`${name}: the .grad of parameter ${i} was disposed; set it to null (zeroGrad()) instead`);
      }
      if (g.device !== p.device) {
        throw new InvalidArgumentError(`${name}: the .grad of parameter ${i} lives on a different device (${g.device.kind}) from the parameter (${p.device.kind})`);
      }
      if (!sameShape(g.shape, p.shape)) {
        throw new ShapeError(`${name}: the .grad of parameter ${i} has shape ${fmt(g.shape)}, the parameter ${fmt(p.shape)}`);
      }
    });
  }

  /** Called once per step after the checks (Adam counts steps here). */
  protected advance(): void {}

  protected abstract update(i: number, p: Tensor, g: Tensor): void;

  /** Frees the optimiser state; the optimiser cannot step afterwards. A second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.freeState();
  }

  /** `using opt = new optim.Adam(…)`: frees the optimiser state when the block ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  protected abstract freeState(): void;
}

/** Options of {@link SGD} (PyTorch's meaning and defaults). */
export interface SGDOptions {
  lr: number;
  /** In [0, 1). Default 0. */
  momentum?: number;
  /** In [0, 1]: the share of each gradient left out of the velocity. Default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** L2 penalty, ≥ 0. Default 0. */
  weightDecay?: number;
}

/** SGD with optional momentum (PyTorch's formulation: v = μv + (1 − dampening)g, p -= lr·v). */
export class SGD extends Optimizer {
  private readonly velocity: (Tensor | null)[];

  constructor(params: readonly Tensor[], readonly options: SGDOptions) {
    super(params, 'SGD');
    checkKeys('SGD', options, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    checkLr(options.lr);
    const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = options;
    inRange('momentum', momentum, 0, 1);
    inRange('dampening', dampening, 0, 1, true);
    inRange('weightDecay', weightDecay, 0, Infinity);
    if (typeof nesterov !== 'boolean') throw new InvalidArgumentError(`nesterov must be true or false, got ${describe(nesterov)}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new InvalidArgumentError(`nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${momentum}, dampening ${dampening})`);
    }
    this.velocity = params.map(() => null);
  }

  protected update(i: number, p: Tensor, g0: Tensor): void {
    const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = this.options;
    let g = weightDecay ? g0.add(p.mul(weightDecay)) : g0;
    if (momentum) {
      const first = this.velocity[i] === null;
      const v = (this.velocity[i] ??= this.state(p));
      // The first step starts the velocity at g, undamped (as PyTorch does).
      assign(v, first ? g : v.mul(momentum).add(dampening ? g.mul(1 - dampening) : g), 'SGD.step');
      g = nesterov ? g.add(v.mul(momentum)) : v;
    }
    assign(p, p.sub(g.mul(lr)), 'SGD.step');
  }

  protected freeState(): void {
    for (const v of this.velocity) v?.dispose();
  }
}

/** Options of {@link Adam} (PyTorch's meaning and defaults). */
export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Decay rates of the moment estimates, each in [0, 1). Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator, > 0. Default 1e-8. */
  eps?: number;
  /** L2 penalty, ≥ 0. Default 0. */
  weightDecay?: number;
}

/**
 * Adam's state as JSON-ready data ({@link Adam.stateDict}): the step count and, per parameter (in the
 * optimiser's order), the first and second moment estimates, or null for a parameter not yet stepped.
 */
export interface AdamStateDict {
  /** Always 'Adam'. */
  kind: 'Adam';
  /** Steps taken (the bias correction's t). */
  step: number;
  /** Per parameter, in the optimiser's order: its moments, or null before its first step. */
  state: ({ m: { shape: number[]; data: number[] }; v: { shape: number[]; data: number[] } } | null)[];
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
    super(params, 'Adam');
    checkKeys('Adam', options, ['lr', 'betas', 'eps', 'weightDecay']);
    this.lr = checkLr(options.lr ?? 1e-3);
    const betas: unknown = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) {
      throw new InvalidArgumentError(`betas must be a pair [beta1, beta2], got ${describe(betas)}`);
    }
    this.betas = [inRange('betas[0]', betas[0], 0, 1), inRange('betas[1]', betas[1], 0, 1)];
    this.eps = options.eps ?? 1e-8;
    if (typeof this.eps !== 'number' || !(this.eps > 0) || !Number.isFinite(this.eps)) {
      throw new InvalidArgumentError(`eps must be a positive finite number, got ${typeof this.eps === 'number' ? this.eps : describe(this.eps)}`);
    }
    this.weightDecay = inRange('weightDecay', options.weightDecay ?? 0, 0, Infinity);
    this.m = params.map(() => null);
    this.v = params.map(() => null);
  }

  protected override advance(): void {
    this.t++;
  }

  protected update(i: number, p: Tensor, g0: Tensor): void {
    const [b1, b2] = this.betas;
    const g = this.weightDecay ? g0.add(p.mul(this.weightDecay)) : g0;
    const m = (this.m[i] ??= this.state(p));
    const v = (this.v[i] ??= this.state(p));
    assign(m, m.mul(b1).add(g.mul(1 - b1)), 'Adam.step');
    assign(v, v.mul(b2).add(g.square().mul(1 - b2)), 'Adam.step');
    const mhat = m.mul(1 / (1 - b1 ** this.t));
    const vhat = v.mul(1 / (1 - b2 ** this.t));
    assign(p, p.sub(mhat.div(vhat.sqrt().add(this.eps)).mul(this.lr)), 'Adam.step');
  }

  protected freeState(): void {
    for (const t of [...this.m, ...this.v]) t?.dispose();
  }

  /**
   * The step count and moment estimates as plain numbers (JSON round-trips them exactly), so a run saved
   * and restored with {@link Adam.loadStateDict} continues to the same numbers as one never stopped.
   * Hyper-parameters are not part of it: they come from the constructor.
   */
  async stateDict(): Promise<AdamStateDict> {
    const entry = async (t: Tensor) => ({ shape: [...t.shape], data: Array.from(await t.data()) });
    const state: AdamStateDict['state'] = [];
    for (let i = 0; i < this.params.length; i++) {
      const m = this.m[i], v = this.v[i];
      state.push(m && v ? { m: await entry(m), v: await entry(v) } : null);
    }
    return { kind: 'Adam', step: this.t, state };
  }

  /**
   * Restores {@link Adam.stateDict} output. All or nothing: the kind, step count, one entry per parameter,
   * shapes and finite values are all checked before any state is written.
   */
  loadStateDict(sd: AdamStateDict): void {
    const bad = (why: string) => new InvalidArgumentError(`Adam.loadStateDict: ${why}`);
    if (typeof sd !== 'object' || sd === null || (sd as { kind?: unknown }).kind !== 'Adam') {
      throw bad(`expected Adam.stateDict() output ({ kind: 'Adam', step, state }), got ${describe(sd)}`);
    }
    if (!Number.isInteger(sd.step) || sd.step < 0) throw bad(`step must be an integer ≥ 0, got ${describe(sd.step)}`);
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length) {
      throw bad(`state has ${Array.isArray(sd.state) ? sd.state.length : describe(sd.state)} entries; the optimiser has ${this.params.length} parameters`);
    }
    const values = sd.state.map((e, i) => {
      if (e === null) return null;
      const p = this.params[i];
      return (['m', 'v'] as const).map((k) => {
        const t = (e as Record<string, unknown>)[k] as { shape?: unknown; data?: unknown } | undefined;
        if (!t || !Array.isArray(t.shape) || !sameShape(t.shape as number[], p.shape)) {
          throw new ShapeError(`Adam.loadStateDict: state ${i}.${k} has shape ${t && Array.isArray(t.shape) ? fmt(t.shape as number[]) : describe(t)}, the parameter ${fmt(p.shape)}`);
        }
        const d = t.data;
        if (!Array.isArray(d) || d.length !== p.size || !d.every((x) => typeof x === 'number' && Number.isFinite(x))) {
          throw bad(`state ${i}.${k} needs ${p.size} finite numbers`);
        }
        return d as number[];
      });
    });
    if (this.disposed) throw bad('the optimiser was disposed');
    this.t = sd.step;
    values.forEach((mv, i) => {
      for (const [k, store] of [[0, this.m], [1, this.v]] as const) {
        if (mv === null) {
          store[i]?.dispose();
          store[i] = null;
          continue;
        }
        const t = (store[i] ??= this.state(this.params[i]));
        t._storage.bump('Adam.loadStateDict');
        t.device.backend.write(t._raw, mv[k], 0);
      }
    });
  }
}
