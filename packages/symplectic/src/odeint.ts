/**
 * `odeint`: solve dy/dt = f(t, y; θ) at the output times, differentiable with respect to y0 and θ by the
 * chosen gradient method. Every method but 'backprop' solves forward without a graph and attaches its
 * backward as one custom op of the tensor library, so `grad(loss, [y0, ...θ])` and `loss.backward()` work.
 */
import { customVjp, isGradEnabled, noGrad, type Tensor } from '@sympode/tensor';
import { GradientAccumulator } from './gradients/accumulator.js';
import { continuousAdjoint } from './gradients/continuous-adjoint.js';
import { differentiableBackward } from './gradients/replay.js';
import { reverseSweep } from './gradients/reverse-sweep.js';
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
  const recording = isGradEnabled();
  const finishForward = () => {
    stats.acceptedSteps = istats.acceptedSteps;
    stats.rejectedSteps = istats.rejectedSteps;
    stats.nfeForward = fwd.nfe;
    publish();
  };

  // Backprop records whatever f reads that requires grad (closure parameters included).
  if (recording && o.gradient === 'backprop') {
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
  // The parameters: those given, plus what f's first evaluation reads that requires grad.
  const params = o.params.filter((p) => p.requiresGrad);
  let needsGrad = recording && (y0.requiresGrad || params.length > 0);
  const perStep = o.gradient === 'symplectic-adjoint' || o.gradient === 'checkpoint';
  const ctx = new StepContext(dev, o.tableau, field, y0.shape, fwd);
  if (recording) {
    ctx.probe = (found) => {
      for (const p of found) if (!params.includes(p)) params.push(p);
      needsGrad ||= params.length > 0;
    };
  }
  let ys: Tensor;
  try {
    // The tidy frees whatever a failed solve left behind; ys survives, and the kept checkpoints do too.
    ys = await noGrad(() =>
      dev.tidy(() =>
        integrateNoGraph(ctx, y0, times, iopts, istats, (step) => {
          if (!needsGrad || !perStep) return false;
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

  // The continuous adjoint reads the forward solution: hold our own handle, so the caller may dispose ys
  // (or a tidy may) before backward.
  const ysHeld = o.gradient === 'adjoint' ? dev.keep(ys.detach()) : null;
  const release = () => dev.dispose(checkpoints.map((c) => c.y), ysHeld);
  const backward = async (g: Tensor, needs: readonly boolean[], saved: Tensor[]): Promise<(Tensor | null)[]> => {
    const bwd = { nfe: 0 };
    const sctx = () => new StepContext(dev, o.tableau, field, y0.shape, bwd);
    let result: (Tensor | null)[];
    if (isGradEnabled()) {
      // createGraph: only the per-step methods get here (the continuous adjoint's op is not differentiable).
      result = await differentiableBackward(sctx(), saved[0], params, checkpoints, times, g, needs);
    } else {
      const acc = new GradientAccumulator(params);
      let gy0: Tensor;
      if (o.gradient === 'adjoint') {
        const bstats: IntegrateStats = { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] };
        gy0 = await continuousAdjoint({
          f: field, tableau: o.tableau, times, ys: ysHeld!, gradOutput: g, acc, counter: bwd, stats: bstats,
          checkFinite: o.checkBackward, dir,
          opts: { rtol: o.adjointRtol, atol: o.adjointAtol, maxSteps: o.maxSteps, stepSize: o.stepSize },
        });
        stats.backwardSteps = bstats.acceptedSteps + bstats.rejectedSteps;
      } else {
        gy0 = await reverseSweep(sctx(), checkpoints, times, g, acc, { method: o.gradient as 'symplectic-adjoint' | 'checkpoint', checkFinite: o.checkBackward, dir });
      }
      result = [gy0, ...acc.take(params)];
    }
    stats.nfeBackward = bwd.nfe;
    publish();
    return result;
  };
  return customVjp(`odeint(${o.tableau.name}, ${o.gradient})`, [y0, ...params], ys, backward, {
    onRelease: perStep || ysHeld ? release : undefined,
    // The per-step methods replay with a graph under createGraph; the continuous adjoint cannot.
    differentiableBackward: perStep,
    save: perStep ? [y0] : [],
  });
}
