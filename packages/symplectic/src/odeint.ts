/**
 * `odeint`: solve dy/dt = f(t, y; θ) at the output times, differentiable with respect to y0 and θ by the
 * chosen gradient method. Resolve options → look the method up → run it: backprop records the forward's
 * graph; every other method solves without a graph, keeps what its backward needs and is attached as one
 * custom op of the tensor library, so `grad(loss, [y0, ...θ])` and `loss.backward()` work.
 */
import { customVjp, InvalidArgumentError, isGradEnabled, noGrad, Tensor } from '@sympode/tensor';
import { Field, type OdeFunc } from './field.js';
import { GradientAccumulator } from './gradients/accumulator.js';
import type { GradientMethod } from './gradients/method.js';
import { differentiableBackward, type StepSpan } from './gradients/replay.js';
import { GraphStepper } from './graph-stepper.js';
import { BudgetedCheckpoints } from './gradients/budget-keeper.js';
import { ReplayStates } from './gradients/budget-replay.js';
import { keptStates, type StepStates } from './gradients/step-states.js';
import { fixedStepCount, integrate, type AcceptedStep, type IntegrateOptions, type IntegrateStats } from './integrate.js';
import { NoGraphStepper } from './no-graph-stepper.js';
import { ReversibleHeunStepper } from './reversible-heun.js';
import type { Stepper } from './stepper.js';
import { checkInitialState, checkTimes, resolveOptions, type OdeintOptions, type OdeintStats, type ResolvedOptions } from './options.js';

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
    outputs: o.outputs, sign: dir,
  };
  const recording = isGradEnabled();
  const finishForward = () => {
    Object.assign(stats, { acceptedSteps: istats.acceptedSteps, rejectedSteps: istats.rejectedSteps, nfeForward: fwd.nfe });
    publish();
  };

  // Backprop records whatever f reads that requires grad (closure parameters included).
  if (recording && method.recordsGraph) {
    const stepper: Stepper = o.reversible ? new ReversibleHeunStepper(field, true) : new GraphStepper(field, o.tableau);
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
  const checkpoints: AcceptedStep[] = [];
  // (t, h) of every accepted step: numbers only, for the replays of second derivatives and 'recompute'.
  const steps: StepSpan[] = [];
  const keepCheckpoints = method.keeps === 'checkpoints';
  // A budget keeps some states (the number of steps is known beforehand for fixed-step methods only).
  const budget = keepCheckpoints && o.checkpoints !== undefined
    ? new BudgetedCheckpoints(dev, o.checkpoints, o.tableau.adaptive ? null : fixedStepCount(times, o.stepSize, o.outputs), steps)
    : null;
  const stepper = o.reversible ? new ReversibleHeunStepper(field, false) : new NoGraphStepper(field, o.tableau);
  // stages 'keep': each kept step also stores its first m stage derivatives (none for a one-stage tableau).
  const stageRows = keepCheckpoints && o.stages === 'keep' && stepper instanceof NoGraphStepper ? method.storedStageRows!(o.tableau) : 0;
  let ys: Tensor;
  let final: { y: Tensor; aux: Tensor } | null = null;
  try {
    // The tidy frees whatever a failed solve left behind; ys survives, and the kept checkpoints do too.
    ys = await noGrad(() =>
      dev.tidy(async () => {
        const out = await dev.memory.phase('forward solve', () => integrate(stepper, y0, times, iopts, istats, (step) => {
          if (needsGrad) steps.push({ t: step.t, h: step.h });
          if (!needsGrad || !keepCheckpoints) return false;
          if (budget) return budget.accept(step, y0);
          // y0 is the caller's: share it; later states become checkpoints.
          const y = step.y === y0 ? y0.detach() : step.y;
          if (step.y !== y0) dev.memory.relabel(y, 'checkpoints');
          // Kept: a tidy enclosing odeint must not free them before backward (onRelease frees them).
          const stages = stageRows > 0 ? dev.keep((stepper as NoGraphStepper).storeStages(stageRows)) : undefined;
          checkpoints.push({ ...step, y: dev.keep(y), stages });
          return true;
        }));
        if (needsGrad && method.keeps === 'final' && stepper instanceof ReversibleHeunStepper) {
          // ŷ_N and y_N (a copy of the last output): all the reversible backward needs.
          const aux = dev.keep(stepper.takeAux());
          dev.memory.relabel(aux, 'checkpoints');
          final = { y: dev.keep(dev.memory.scope('checkpoints', () => out.narrow(0, times.length - 1, 1).reshape(y0.shape))), aux };
        }
        return out;
      }),
    );
  } catch (e) {
    // Kept checkpoints escape the tidy: a failed solve frees them here.
    const fin = final as { y: Tensor; aux: Tensor } | null;
    dev.dispose(keptTensors(checkpoints), fin?.y ?? null, fin?.aux ?? null);
    budget?.dispose();
    throw e;
  } finally {
    stepper.dispose();
    finishForward();
  }
  if (!needsGrad) {
    budget?.dispose();
    return ys;
  }
  return attachBackward(method, o, { field, times, dir, y0, ys, params, checkpoints, steps, budget, final, stats, publish });
}

/** What the forward kept with its accepted steps (states, and stored stages): freed on failure or release. */
function keptTensors(checkpoints: readonly AcceptedStep[]): (Tensor | null)[] {
  return checkpoints.flatMap((c) => [c.y, c.stages ?? null]);
}

interface Solved {
  field: Field;
  times: readonly number[];
  dir: 1 | -1;
  y0: Tensor;
  ys: Tensor;
  params: Tensor[];
  checkpoints: AcceptedStep[];
  /** (t, h) of every accepted step. */
  steps: StepSpan[];
  /** The budgeted forward's states (null: every state is in `checkpoints`). */
  budget: BudgetedCheckpoints | null;
  /** The reversible solver's final (y_N, ŷ_N) (keeps 'final'). */
  final: { y: Tensor; aux: Tensor } | null;
  stats: OdeintStats;
  publish: () => void;
}

/** Makes ys differentiable through the method's backward (one custom op over [y0, ...params]). */
function attachBackward(method: GradientMethod, o: ResolvedOptions, s: Solved): Tensor {
  const { field, times, dir, y0, ys, params, checkpoints, steps, budget, final, stats } = s;
  const dev = y0.device;
  // The continuous adjoint reads the forward solution: hold our own handle, so the caller may dispose ys
  // (or a tidy may) before backward.
  const ysHeld = method.keeps === 'solution' ? dev.keep(ys.detach()) : null;
  // 'initial' (recompute) holds y0 without its graph (shared storage: no bytes), for the same reason.
  const y0Held = method.keeps === 'initial' ? dev.keep(y0.detach()) : null;
  const release = () => {
    dev.dispose(keptTensors(checkpoints), ysHeld, y0Held, final?.y ?? null, final?.aux ?? null);
    budget?.dispose();
  };
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
      // Each step's start state: kept by the forward, or under a budget recomputed from the kept ones.
      const states: StepStates = budget ? new ReplayStates(budget, bfield, o.tableau) : keptStates(checkpoints);
      const snapshots = budget ? budget.snapshots.map((b) => ({ ...steps[b.pos], y: b.y })) : checkpoints;
      try {
        const gy0 = await dev.memory.phase(`backward sweep (${method.name})`, () =>
          method.backward({
            field: bfield, tableau: o.tableau, times, checkpoints: snapshots, states, steps, y0: y0Held, ys: ysHeld, final, g, acc,
            checkFinite: o.checkBackward, dir, stats: bstats, counter, adjointNorm: o.adjointNorm,
            solve: { rtol: o.adjointRtol, atol: o.adjointAtol, maxSteps: o.maxSteps, stepSize: o.stepSize, controller: o.controller, sign: dir === 1 ? -1 : 1 },
          }),
        );
        result = [gy0, ...acc.take(params)];
      } finally {
        states.close();
        stats.recomputedSteps = states.recomputedSteps;
        stats.recomputedNfe = states.recomputedNfe;
      }
      stats.backwardSteps = bstats.acceptedSteps + bstats.rejectedSteps;
    }
    stats.nfeBackward = counter.nfe;
    s.publish();
    return result;
  };
  return customVjp(`odeint(${o.tableau.name}, ${method.name})`, [y0, ...params], ys, backward, {
    onRelease: checkpoints.length || ysHeld || y0Held || budget || final ? release : undefined,
    differentiableBackward: method.secondOrder,
    save: method.secondOrder ? [y0] : [],
    // Backward re-evaluates f on the parameters and starts from y0 (or states computed from it): an in-place
    // update of either before backward (an optimizer step) throws instead of giving a silently wrong gradient.
    reads: [y0, ...params],
  });
}
