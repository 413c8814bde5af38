/**
 * Step-size control of adaptive solves. `StepSizeController` is the interface (a new controller is a new
 * class); `IntegralController` is torchdiffeq's RK controller, the default, so step sequences compare one to
 * one with the authors' code: initial step after Hairer–Nørsett–Wanner II.4, then the safety/ifactor/dfactor rule.
 */
import { ToleranceError } from './solver-errors.js';

/** What a controller sees to choose the first step: y0 and f(t0, y0) on the host, and one more evaluation. */
export interface InitialStepInput {
  y0: ArrayLike<number>;
  f0: ArrayLike<number>;
  /** Order of the method's error estimate. */
  order: number;
  rtol: number;
  atol: number;
  /** f(t0 + h0, y0 + h0·f0) on the host. */
  f1At: (h0: number) => Promise<ArrayLike<number>>;
}

/** The decision after a step of size h whose error ratio (scaled RMS error) is `ratio`. */
export interface StepDecision {
  accept: boolean;
  /** The size of the next attempt (a retry after a rejection). */
  next: number;
}

/** Chooses step sizes of an adaptive solve. */
export interface StepSizeController {
  /** The first step size. */
  initialStep(input: InitialStepInput): Promise<number>;
  /** Accept or reject a step of size `h` with error ratio `ratio` (≤ 1 is within tolerance). */
  adapt(h: number, ratio: number, order: number): StepDecision;
  /**
   * The controller one solve uses, for controllers with memory (PID: past error ratios): each solve starts
   * from a fresh copy, so one instance may serve many solves, concurrent ones included. Absent: used as is.
   */
  forSolve?(): StepSizeController;
}

/** Options of the integral controller (torchdiffeq's names and defaults). */
export interface IntegralControllerOptions {
  /** Factor on the optimal step (default 0.9). */
  safety?: number;
  /** Largest growth of the step per step (default 10). */
  ifactor?: number;
  /** Largest shrink of the step after a rejection (default 0.2). */
  dfactor?: number;
}

/**
 * RMS norm of x / scale over all elements. Where the sum of squares overflows (ratios above ~1e154), it is
 * taken again scaled by the largest ratio, as `hypot` does: Infinity only when a ratio itself is.
 */
export function rmsScaled(x: ArrayLike<number>, scale: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / scale[i];
    s += v * v;
  }
  if (s !== Infinity) return Math.sqrt(s / x.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] / scale[i]));
  if (m === Infinity) return Infinity;
  let t = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / scale[i] / m;
    t += v * v;
  }
  return m * Math.sqrt(t / x.length);
}

/**
 * The integral (I) controller of torchdiffeq's RK solvers: h·min(ifactor, max(safety·ratio^(−1/order),
 * dfactor)), dfactor = 1 after an acceptance; ratio = 0 grows by ifactor.
 */
export class IntegralController implements StepSizeController {
  readonly safety: number;
  readonly ifactor: number;
  readonly dfactor: number;

  constructor(opts: IntegralControllerOptions = {}) {
    this.safety = opts.safety ?? 0.9;
    this.ifactor = opts.ifactor ?? 10;
    this.dfactor = opts.dfactor ?? 0.2;
  }

  adapt(h: number, ratio: number, order: number): StepDecision {
    const accept = ratio <= 1;
    if (ratio === 0) return { accept, next: h * this.ifactor };
    const dfactor = ratio < 1 ? 1 : this.dfactor;
    return { accept, next: h * Math.min(this.ifactor, Math.max(this.safety / ratio ** (1 / order), dfactor)) };
  }

  /** torchdiffeq's `_select_initial_step` with p = order − 1 (host arithmetic: the vectors are read once). */
  async initialStep({ y0, f0, order, rtol, atol, f1At }: InitialStepInput): Promise<number> {
    const scale = Float64Array.from(y0, (v) => atol + Math.abs(v) * rtol);
    const d0 = rmsScaled(y0, scale);
    const d1 = rmsScaled(f0, scale);
    const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : Math.abs((0.01 * d0) / d1);
    const f1 = await f1At(h0);
    const diff = Float64Array.from(f1, (v, i) => v - f0[i]);
    const d2 = Math.abs(rmsScaled(diff, scale) / h0);
    if (d1 === Infinity || d2 === Infinity) tooSmall(d1 === Infinity ? 'f(t0, y0)' : "f's change over the trial step h0 = " + h0, rtol, atol);
    const p = order - 1;
    const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / (p + 1));
    return Math.min(100 * h0, Math.abs(h1));
  }
}

/** The first-step choice overflowed: a quantity over atol + rtol·|y0| exceeds float64's range (where y0 is 0, the scale is atol). */
function tooSmall(what: string, rtol: number, atol: number): never {
  throw new ToleranceError(
    `the first step cannot be chosen: ${what} divided by the tolerance scale atol + rtol·|y0| overflows float64 (atol = ${atol}, rtol = ${rtol}; where y0 is 0 the scale is atol): the tolerances are too small for this problem's size; raise atol (or pass firstStep)`,
  );
}
