/**
 * The forward integration loop shared by every gradient method: steps between output times (clipped to land
 * on each), the adaptive controller (torchdiffeq's), FSAL reuse, the error checks. Two modes: without a graph
 * (the fast path; accepted steps are reported to `onAccept` so a method can keep checkpoints) and with a
 * recorded graph (backprop through the solver).
 */
import { stack, type Tensor } from '@sympode/tensor';
import { MaxStepsExceededError, NonFiniteStateError, StepSizeUnderflowError } from './solver-errors.js';
import { initialStepSize, nextStepSize } from './step-control.js';
import { errorRatio, stepNoGraph, stepWithGraph, type StepContext } from './rk-stepper.js';

export interface IntegrateOptions {
  rtol: number;
  atol: number;
  /** Fixed-step methods: the step size (the last step of each interval is shortened). */
  stepSize?: number;
  firstStep?: number;
  maxSteps: number;
}

/** Counters of one integration. */
export interface IntegrateStats {
  acceptedSteps: number;
  rejectedSteps: number;
  /** End times of the accepted steps. */
  stepEndTimes: number[];
}

/** An accepted step: start time, size, start state (the caller decides whether to keep it). */
export interface AcceptedStep {
  t: number;
  h: number;
  y: Tensor;
}

/**
 * Integrates without a graph. Returns the solution at `times` ([T, ...shape]). `onAccept` gets every accepted
 * step's start state and returns true to keep it (then the caller owns it; otherwise it is freed). A failed
 * solve frees everything it allocated.
 */
export async function integrateNoGraph(
  ctx: StepContext,
  y0: Tensor,
  times: readonly number[],
  opts: IntegrateOptions,
  stats: IntegrateStats,
  onAccept?: (step: AcceptedStep) => boolean,
): Promise<Tensor> {
  const dev = ctx.device;
  const ys = dev._empty([times.length, ...ctx.shape]);
  let y = y0;
  try {
    ctx.writeRow(ys, 0, y0);
    const tab = ctx.tableau;
    let t = times[0];
    let k0Ready = false;
    let h = 0;
    if (tab.adaptive) {
      const f0 = await ctx.eval(t, y0);
      try {
        ctx.writeRow(ctx.K, 0, f0);
        k0Ready = true;
        h = opts.firstStep ?? (await firstStepSize(ctx, t, y0, f0, opts));
      } finally {
        if (f0 !== y0) f0.dispose();
      }
    }
    for (let k = 1; k < times.length; k++) {
      const tNext = times[k];
      const fixed = tab.adaptive ? null : fixedSteps(times[k - 1], tNext, opts.stepSize);
      let j = 0;
      while (fixed ? j < fixed.length : t < tNext) {
        const { hStep, t1 } = planStep(t, fixed ? fixed[j] : h, tNext, fixed ? j === fixed.length - 1 : null, stats, opts.maxSteps);
        const y1 = (await stepNoGraph(ctx, t, y, hStep, { k0Ready }))!;
        const ratio = tab.adaptive ? await errorRatio(ctx, y, y1, hStep, opts.rtol, opts.atol) : 0;
        if (Number.isNaN(ratio) || ratio === Infinity) {
          y1.dispose();
          throw new NonFiniteStateError(`non-finite state or derivative in step ${stats.acceptedSteps + stats.rejectedSteps} (t = ${t}, h = ${hStep}): the error estimate is ${ratio}`);
        }
        if (tab.adaptive && ratio > 1) {
          stats.rejectedSteps++;
          ctx.dropLastK();
          y1.dispose();
          h = nextStepSize(hStep, ratio, tab.order);
          k0Ready = true; // row 0 still holds f(t, y)
          continue;
        }
        stats.acceptedSteps++;
        stats.stepEndTimes.push(t1);
        const kept = onAccept?.({ t, h: hStep, y }) ?? false;
        if (!kept && y !== y0) y.dispose();
        y = y1;
        t = t1;
        j++;
        if (tab.fsal) ctx.promoteLastK();
        k0Ready = tab.fsal;
        if (tab.adaptive) h = nextStepSize(hStep, ratio, tab.order);
      }
      if (!tab.adaptive) await checkFinite(y, times[k - 1], tNext, stats);
      ctx.writeRow(ys, k, y);
    }
  } catch (e) {
    // A failed solve frees what it allocated (the caller's y0 stays).
    ys.dispose();
    if (y !== y0) y.dispose();
    throw e;
  }
  if (y !== y0) y.dispose();
  return ys;
}

/**
 * Integrates with a recorded graph (backprop through the solver, step sizes held constant). Returns the
 * solution at `times` stacked into [T, ...shape], differentiable with respect to y0 and f's parameters.
 */
export async function integrateWithGraph(
  ctx: StepContext,
  y0: Tensor,
  times: readonly number[],
  opts: IntegrateOptions,
  stats: IntegrateStats,
): Promise<Tensor> {
  const dev = ctx.device;
  const tab = ctx.tableau;
  const outputs: Tensor[] = [y0];
  let y = y0;
  let t = times[0];
  let h = 0;
  let k0: Tensor | undefined;
  try {
    if (tab.adaptive) {
      k0 = await ctx.eval(t, y0);
      h = opts.firstStep ?? (await dev.noGrad(() => firstStepSize(ctx, t, y0, k0!, opts)));
    }
    for (let k = 1; k < times.length; k++) {
      const tNext = times[k];
      const fixed = tab.adaptive ? null : fixedSteps(times[k - 1], tNext, opts.stepSize);
      let j = 0;
      while (fixed ? j < fixed.length : t < tNext) {
        const { hStep, t1 } = planStep(t, fixed ? fixed[j] : h, tNext, fixed ? j === fixed.length - 1 : null, stats, opts.maxSteps);
        const { y1, ks } = await stepWithGraph(ctx, t, y, hStep, k0);
        let ratio = 0;
        if (tab.adaptive) {
          dev.noGrad(() => ks.forEach((kv, i) => ctx.writeRow(ctx.K, i, kv)));
          ratio = await errorRatio(ctx, y, y1, hStep, opts.rtol, opts.atol);
        }
        const fresh = ks.filter((kv) => kv !== k0);
        if (Number.isNaN(ratio) || ratio === Infinity) {
          dev.dispose(y1, fresh);
          throw new NonFiniteStateError(`non-finite state or derivative in step ${stats.acceptedSteps + stats.rejectedSteps} (t = ${t}, h = ${hStep}): the error estimate is ${ratio}`);
        }
        if (tab.adaptive && ratio > 1) {
          stats.rejectedSteps++;
          k0 = ks[0]; // f(t, y) stays valid for the retry
          dev.dispose(y1, fresh.filter((kv) => kv !== k0)); // frees the rest of the rejected step's graph
          h = nextStepSize(hStep, ratio, tab.order);
          continue;
        }
        stats.acceptedSteps++;
        stats.stepEndTimes.push(t1);
        const nextK0 = tab.fsal ? ks[ks.length - 1] : undefined;
        for (const kv of ks) if (kv !== nextK0) kv.dispose();
        k0 = nextK0;
        if (y !== y0 && !outputs.includes(y)) y.dispose();
        y = y1;
        t = t1;
        j++;
        if (tab.adaptive) h = nextStepSize(hStep, ratio, tab.order);
      }
      if (!tab.adaptive) await checkFinite(y, times[k - 1], tNext, stats);
      outputs.push(y);
    }
  } catch (e) {
    // A failed solve frees its graph and states (the caller's y0 stays).
    dev.dispose(outputs.filter((o) => o !== y0), y !== y0 && !outputs.includes(y) ? y : null, k0 ?? null);
    throw e;
  }
  k0?.dispose();
  const ys = stack(outputs, 0);
  for (const o of outputs) if (o !== y0) o.dispose();
  return ys;
}

/** Step sizes of one fixed-step output interval: `stepSize` steps, the last shortened; one step without it. */
function fixedSteps(t0: number, t1: number, stepSize?: number): number[] {
  const span = t1 - t0;
  if (stepSize === undefined) return [span];
  const m = Math.max(1, Math.ceil(span / stepSize - 1e-9));
  return Array.from({ length: m }, (_, i) => (i < m - 1 ? stepSize : span - (m - 1) * stepSize));
}

/**
 * The next step from t with size h: clipped to land on tNext (adaptive: when it would pass it; fixed: on the
 * interval's last step). Throws when the step budget is spent or h no longer advances t.
 */
function planStep(t: number, h: number, tNext: number, lastFixed: boolean | null, stats: IntegrateStats, maxSteps: number): { hStep: number; t1: number } {
  const taken = stats.acceptedSteps + stats.rejectedSteps;
  if (taken >= maxSteps) {
    throw new MaxStepsExceededError(`maxSteps (${maxSteps}) exceeded at t = ${t} (${stats.acceptedSteps} accepted, ${stats.rejectedSteps} rejected steps)`);
  }
  const clip = lastFixed ?? t + h > tNext;
  const hStep = clip ? tNext - t : h;
  const t1 = clip ? tNext : t + h;
  if (!(t1 > t) || hStep <= 0) throw new StepSizeUnderflowError(`step size underflow at t = ${t}: h = ${hStep} no longer advances t (step ${taken})`);
  return { hStep, t1 };
}

/** Fixed-step solves read no error ratio; they check the state once per output interval. */
async function checkFinite(y: Tensor, ta: number, tb: number, stats: IntegrateStats): Promise<void> {
  const s = y.device.noGrad(() => y.sum());
  const v = await s.item();
  s.dispose();
  if (!Number.isFinite(v)) {
    throw new NonFiniteStateError(`non-finite state between t = ${ta} and t = ${tb} (at or before step ${stats.acceptedSteps})`);
  }
}

async function firstStepSize(ctx: StepContext, t: number, y0: Tensor, f0: Tensor, opts: IntegrateOptions): Promise<number> {
  const dev = ctx.device;
  const [yv, fv] = [await y0.data(), await f0.data()];
  if (!fv.every(Number.isFinite)) throw new NonFiniteStateError(`non-finite derivative f(t0, y0) at t = ${t} (step 0)`);
  return initialStepSize(yv, fv, ctx.tableau.order, opts.rtol, opts.atol, async (h0) => {
    const y1 = dev.noGrad(() => dev.tidy(() => y0.add(f0.mul(h0))));
    const f1 = await dev.noGrad(() => ctx.eval(t + h0, y1));
    const v = await f1.data();
    dev.dispose(y1, f1);
    return v;
  });
}
