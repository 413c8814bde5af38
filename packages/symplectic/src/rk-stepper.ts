/**
 * One explicit Runge–Kutta step, two ways:
 * - `stepNoGraph`: the solver's fast path. Stage derivatives k_i live in one [s, n] buffer; each stage state
 *   Y_i = y + h Σ_j a_ij k_j is one fused `rkCombine` dispatch and each k_i one copy into its row, so a stage
 *   costs f's own dispatches + 2, and the error ratio one more per step (one readback).
 * - `stepWithGraph`: the same arithmetic with differentiable tensor ops (backprop and ACA record it).
 */
import { enableGrad, graphLeaves, ShapeError, type Device, type Tensor } from '@sympode/tensor';
import type { Tableau } from './tableaus.js';

export type OdeFunc = (t: number, y: Tensor) => Tensor | Promise<Tensor>;

/** Evaluation counters a solve fills in. */
export interface EvalCounter {
  nfe: number;
}

/** What a step needs besides its state: the problem and the place its stage derivatives go. */
export class StepContext {
  readonly s: number;
  readonly n: number;
  /** Stage derivatives, row i = k_i (label 'stages'). */
  readonly K: Tensor;

  constructor(
    readonly device: Device,
    readonly tableau: Tableau,
    readonly f: OdeFunc,
    readonly shape: readonly number[],
    readonly counter: EvalCounter,
  ) {
    this.s = tableau.b.length;
    this.n = shape.reduce((p, d) => p * d, 1);
    this.K = device.memory.scope('stages', () => device.zeros([this.s, this.n]));
  }

  /**
   * Set to receive, once, the tensors requiring grad that f reads (parameters in its closure): the next
   * evaluation records f's graph to find them, then returns a plain result.
   */
  probe: ((leaves: Tensor[]) => void) | null = null;

  /**
   * f(t, y), shape-checked, counted, its allocations labelled 'network'. A tidy frees whatever temporaries f
   * leaves behind (its graph keeps what backward needs).
   */
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

  /** FSAL: f at the last stage of the step just taken, until it becomes the next step's k_0 (or is dropped). */
  private lastK: Tensor | null = null;

  /** Holds its own handle on k (shared storage), so the caller disposes k as usual. */
  setLastK(k: Tensor): void {
    this.dropLastK();
    this.lastK = k.detach();
  }

  /** Accepted FSAL step: the last stage's f becomes row 0 (from its own buffer: no same-buffer copy). */
  promoteLastK(): void {
    if (!this.lastK) throw new Error('internal: no last stage to reuse');
    this.writeRow(this.K, 0, this.lastK);
    this.dropLastK();
  }

  dropLastK(): void {
    this.lastK?.dispose();
    this.lastK = null;
  }

  /** Writes a state-shaped tensor into row `i` of an [rows, n] buffer. */
  writeRow(buf: Tensor, i: number, v: Tensor): void {
    this.device.backend.copy(v._raw, { offset: 0, strides: [1] }, buf._raw, { offset: i * this.n, strides: [1] }, [this.n]);
  }

  /** out = y + h Σ_j coeffs[j] rows[j] in one dispatch, allocated under `label`. */
  combine(y: Tensor, rows: Tensor, coeffs: readonly number[], h: number, label = 'stages'): Tensor {
    const out = this.device.memory.scope(label, () => this.device._empty(this.shape));
    this.device.backend.rkCombine(y._raw, rows._raw, coeffs, h, out._raw, this.n);
    return out;
  }

  /** Row i of the stage matrix a, padded with zeros to s entries. */
  aRow(i: number): number[] {
    const row = new Array<number>(this.s).fill(0);
    this.tableau.a[i].forEach((v, j) => (row[j] = v));
    return row;
  }

  dispose(): void {
    this.dropLastK();
    this.K.dispose();
  }
}

export interface NoGraphStepOptions {
  /** Row 0 of K already holds f(t, y) (FSAL reuse, or a retried step). */
  k0Ready?: boolean;
  /** Receives the stage states Y_1..Y_{s-1} instead of having them freed (Y_0 is y itself). */
  keepStages?: Tensor[];
  /** Stop once the last stage state is built: no f at it, no y1 (the adjoint's recomputation). */
  stagesOnly?: boolean;
}

/**
 * One step from (t, y) of size h without a graph. Returns y1 (for FSAL tableaus exactly the last stage state,
 * as torchdiffeq does), or null with `stagesOnly`.
 */
export async function stepNoGraph(ctx: StepContext, t: number, y: Tensor, h: number, opts: NoGraphStepOptions = {}): Promise<Tensor | null> {
  const { tableau, s, K } = ctx;
  const { k0Ready = false, keepStages, stagesOnly = false } = opts;
  let y1: Tensor | null = null;
  for (let i = 0; i < s; i++) {
    if (i === 0 && k0Ready) continue;
    const Yi = i === 0 ? y : ctx.combine(y, K, ctx.aRow(i), h);
    if (stagesOnly && i === s - 1) {
      if (i > 0) keepStages?.push(Yi);
      return null;
    }
    const k = await ctx.eval(t + tableau.c[i] * h, Yi);
    ctx.writeRow(K, i, k);
    if (tableau.fsal && i === s - 1 && !stagesOnly) ctx.setLastK(k);
    if (k !== Yi && k !== y) k.dispose();
    if (i === 0) continue;
    if (tableau.fsal && i === s - 1) y1 = Yi;
    else if (keepStages) keepStages.push(Yi);
    else Yi.dispose();
  }
  if (keepStages && y1) keepStages.push(y1.detach());
  if (stagesOnly) return null;
  return y1 ?? ctx.combine(y, K, tableau.b, h);
}

/** The error ratio of the step just taken (RMS of the scaled error estimate), read back as one number. */
export async function errorRatio(ctx: StepContext, y0: Tensor, y1: Tensor, h: number, rtol: number, atol: number): Promise<number> {
  const r = ctx.device._empty([1]);
  ctx.device.backend.rkErrorRatio(y0._raw, y1._raw, ctx.K._raw, ctx.tableau.e!, h, rtol, atol, r._raw, ctx.n);
  const v = (await r.data())[0];
  r.dispose();
  return v;
}

/** y + Σ_j (h·coeffs[j])·ks[j] with differentiable ops (zero coefficients skipped). */
function combineGraph(y: Tensor, ks: readonly Tensor[], coeffs: readonly number[], h: number): Tensor {
  let acc = y;
  for (let j = 0; j < ks.length; j++) {
    if (!coeffs[j]) continue;
    const term = ks[j].mul(h * coeffs[j]);
    const next = acc.add(term);
    term.dispose();
    if (acc !== y) acc.dispose();
    acc = next;
  }
  return acc === y ? y.clone() : acc;
}

/**
 * One step with a recorded graph: returns y1 and the stage derivatives (k0 reused when given, for FSAL).
 * The caller owns everything returned.
 */
export async function stepWithGraph(ctx: StepContext, t: number, y: Tensor, h: number, k0?: Tensor): Promise<{ y1: Tensor; ks: Tensor[] }> {
  const { tableau, s } = ctx;
  const ks: Tensor[] = [];
  let y1: Tensor | null = null;
  for (let i = 0; i < s; i++) {
    const Yi = i === 0 ? y : ctx.device.memory.scope('stages', () => combineGraph(y, ks, tableau.a[i], h));
    ks.push(i === 0 && k0 ? k0 : await ctx.eval(t + tableau.c[i] * h, Yi));
    if (i === 0) continue;
    if (tableau.fsal && i === s - 1) y1 = Yi;
    else Yi.dispose();
  }
  y1 ??= ctx.device.memory.scope('stages', () => combineGraph(y, ks, tableau.b, h));
  return { y1, ks };
}
