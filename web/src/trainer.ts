/**
 * The page's model work: the spiral Neural ODE trained on one device (webgpu, or cpu when the browser has
 * none), its trajectory from y0 for the phase portrait, and a gradient check against the float64 cpu backend.
 * Browsers have no AsyncLocalStorage (`concurrentContexts` is false), so every call here must be awaited
 * before the next one starts: main.ts runs them through one queue.
 */
import { createDevice, grad, optim, type Device, type DeviceOptions, type MemoryStats, type Tensor, type TraceEvent } from '@sympode/tensor';
import { odeint, type GradientMethodName } from '@sympode/symplectic';
import { BatchSampler, SpiralModel, SPIRAL, spiralTimes, trueTrajectory } from '@sympode/cli/spiral';

type WebGpuOptions = Pick<DeviceOptions, 'gpu' | 'adapter' | 'device' | 'powerPreference'>;

export const BATCH_SIZE = 20;
export const BATCH_TIME = 10;
/** Points of the trajectory drawn in the phase portrait (the solver lands on each, so fewer is faster). */
export const PORTRAIT_POINTS = 250;

/** One training iteration as the page shows it. */
export interface StepRecord {
  iter: number;
  method: GradientMethodName;
  loss: number;
  steps: number;
  ms: number;
  /** Peak bytes of this iteration above what was live before it, total and by label. */
  peakBytes: number;
  peakByLabel: Record<string, number>;
  /**
   * Live bytes by label during the iteration (from the allocation trace, at most TIMELINE_POINTS samples);
   * emptied when the next iteration is recorded.
   */
  timeline: { timeMs: number; byLabel: Record<string, number> }[];
}

export const TIMELINE_POINTS = 300;

/**
 * The trace's live bytes by label, downsampled to at most `points` samples: in each run of consecutive events
 * the one with the most live bytes, so no peak is lost.
 */
function downsample(events: TraceEvent[], start: Record<string, number>, points: number): StepRecord['timeline'] {
  const live = { ...start };
  const out: StepRecord['timeline'] = [{ timeMs: 0, byLabel: { ...live } }];
  const per = Math.max(1, Math.ceil(events.length / points));
  let best: StepRecord['timeline'][number] | null = null, bestBytes = -1;
  events.forEach((e, i) => {
    live[e.label] = e.labelLiveBytes;
    if (e.liveBytes > bestBytes) {
      bestBytes = e.liveBytes;
      best = { timeMs: e.timeMs, byLabel: { ...live } };
    }
    if ((i + 1) % per === 0 || i === events.length - 1) {
      out.push(best!);
      best = null;
      bestBytes = -1;
    }
  });
  return out;
}

/** The gradient of one loss on a fixed batch, on the page's device and on the float64 cpu backend. */
export interface GradientCheck {
  method: GradientMethodName;
  backend: string;
  /** max |g − g64| / max |g64| over every parameter-gradient entry (normwise, ∞-norm). */
  maxRelError: number;
  /** max |g − g64| / |g64| over entries with |g64| > 1e-3 · max |g64| (elementwise, for information). */
  maxElementRelError: number;
  entries: number;
  loss: number;
  loss64: number;
}

export class Trainer {
  readonly times = spiralTimes();
  readonly portraitTimes: number[];
  readonly truePortrait: Float64Array;
  readonly history: StepRecord[] = [];
  private model: SpiralModel;
  private opt: optim.Adam;
  private sampler: BatchSampler;

  private constructor(
    readonly dev: Device,
    /** The float64 cpu device: ground truth and the reference of the gradient check. */
    readonly cpu: Device,
    readonly trueY: Float64Array,
    readonly rtol: number,
    readonly atol: number,
    readonly lr: number,
  ) {
    const stride = (this.times.length - 1) / (PORTRAIT_POINTS - 1);
    this.portraitTimes = Array.from({ length: PORTRAIT_POINTS }, (_, i) => this.times[Math.round(i * stride)]);
    this.truePortrait = Float64Array.from(this.portraitTimes.flatMap((_, i) => {
      const k = Math.round(i * stride);
      return [trueY[2 * k], trueY[2 * k + 1]];
    }));
    this.model = new SpiralModel(dev, 0);
    this.opt = new optim.Adam(this.model.mlp.parameters(), { lr });
    this.sampler = new BatchSampler(trueY, this.times, BATCH_TIME, BATCH_SIZE, 0);
  }

  /**
   * webgpu when asked for and available (its tolerances suit float32), else the cpu backend (float64, the
   * CLI's tolerances). `webgpu` hands in the page's own adapter (or GPU object, or device): createDevice
   * accepts them, and would otherwise ask navigator.gpu itself. Throws what createDevice throws.
   */
  static async create(backend: 'webgpu' | 'cpu', webgpu: WebGpuOptions = {}, lr = 0.01): Promise<Trainer> {
    const cpu = await createDevice({ backend: 'cpu' });
    const dev = backend === 'cpu' ? cpu : await createDevice({ backend: 'webgpu', ...webgpu });
    const trueY = await trueTrajectory(cpu, spiralTimes());
    const [rtol, atol] = dev.dtype === 'float32' ? [1e-5, 1e-6] : [1e-7, 1e-9];
    return new Trainer(dev, cpu, trueY, rtol, atol, lr);
  }

  get description(): string {
    const d = this.dev.backend.description;
    return d.includes(this.dev.dtype) ? d : `${d} (${this.dev.dtype})`;
  }

  /** Back to the initial parameters (seed 0), a fresh optimizer and sampler, an empty history. */
  reset(): void {
    this.opt.dispose();
    this.model.mlp.dispose();
    this.model = new SpiralModel(this.dev, 0);
    this.opt = new optim.Adam(this.model.mlp.parameters(), { lr: this.lr });
    this.sampler = new BatchSampler(this.trueY, this.times, BATCH_TIME, BATCH_SIZE, 0);
    this.history.length = 0;
  }

  /** One iteration: a random batch of windows, forward, backward by `method`, an Adam step. */
  async step(method: GradientMethodName): Promise<StepRecord> {
    const dev = this.dev;
    const batch = this.sampler.next();
    await dev.sync();
    const base = dev.memory.stats();
    dev.memory.resetPeak();
    const stats: Record<string, number> = {};
    const start = performance.now();
    const trace = dev.memory.startTrace();
    const loss = await dev.tidy(async () => {
      const y0 = dev.tensor(batch.y0, [BATCH_SIZE, 2]);
      const target = dev.tensor(batch.target, [BATCH_TIME, BATCH_SIZE, 2]);
      const pred = await odeint(this.model.f, y0, batch.t, {
        method: 'dopri5', rtol: this.rtol, atol: this.atol, params: this.model.mlp, gradient: method, stats,
      });
      const l = pred.sub(target).abs().mean();
      await l.backward();
      this.opt.step();
      this.opt.zeroGrad();
      return l.item();
    });
    dev.memory.stopTrace();
    const s = dev.memory.stats();
    const record: StepRecord = {
      iter: this.history.length + 1, method, loss, steps: stats.acceptedSteps ?? 0, ms: performance.now() - start,
      peakBytes: s.peakBytes - base.liveBytes,
      peakByLabel: Object.fromEntries(Object.entries(s.byLabel).map(([l, v]) => [l, v.peakBytes - (base.byLabel[l]?.liveBytes ?? 0)])),
      timeline: downsample(trace.events, Object.fromEntries(Object.entries(base.byLabel).map(([l, v]) => [l, v.liveBytes])), TIMELINE_POINTS),
    };
    const previous = this.history[this.history.length - 1];
    if (previous) previous.timeline = []; // only the latest iteration's timeline is kept
    this.history.push(record);
    return record;
  }

  /** The model's trajectory from y0 at the portrait's times, [PORTRAIT_POINTS · 2]. */
  async trajectory(): Promise<Float64Array> {
    const dev = this.dev;
    return dev.tidy(async () => {
      const y0 = dev.tensor([[...SPIRAL.y0]]);
      const ys = await dev.noGrad(() => odeint(this.model.f, y0, this.portraitTimes, { method: 'dopri5', rtol: this.rtol, atol: this.atol }));
      return Float64Array.from(await ys.data());
    });
  }

  /** Mean |y − y_true| of a trajectory from `trajectory()`. */
  trajectoryLoss(pred: Float64Array): number {
    let err = 0;
    for (let i = 0; i < pred.length; i++) err += Math.abs(pred[i] - this.truePortrait[i]);
    return err / pred.length;
  }

  memory(): MemoryStats {
    return this.dev.memory.stats();
  }

  /**
   * The gradient of a mean-squared loss on a fixed batch (sampler seed 1) with respect to every parameter,
   * at the initial parameters (seed 0), on the page's device and on the float64 cpu backend. Both start from
   * bit-identical inputs (the float64 side gets the float32-rounded parameters and data) and take the same
   * fixed rk4 steps (one per output interval), so the two solve the same discrete problem and differ only by
   * float32 rounding. (The adaptive dopri5 of training could accept different steps in float32 and float64.)
   */
  async gradientCheck(method: GradientMethodName = 'symplectic-adjoint'): Promise<GradientCheck> {
    const batch = new BatchSampler(this.trueY, this.times, BATCH_TIME, BATCH_SIZE, 1).next();
    const round = (xs: number[]) => (this.dev.dtype === 'float32' ? xs.map(Math.fround) : xs);
    const model = new SpiralModel(this.dev, 0);
    const ref = new SpiralModel(this.cpu, 0);
    ref.mlp.loadStateDict(await model.mlp.stateDict());
    const run = async (dev: Device, m: SpiralModel) =>
      dev.tidy(async () => {
        const y0 = dev.tensor(round(batch.y0), [BATCH_SIZE, 2]);
        const target = dev.tensor(round(batch.target), [BATCH_TIME, BATCH_SIZE, 2]);
        const pred = await odeint(m.f, y0, batch.t, { method: 'rk4', params: m.mlp, gradient: method });
        const loss = pred.sub(target).square().mean();
        const gs: Tensor[] = await grad(loss, m.mlp.parameters());
        const flat: number[] = [];
        for (const g of gs) flat.push(...(await g.data()));
        return { loss: await loss.item(), g: flat };
      });
    try {
      const a = await run(this.dev, model);
      const b = await run(this.cpu, ref);
      let scale = 0;
      for (const v of b.g) scale = Math.max(scale, Math.abs(v));
      let maxAbs = 0, maxElem = 0;
      for (let i = 0; i < b.g.length; i++) {
        const d = Math.abs(a.g[i] - b.g[i]);
        maxAbs = Math.max(maxAbs, d);
        if (Math.abs(b.g[i]) > 1e-3 * scale) maxElem = Math.max(maxElem, d / Math.abs(b.g[i]));
      }
      return {
        method, backend: this.description, maxRelError: maxAbs / scale, maxElementRelError: maxElem,
        entries: b.g.length, loss: a.loss, loss64: b.loss,
      };
    } finally {
      model.mlp.dispose();
      ref.mlp.dispose();
    }
  }
}
