/**
 * PID step-size control (Söderlind 2002/2003; Hairer & Wanner, Solving ODEs II, IV.2; diffrax's
 * PIDController): the next step is
 *   h_{n+1} = h_n · safety · ε_n^(−β1/k) · ε_{n−1}^(−β2/k) · ε_{n−2}^(−β3/k),
 *   β1 = p + i + d,  β2 = −(p + 2d),  β3 = d,
 * with ε the error ratios of the last accepted steps and k the order of the error estimate. i = 1, p = d = 0
 * is an integral controller; a proportional part (p > 0) damps the step-size oscillation an I controller
 * shows where stability, not accuracy, limits the step (mildly stiff problems), which costs rejected steps.
 * As in Hairer's DOPRI5 code (and unlike torchdiffeq's I controller) the step may also shrink after an
 * acceptance, so the controller backs off before a rejection: factor ∈ [factormin, factormax]; after a
 * rejection the step shrinks by at least `safety`. The error history holds accepted steps only.
 */
import { InvalidArgumentError } from '@sympode/tensor';
import { IntegralController, type InitialStepInput, type StepDecision, type StepSizeController } from './controller.js';

/** Coefficients and limits of a PID controller (diffrax's names). */
export interface PIDControllerOptions {
  /** Proportional coefficient p (default 0.4 for PI, as Söderlind's H211-type suggestions). */
  pcoeff?: number;
  /** Integral coefficient i (default 0.3). */
  icoeff?: number;
  /** Derivative coefficient d (default 0: a PI controller). */
  dcoeff?: number;
  /** Factor on the optimal step (default 0.9). */
  safety?: number;
  /** Largest shrink after a rejection (default 0.2). */
  factormin?: number;
  /** Largest growth per step (default 10). */
  factormax?: number;
}

/**
 * A PID controller (PI with the default dcoeff = 0). It remembers the error ratios of past accepted steps,
 * so each solve gets its own copy (`forSolve`): one instance may serve many solves, also concurrent ones.
 */
export class PIDController implements StepSizeController {
  readonly pcoeff: number;
  readonly icoeff: number;
  readonly dcoeff: number;
  readonly safety: number;
  readonly factormin: number;
  readonly factormax: number;
  /** 1/ε of the last two accepted steps (1 before there are any: no P or D correction). */
  private prev = 1;
  private prevPrev = 1;
  private readonly initial = new IntegralController();

  constructor(opts: PIDControllerOptions = {}) {
    this.pcoeff = opts.pcoeff ?? 0.4;
    this.icoeff = opts.icoeff ?? 0.3;
    this.dcoeff = opts.dcoeff ?? 0;
    this.safety = opts.safety ?? 0.9;
    this.factormin = opts.factormin ?? 0.2;
    this.factormax = opts.factormax ?? 10;
    const { pcoeff: p, icoeff: i, dcoeff: d, safety, factormin, factormax } = this;
    if (![p, i, d].every(Number.isFinite) || !(p + i + d > 0)) {
      throw new InvalidArgumentError(`PIDController: pcoeff, icoeff, dcoeff must be finite with a positive sum, got ${p}, ${i}, ${d}`);
    }
    if (!(safety > 0 && safety <= 1) || !(factormin > 0 && factormin <= safety) || !(factormax >= 1 && Number.isFinite(factormax))) {
      throw new InvalidArgumentError(`PIDController: need 0 < factormin ≤ safety ≤ 1 ≤ factormax < ∞, got factormin ${factormin}, safety ${safety}, factormax ${factormax}`);
    }
  }

  /** A fresh controller with these coefficients and no error history. */
  forSolve(): PIDController {
    return new PIDController(this);
  }

  /** The first step as the integral controller (torchdiffeq) chooses it. */
  initialStep(input: InitialStepInput): Promise<number> {
    return this.initial.initialStep(input);
  }

  adapt(h: number, ratio: number, order: number): StepDecision {
    const accept = ratio <= 1;
    const { pcoeff: p, icoeff: i, dcoeff: d } = this;
    // ε = 0 (an exact step) carries no information: grow as much as allowed, keep the history.
    const inv = ratio === 0 ? Infinity : 1 / ratio;
    const raw = this.safety * inv ** ((p + i + d) / order) * this.prev ** (-(p + 2 * d) / order) * this.prevPrev ** (d / order);
    const hi = accept ? this.factormax : this.safety;
    const factor = Math.min(hi, Math.max(this.factormin, Number.isNaN(raw) ? hi : raw));
    if (accept && ratio > 0) {
      this.prevPrev = this.prev;
      this.prev = inv;
    }
    return { accept, next: h * factor };
  }
}
