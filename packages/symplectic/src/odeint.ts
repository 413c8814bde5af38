/**
 * `odeint`: solve dy/dt = f(t, y; θ) at the output times, differentiable with respect to y0 and θ by the
 * chosen gradient method. Every method but 'backprop' solves forward without a graph and attaches its
 * backward as one custom op of the tensor library, so `grad(loss, [y0, ...θ])` and `loss.backward()` work.
 */
import { customVjp, isGradEnabled, noGrad, type Tensor } from '@sympode/tensor';
import { GradientAccumulator } from './gradients/accumulator.js';
import { checkpointStep } from './gradients/checkpoint.js';
import { continuousAdjoint } from './gradients/continuous-adjoint.js';
import { SymplecticAdjoint } from './gradients/symplectic-adjoint.js';
import { integrateNoGraph, integrateWithGraph, type AcceptedStep, type IntegrateStats } from './integrate.js';
import { checkInitialState, checkTimes, resolveOptions, type OdeintOptions, type OdeintStats } from './options.js';
import { StepContext, type OdeFunc } from './rk-stepper.js';

/**
 * Solves the ODE and returns the solution at `t` as a tensor of shape [t.length, ...y0.shape] (row 0 is y0).
 *
 * @param f     the vector field f(t, y) → dy/dt (same shape as y); may read parameters from its closure
 * @param y0    initial state (any shape)
 * @param t     output times, strictly increasing or strictly decreasing
 * @param options method, tolerances, gradient method, parameters θ (see OdeintOptions)
 */
export async function odeint(f: OdeFunc, y0: Tensor, t: readonly number[], options: OdeintOptions = {}): Promise<Tensor> {
  const o = resolveOptions(options);
  const dir = checkTimes(t);
  await checkInitialState(y0);
  // Decreasing time: solve s = −t forward with −f(−s, y).
  const times = dir === 1 ? [...t] : t.map((v) => -v);
  const field: OdeFunc =
    dir === 1
      ? f
      : async (s, y) => {
          const k = await f(-s, y);
          const r = k.neg();
          if (k !== y) k.dispose();
          return r;
        };
  const dev = y0.device;
  const stats: OdeintStats = {
    method: o.tableau.name, gradient: o.gradient, acceptedSteps: 0, rejectedSteps: 0,
    nfeForward: 0, nfeBackward: 0, backwardSteps: 0, stepEndTimes: [],
  };
  const publish = () => {
    if (options.stats) Object.assign(options.stats, stats, { stepEndTimes: stats.stepEndTimes.map((v) => dir * v) });
  };
  const fwd = { nfe: 0 };
  const istats: IntegrateStats = { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: stats.stepEndTimes };
  const iopts = { rtol: o.rtol, atol: o.atol, stepSize: o.stepSize, firstStep: o.firstStep, maxSteps: o.maxSteps };
  const needsGrad = isGradEnabled() && (y0.requiresGrad || o.params.some((p) => p.requiresGrad));
  const finishForward = () => {
    stats.acceptedSteps = istats.acceptedSteps;
    stats.rejectedSteps = istats.rejectedSteps;
    stats.nfeForward = fwd.nfe;
    publish();
  };

  if (needsGrad && o.gradient === 'backprop') {
    const ctx = new StepContext(dev, o.tableau, field, y0.shape, fwd);
    try {
      // The tidy frees whatever a failed solve left behind; on success only ys (and its graph) survives.
      return await dev.tidy(() => integrateWithGraph(ctx, y0, times, iopts, istats));
    } finally {
      ctx.dispose();
      finishForward();
    }
  }

  const checkpoints: AcceptedStep[] = [];
  const keep = needsGrad && (o.gradient === 'symplectic-adjoint' || o.gradient === 'checkpoint');
  const ctx = new StepContext(dev, o.tableau, field, y0.shape, fwd);
  let ys: Tensor;
  try {
    // The tidy frees whatever a failed solve left behind; ys survives, and the kept checkpoints do too.
    ys = await noGrad(() =>
      dev.tidy(() =>
        integrateNoGraph(ctx, y0, times, iopts, istats, (step) => {
          if (!keep) return false;
          // y0 is the caller's: share it; later states become checkpoints.
          const y = step.y === y0 ? y0.detach() : step.y;
          if (step.y !== y0) dev.memory.relabel(y, 'checkpoints');
          // Kept: a tidy enclosing odeint must not free them before backward (onRelease frees them).
          checkpoints.push({ ...step, y: dev.keep(y) });
          return true;
        }),
      ),
    );
  } catch (e) {
    // Kept checkpoints escape the tidy: a failed solve frees them here.
    dev.dispose(checkpoints.map((c) => c.y));
    throw e;
  } finally {
    ctx.dispose();
    finishForward();
  }
  if (!needsGrad) return ys;

  const params = o.params;
  // The continuous adjoint reads the forward solution: hold our own handle, so the caller may dispose ys
  // (or a tidy may) before backward.
  const ysHeld = o.gradient === 'adjoint' ? dev.keep(ys.detach()) : null;
  const release = () => dev.dispose(checkpoints.map((c) => c.y), ysHeld);
  const backward = async (g: Tensor): Promise<(Tensor | null)[]> => {
    const acc = new GradientAccumulator(params);
    const bwd = { nfe: 0 };
    let gy0: Tensor;
    if (o.gradient === 'adjoint') {
      const bstats: IntegrateStats = { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] };
      gy0 = await continuousAdjoint({
        f: field, tableau: o.tableau, times, ys: ysHeld!, gradOutput: g, acc, counter: bwd, stats: bstats,
        opts: { rtol: o.adjointRtol, atol: o.adjointAtol, maxSteps: o.maxSteps, stepSize: o.stepSize },
      });
      stats.backwardSteps = bstats.acceptedSteps + bstats.rejectedSteps;
    } else {
      gy0 = await reverseSweep(new StepContext(dev, o.tableau, field, y0.shape, bwd), checkpoints, times, g, acc, o.gradient as 'symplectic-adjoint' | 'checkpoint');
    }
    stats.nfeBackward = bwd.nfe;
    publish();
    return [gy0, ...acc.take(params)];
  };
  const onRelease = keep || ysHeld ? release : undefined;
  return customVjp(`odeint(${o.tableau.name}, ${o.gradient})`, [y0, ...params], ys, backward, onRelease);
}

/** λ from the last output back to y0 through the checkpoints, adding ∂L/∂y(t_k) at each output time. */
async function reverseSweep(
  ctx: StepContext,
  checkpoints: readonly AcceptedStep[],
  times: readonly number[],
  g: Tensor,
  acc: GradientAccumulator,
  method: 'symplectic-adjoint' | 'checkpoint',
): Promise<Tensor> {
  const dev = ctx.device;
  const T = times.length;
  const gRow = (k: number) => dev.tidy(() => g.narrow(0, k, 1).reshape(ctx.shape));
  const adj = method === 'symplectic-adjoint' ? new SymplecticAdjoint(ctx, acc) : null;
  let lambda = dev.memory.scope('adjoint', () => gRow(T - 1));
  let k = T - 1;
  try {
    for (let i = checkpoints.length - 1; i >= 0; i--) {
      const step = checkpoints[i];
      lambda = adj ? await adj.step(step, lambda) : await checkpointStep(ctx, step, lambda, acc);
      if (k > 0 && step.t === times[k - 1]) {
        k--;
        const next = dev.memory.scope('adjoint', () => dev.tidy(() => lambda.add(gRow(k))));
        lambda.dispose();
        lambda = next;
      }
    }
    return lambda;
  } finally {
    adj?.dispose();
    ctx.dispose();
  }
}
