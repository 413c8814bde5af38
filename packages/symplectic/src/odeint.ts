/**
 * `odeint`: solve dy/dt = f(t, y; θ) at the output times, differentiable with respect to y0 and θ by the
 * chosen gradient method. Resolve options → look the method up → run it: backprop records the forward's
 * graph; every other method solves without a graph with its keeper (gradients/keepers.ts) taking what its
 * backward needs, and is attached as one custom op of the tensor library, so `grad(loss, [y0, ...θ])` and
 * `loss.backward()` work.
 */
import { customVjp, InvalidArgumentError, isGradEnabled, noGrad, Tensor } from '@sympode/tensor';
import { Field, type OdeFunc } from './field.js';
import { GradientAccumulator } from './gradients/accumulator.js';
import type { GradientMethod } from './gradients/method.js';
import { differentiableBackward, type StepSpan } from './gradients/replay.js';
import { GraphStepper } from './graph-stepper.js';
import { keepNothing, type ForwardKeep } from './gradients/keepers.js';
import { fixedStepCount, integrate, type IntegrateOptions, type IntegrateStats } from './integrate.js';
import { NoGraphStepper } from './no-graph-stepper.js';
import { ReversibleHeunStepper } from './reversible-heun.js';
import { reversibleRk, ReversibleRkStepper } from './reversible-rk.js';
import type { Stepper } from './stepper.js';
import { checkAbort } from './progress.js';
import { checkInitialState, checkTimes, resolveOptions, type OdeintOptions, type OdeintStats, type ResolvedOptions } from './options.js';

/** The stepper of a reversible solver: reversible RK on its base tableau, or reversible Heun. */
function reversibleStepper(field: Field, tableau: ResolvedOptions['tableau'], graph: boolean): Stepper {
  return reversibleRk(tableau) ? new ReversibleRkStepper(field, tableau, graph) : new ReversibleHeunStepper(field, graph);
}

/** Decreasing time: solve s = −t forward with −f(−s, y). */
function directed(f: OdeFunc, dir: 1 | -1): OdeFunc {
  if (dir === 1) return f;
  // Runs inside the Field's tidy, which frees k if f made it; a borrowed k (y, a closure tensor) stays.
  return async (s, y) => {
    const k = await f(-s, y);
    if (!(k instanceof Tensor) || k.isDisposed || k.device !== y.device) return k; // the Field says what is wrong
    return k.neg();
  };
}

/**
 * Solves the ODE and returns the solution at `t` as a tensor of shape [t.length, ...y0.shape] (row 0 is y0).
 *
 * @param f     the vector field f(t, y) → dy/dt (same shape as y); may read parameters from its closure
 * @param y0    initial state (any shape)
 * @param t     output times (an array or typed array of numbers), strictly increasing or strictly decreasing
 * @param options method, tolerances, gradient method, parameters θ (see OdeintOptions)
 */
export async function odeint(f: OdeFunc, y0: Tensor, t: readonly number[] | ArrayLike<number>, options: OdeintOptions = {}): Promise<Tensor> {
  // Every argument is checked before anything is allocated.
  if (typeof f !== 'function') throw new InvalidArgumentError(`f must be a function (t, y) => dy/dt, got ${f === null ? 'null' : typeof f}`);
  const o = resolveOptions(options);
  checkAbort(o.signal, () => 'odeint');
  const dir = checkTimes(t);
  await checkInitialState(y0, o);
  const dev = y0.device;
  o.params.forEach((p, i) => {
    if (p.device !== dev) {
      throw new InvalidArgumentError(`params[${i}] lives on a different device (${p.device.kind} ${p.device.dtype}) from y0 (${dev.kind} ${dev.dtype})`);
    }
  });
  const times = Array.from(t, (v) => dir * v);
  const method = o.gradient;
  const stats: OdeintStats = {
    method: o.tableau.name, gradient: method.name, acceptedSteps: 0, rejectedSteps: 0,
    nfeForward: 0, nfeBackward: 0, backwardSteps: 0, stepEndTimes: [], recomputedSteps: 0, recomputedNfe: 0,
  };
  const publish = () => {
    if (options.stats) Object.assign(options.stats, stats, { stepEndTimes: stats.stepEndTimes.map((v) => dir * v) });
  };
  const fwd = { nfe: 0 };
  const field = new Field(dev, directed(f, dir), y0.shape, fwd, dir);
  const istats: IntegrateStats = { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: stats.stepEndTimes };
  const iopts: IntegrateOptions = {
    rtol: o.rtol, atol: o.atol, stepSize: o.stepSize, firstStep: o.firstStep, maxSteps: o.maxSteps, controller: o.controller, norm: o.norm,
    outputs: o.outputs, sign: dir, signal: o.signal, onStep: o.onStep, phase: 'forward',
    maxStep: o.maxStep, stepTimes: o.stepTimes?.map((v) => dir * v).sort((a, b) => a - b),
  };
  const recording = isGradEnabled();
  const finishForward = () => {
    Object.assign(stats, { acceptedSteps: istats.acceptedSteps, rejectedSteps: istats.rejectedSteps, nfeForward: fwd.nfe });
    publish();
  };

  // Backprop records whatever f reads that requires grad (closure parameters included).
  if (recording && method.recordsGraph) {
    const stepper: Stepper = o.reversible ? reversibleStepper(field, o.tableau, true) : new GraphStepper(field, o.tableau);
    try {
      // The tidy frees whatever a failed solve left behind; on success only ys (and its graph) survives.
      return await dev.memory.phase('forward solve', () => dev.tidy(() => integrate(stepper, y0, times, iopts, istats)));
    } finally {
      stepper.dispose();
      finishForward();
    }
  }

  // The parameters: those given (each once: a tensor listed twice is one parameter), plus where f's graph
  // starts at its first evaluation: leaves it reads, and tensors computed from them before the solve.
  const params = [...new Set(o.params)].filter((p) => p.requiresGrad);
  let needsGrad = recording && (y0.requiresGrad || params.length > 0);
  if (recording) {
    field.probe = (found) => {
      for (const p of found) if (!params.includes(p)) params.push(p);
      needsGrad ||= params.length > 0;
    };
  }
  // (t, h) of every accepted step: numbers only, for the replays of second derivatives and 'recompute'.
  const steps: StepSpan[] = [];
  const stepper = o.reversible ? reversibleStepper(field, o.tableau, false) : new NoGraphStepper(field, o.tableau);
  // What the method's backward reads, kept by its keeper (gradients/keepers.ts) from this forward; a method
  // that records its graph solves here only under noGrad, where no backward follows.
  const keep = (method.keeper ?? keepNothing)({
    device: dev, y0, tableau: o.tableau, stepper, steps,
    budget: o.checkpoints,
    // A budget plans ahead when the number of steps is known beforehand (fixed steps).
    fixedSteps: o.checkpoints !== undefined && !o.tableau.adaptive ? fixedStepCount(times, o.stepSize, o.outputs, iopts.stepTimes) : null,
    // stages 'keep': each kept step also stores its first m stage derivatives (none for a one-stage tableau).
    stageRows: o.stages === 'keep' && method.storedStageRows ? method.storedStageRows(o.tableau) : 0,
  });
  let ys: Tensor;
  try {
    // The tidy frees whatever a failed solve left behind; ys survives, and what the keeper kept does too.
    ys = await noGrad(() =>
      dev.tidy(async () => {
        const out = await dev.memory.phase('forward solve', () => integrate(stepper, y0, times, iopts, istats, (step) => {
          if (!needsGrad) return false;
          steps.push({ t: step.t, h: step.h });
          return keep.accept(step);
        }));
        if (needsGrad) keep.finish(out);
        return out;
      }),
    );
  } catch (e) {
    // What the keeper kept escapes the tidy: a failed solve frees it here.
    keep.dispose();
    throw e;
  } finally {
    stepper.dispose();
    finishForward();
  }
  if (!needsGrad) {
    keep.dispose();
    return ys;
  }
  return attachBackward(method, o, { field, times, dir, y0, ys, params, keep, steps, stats, publish });
}

interface Solved {
  field: Field;
  times: readonly number[];
  dir: 1 | -1;
  y0: Tensor;
  ys: Tensor;
  params: Tensor[];
  /** What the method's keeper kept for its backward. */
  keep: ForwardKeep;
  /** (t, h) of every accepted step. */
  steps: StepSpan[];
  stats: OdeintStats;
  publish: () => void;
}

/** Makes ys differentiable through the method's backward (one custom op over [y0, ...params]). */
function attachBackward(method: GradientMethod, o: ResolvedOptions, s: Solved): Tensor {
  const { field, times, dir, y0, ys, params, keep, steps, stats } = s;
  const dev = y0.device;
  const backward = async (g: Tensor, needs: readonly boolean[], saved: Tensor[]): Promise<(Tensor | null)[]> => {
    const counter = { nfe: 0 };
    const bfield = field.withCounter(counter);
    let result: (Tensor | null)[];
    if (isGradEnabled()) {
      // createGraph: only methods with `secondOrder` get here (the op is marked differentiable for them alone).
      result = await differentiableBackward(bfield, o.tableau, saved[0], params, steps, times, g, needs);
    } else {
      const acc = new GradientAccumulator(params);
      const bstats: IntegrateStats = { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] };
      // What the forward kept (under a budget, states recomputed from the kept ones on the backward's field).
      const kept = keep.open(bfield);
      try {
        const gy0 = await dev.memory.phase(`backward sweep (${method.name})`, () =>
          method.backward({
            field: bfield, tableau: o.tableau, times, kept, steps, g, acc,
            checkFinite: o.checkBackward, dir, stats: bstats, counter, adjointNorm: o.adjointNorm, signal: o.signal, onStep: o.onStep,
            solve: {
              rtol: o.adjointRtol, atol: o.adjointAtol, maxSteps: o.maxSteps, stepSize: o.stepSize, controller: o.controller, sign: dir === 1 ? -1 : 1,
              signal: o.signal, onStep: o.onStep, phase: 'backward', maxStep: o.maxStep,
            },
          }),
        );
        result = [gy0, ...acc.take(params)];
      } finally {
        ({ recomputedSteps: stats.recomputedSteps, recomputedNfe: stats.recomputedNfe } = keep.close());
      }
      stats.backwardSteps = bstats.acceptedSteps + bstats.rejectedSteps;
    }
    stats.nfeBackward = counter.nfe;
    s.publish();
    return result;
  };
  return customVjp(`odeint(${o.tableau.name}, ${method.name})`, [y0, ...params], ys, backward, {
    onRelease: keep.holds ? () => keep.dispose() : undefined,
    differentiableBackward: method.secondOrder,
    save: method.secondOrder ? [y0] : [],
    // Backward re-evaluates f on the parameters and starts from y0 (or states computed from it): an in-place
    // update of either before backward (an optimizer step) throws instead of giving a silently wrong gradient.
    reads: [y0, ...params],
  });
}
