/**
 * The spiral of torchdiffeq's classic demo: dy/dt = (y³)·A with A = [[-0.1, 2], [-2, -0.1]], y0 = [2, 0],
 * t ∈ [0, 25] at 1000 points; the model is an MLP 2→50→2 (tanh) applied to y³, initialised as in the demo
 * (weights N(0, 0.1²), biases 0). Training samples random short windows of the true trajectory.
 *
 * The one home of this problem: `sympode train` and `sympode memory` use it, and the bench imports it as
 * `@sympode/cli/spiral` to time the main job's training iteration.
 */
import { nn, Rng, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';

/** The true dynamics dy/dt = (y³)·A, the initial state and the output grid. */
export const SPIRAL = {
  y0: [2, 0],
  A: [[-0.1, 2], [-2, -0.1]],
  t1: 25,
  points: 1000,
} as const;

/** Output times 0 … 25 (1000 points). */
export function spiralTimes(): number[] {
  return Array.from({ length: SPIRAL.points }, (_, i) => (SPIRAL.t1 * i) / (SPIRAL.points - 1));
}

/** The true trajectory [points, 2], solved in float64 with dopri5 (rtol 1e-10, atol 1e-12). */
export async function trueTrajectory(dev: Device, t: readonly number[]): Promise<Float64Array> {
  return dev.tidy(async () => {
    const A = dev.tensor(SPIRAL.A as unknown as number[][]);
    const y0 = dev.tensor([[...SPIRAL.y0]]);
    const ys = await odeint((_t, y) => y.pow(3).matmul(A), y0, t, { method: 'dopri5', rtol: 1e-10, atol: 1e-12 });
    return Float64Array.from(await ys.data());
  });
}

/** The model f(t, y) = MLP(y³). */
export class SpiralModel {
  readonly mlp: nn.MLP;

  constructor(readonly device: Device, seed: number) {
    this.mlp = new nn.MLP(device, [2, 50, 2], 'tanh', { seed });
    const rng = new Rng(seed);
    const state = Object.fromEntries(
      this.mlp.namedParameters().map(([name, p]) => [
        name,
        { shape: [...p.shape], data: Array.from({ length: p.size }, () => (name.endsWith('bias') ? 0 : 0.1 * rng.normal())) },
      ]),
    );
    this.mlp.loadStateDict(state);
  }

  /** dy/dt; disposes its own temporaries (the graph keeps what backward needs). */
  readonly f = (_t: number, y: Tensor): Tensor => {
    const y3 = y.pow(3);
    const out = this.mlp.forward(y3);
    y3.dispose();
    return out;
  };
}

/** One batch of windows, flattened row-major: y0 [batch, 2], times t [batchTime], target [batchTime, batch, 2]. */
export interface Batch {
  y0: number[];
  t: number[];
  target: number[];
}

/** Random windows of `batchTime` consecutive points starting at `batchSize` random indices (seeded). */
export class BatchSampler {
  private readonly rng: Rng;

  constructor(readonly trueY: Float64Array, readonly times: readonly number[], readonly batchTime: number, readonly batchSize: number, seed: number) {
    this.rng = new Rng(seed ^ 0x5bd1e995);
  }

  /** y0 [batch, 2], window times (starting at 0), target [batchTime, batch, 2]. */
  next(): Batch {
    const n = this.times.length - this.batchTime;
    const starts = Array.from({ length: this.batchSize }, () => Math.floor(this.rng.uniform() * n));
    const y0 = starts.flatMap((s) => [this.trueY[2 * s], this.trueY[2 * s + 1]]);
    const target: number[] = [];
    for (let k = 0; k < this.batchTime; k++) for (const s of starts) target.push(this.trueY[2 * (s + k)], this.trueY[2 * (s + k) + 1]);
    return { y0, t: this.times.slice(0, this.batchTime), target };
  }
}

/** How a batch is solved: dopri5 at these tolerances, gradients by `gradient`; `stats` receives the solve's counters. */
export interface SolveOptions {
  rtol: number;
  atol: number;
  gradient: GradientMethodName;
  stats?: Partial<OdeintStats>;
}

/** The batch loss mean |y − y_true| of the model's solve from `y0` [batch, 2] against `target` [t.length, batch, 2]. */
export async function batchLoss(model: SpiralModel, y0: Tensor, target: Tensor, t: number[], o: SolveOptions): Promise<Tensor> {
  const pred = await odeint(model.f, y0, t, { method: 'dopri5', rtol: o.rtol, atol: o.atol, params: model.mlp, gradient: o.gradient, stats: o.stats });
  return pred.sub(target).abs().mean();
}

/**
 * One training iteration, as `sympode train` runs it: the batch's loss, its gradient, one optimizer step.
 * Every temporary is freed (a tidy); returns the loss.
 */
export async function trainStep(model: SpiralModel, opt: { step(): void; zeroGrad(): void }, batch: Batch, o: SolveOptions): Promise<number> {
  const dev = model.device;
  const n = batch.y0.length / 2;
  return dev.tidy(async () => {
    const y0 = dev.tensor(batch.y0, [n, 2]);
    const target = dev.tensor(batch.target, [batch.t.length, n, 2]);
    const l = await batchLoss(model, y0, target, batch.t, o);
    await l.backward();
    opt.step();
    opt.zeroGrad();
    return l.item();
  });
}
