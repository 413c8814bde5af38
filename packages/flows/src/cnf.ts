/**
 * A continuous normalizing flow (Chen et al. 2018; FFJORD, Grathwohl et al. 2019): M blocks, block m
 * integrating dz/dt = g_m(t, z) over t ∈ [0, T] with its log-density change. Data x sits at t = 0 of the
 * first block, the base N(0, I) at t = T of the last:
 *   log p(x) = log N(z_M; 0, I) − Σ_m Δ_m,   Δ_m = −∫₀ᵀ tr(∂g_m/∂z) dt.
 * Any tableau, tolerance and gradient method of odeint applies (default: dopri5, rtol = atol = 1e-5 as in
 * FFJORD's toy experiments, the symplectic adjoint).
 */
import { concat, InvalidArgumentError, Rng, ShapeError, type Device, type RngState, type Tensor } from '@sympode/tensor';
import { odeint, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { ConcatSquashNet, type ConcatSquashNetOptions, type TimeNet } from './concat-squash.js';
import { augmentedLayout, cnfField, type AugmentedLayout, type Regularizers, type TraceEstimator } from './cnf-field.js';

/** Solver options a CNF passes to every odeint call (parameters are the blocks' own). */
export type CnfSolverOptions = Omit<OdeintOptions, 'params' | 'stats'>;

/** Options of {@link CNF}. */
export interface CNFOptions {
  /** Integration length of each block; default 0.5 (FFJORD's toy `--time_length`). */
  T?: number;
  /** Divergence computation; default 'exact' (D VJPs per evaluation: for small D). */
  trace?: TraceEstimator;
  /** Distribution of the Hutchinson noise; default 'gaussian' (FFJORD's default; 'rademacher' has lower variance). */
  noise?: 'gaussian' | 'rademacher';
  /** Seed of the noise stream (one draw per block per solve); default 0. */
  seed?: number;
  /** RNODE regularizers to integrate alongside. */
  regularizers?: Regularizers;
  /** odeint options (method, rtol, atol, gradient, ...). */
  solver?: CnfSolverOptions;
}

/** Per-call options of {@link CNF.encode} / {@link CNF.logProb}. */
export interface EncodeOptions {
  /** The Hutchinson noise per block ([B, D] row-major each) instead of the next draw of the stream. */
  noise?: readonly ArrayLike<number>[];
  /** Receives each block's solver counters. */
  stats?: Partial<OdeintStats>[];
}

/** What {@link CNF.encode} returns; per-sample quantities have shape [B]. */
export interface FlowResult {
  /** z at the base distribution, [B, D]. */
  z: Tensor;
  /** log p(x). */
  logProb: Tensor;
  /** Σ_m Δ_m = −∫ tr(∂g/∂z) dt over all blocks. */
  deltaLogp: Tensor;
  /** ∫‖g‖² dt over all blocks, when that regularizer is on. */
  kinetic: Tensor | null;
  /** ∫‖∂g/∂z‖_F² dt over all blocks, when that regularizer is on. */
  jacobianFrobenius: Tensor | null;
}

/** Options of {@link CNF.ffjord}. */
export interface FfjordOptions extends CNFOptions, ConcatSquashNetOptions {
  /** Hidden widths of each block's concat-squash net; default [64, 64, 64] (FFJORD's toy `--dims`). */
  hidden?: readonly number[];
  /** Number of stacked blocks M; default 1. */
  blocks?: number;
}

/** log N(z; 0, I) per row of z [B, D]. */
export function standardNormalLogProb(z: Tensor): Tensor {
  const D = z.shape[z.rank - 1];
  return z.device.tidy(() => z.square().sum(z.rank - 1).mul(-0.5).sub(0.5 * D * Math.log(2 * Math.PI)));
}

/** A continuous normalizing flow of M blocks (see the module comment). */
export class CNF {
  /** Integration length of each block. */
  readonly T: number;
  /** The augmented state's columns. */
  readonly layout: AugmentedLayout;
  private readonly rng: Rng;

  /**
   * @param dim  data dimension D
   * @param nets one network g_m(t, z) per block (block 0 meets the data)
   */
  constructor(readonly device: Device, readonly dim: number, readonly nets: readonly TimeNet[], readonly options: CNFOptions = {}) {
    if (!(Number.isInteger(dim) && dim > 0)) throw new InvalidArgumentError(`CNF: dim must be a positive integer, got ${dim}`);
    if (nets.length === 0) throw new InvalidArgumentError('CNF: needs at least one block (nets is empty)');
    this.T = options.T ?? 0.5;
    if (!(this.T > 0 && Number.isFinite(this.T))) throw new InvalidArgumentError(`CNF: T must be a positive number, got ${options.T}`);
    const noise = options.noise ?? 'gaussian';
    if (noise !== 'gaussian' && noise !== 'rademacher') throw new InvalidArgumentError(`CNF: noise must be 'gaussian' or 'rademacher', got '${String(noise)}'`);
    if (options.seed !== undefined && !Number.isFinite(options.seed)) throw new InvalidArgumentError(`CNF: seed must be a finite number, got ${options.seed}`);
    this.layout = augmentedLayout(dim, options.regularizers);
    this.rng = new Rng(options.seed ?? 0);
  }

  /** FFJORD's toy model: M blocks of concat-squash nets D → hidden… → D. */
  static ffjord(device: Device, dim: number, opts: FfjordOptions = {}): CNF {
    const hidden = opts.hidden ?? [64, 64, 64];
    const M = opts.blocks ?? 1;
    if (!(Number.isInteger(M) && M > 0)) throw new InvalidArgumentError(`CNF.ffjord: blocks must be a positive integer, got ${M}`);
    if (opts.seed !== undefined && !Number.isFinite(opts.seed)) throw new InvalidArgumentError(`CNF.ffjord: seed must be a finite number, got ${opts.seed}`);
    const nets = Array.from({ length: M }, (_, m) =>
      new ConcatSquashNet(device, [dim, ...hidden, dim], { activation: opts.activation, seed: opts.seed === undefined ? undefined : opts.seed + 1000 * m }));
    try {
      return new CNF(device, dim, nets, opts);
    } catch (e) {
      // A bad option the constructor found (T, noise, regularizers): the nets made for it are freed.
      for (const n of nets) n.dispose();
      throw e;
    }
  }

  /** Every block's parameters. */
  parameters(): Tensor[] {
    return this.nets.flatMap((n) => n.parameters());
  }

  private solver(m: number, stats: Partial<OdeintStats>[] | undefined): OdeintOptions {
    const s = this.options.solver ?? {};
    const out: OdeintOptions = { method: 'dopri5', rtol: 1e-5, atol: 1e-5, ...s, params: this.nets[m].parameters() };
    if (stats) out.stats = stats[m] ??= {};
    return out;
  }

  /**
   * The position of the noise stream (Hutchinson's ε), so a saved training run resumes to the same draws;
   * {@link CNF.setNoiseState} restores it.
   */
  noiseState(): RngState {
    return this.rng.getState();
  }

  /** Continues the noise stream from a {@link CNF.noiseState} position. */
  setNoiseState(state: RngState): void {
    this.rng.setState(state);
  }

  /** The next noise draw for one block: B·D values of the configured distribution. */
  private drawNoise(n: number): Float64Array {
    const v = new Float64Array(n);
    const rademacher = this.options.noise === 'rademacher';
    for (let i = 0; i < n; i++) v[i] = rademacher ? (this.rng.uniform() < 0.5 ? -1 : 1) : this.rng.normal();
    return v;
  }

  /**
   * Maps data x [B, D] to the base: z, log p(x), the log-density change and the regularizers. Differentiable
   * in x and the parameters by the solver's gradient method.
   */
  async encode(x: Tensor, opts: EncodeOptions = {}): Promise<FlowResult> {
    const { dim: D, layout: L } = this;
    if (x.rank !== 2 || x.shape[1] !== D) throw new ShapeError(`CNF: x must be [B, ${D}], got [${x.shape.join(', ')}]`);
    const B = x.shape[0];
    const trace = this.options.trace ?? 'exact';
    if (opts.noise && opts.noise.length !== this.nets.length) throw new InvalidArgumentError(`CNF: noise for ${opts.noise.length} blocks given, the flow has ${this.nets.length}`);
    // One draw per block per solve (only the Hutchinson trace uses it), held fixed across t.
    const noises = this.nets.map((_, m) => (trace === 'hutchinson' ? (opts.noise?.[m] ?? this.drawNoise(B * D)) : undefined));
    const dev = this.device;
    return dev.tidy(async () => {
      let s = concat([x, dev.zeros([B, L.width - D])], 1);
      for (const [m, net] of this.nets.entries()) {
        const f = cnfField(net, { dim: D, trace, noise: noises[m], regularizers: this.options.regularizers });
        const ys = await odeint(f, s, [0, this.T], this.solver(m, opts.stats));
        s = ys.narrow(0, 1, 1).reshape([B, L.width]);
      }
      const col = (c: number) => s.narrow(1, c, 1).reshape([B]);
      const z = s.narrow(1, 0, D);
      const deltaLogp = col(L.delta);
      return {
        z,
        logProb: standardNormalLogProb(z).sub(deltaLogp),
        deltaLogp,
        kinetic: L.kinetic >= 0 ? col(L.kinetic) : null,
        jacobianFrobenius: L.jacobian >= 0 ? col(L.jacobian) : null,
      };
    });
  }

  /** log p(x) for x [B, D]: shape [B]. */
  async logProb(x: Tensor, opts: EncodeOptions = {}): Promise<Tensor> {
    const r = await this.encode(x, opts);
    this.device.dispose(r.z, r.deltaLogp, r.kinetic, r.jacobianFrobenius);
    return r.logProb;
  }

  /** Maps base points z [B, D] to data space, integrating each block's g from T back to 0 (last block first). */
  async decode(z: Tensor, opts: Pick<EncodeOptions, 'stats'> = {}): Promise<Tensor> {
    const D = this.dim;
    if (z.rank !== 2 || z.shape[1] !== D) throw new ShapeError(`CNF: z must be [B, ${D}], got [${z.shape.join(', ')}]`);
    const dev = this.device;
    return dev.tidy(async () => {
      let x = z;
      for (let m = this.nets.length - 1; m >= 0; m--) {
        const net = this.nets[m];
        const ys = await odeint((t, y) => net.forward(t, y), x, [this.T, 0], this.solver(m, opts.stats));
        x = ys.narrow(0, 1, 1).reshape(z.shape);
      }
      return x === z ? z.clone() : x;
    });
  }

  /** Frees every block's parameters (for nets that can: see {@link TimeNet.dispose}). */
  dispose(): void {
    for (const n of this.nets) n.dispose?.();
  }

  /** `using flow = new CNF(…)`: frees the blocks' parameters when the block ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** n samples of the flow: z ~ N(0, I) (seeded), decoded. Shape [n, D]. */
  async sample(n: number, opts: { seed?: number } = {}): Promise<Tensor> {
    if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`CNF.sample: n must be a positive integer, got ${n}`);
    const z = this.device.randn([n, this.dim], { seed: opts.seed });
    try {
      return await this.decode(z);
    } finally {
      z.dispose();
    }
  }
}
