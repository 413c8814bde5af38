/**
 * The symplectic adjoint (Matsubara et al. 2021; DESIGN.md). Backward over one accepted step (t, h, y_n)
 * given λ = ∂L/∂y_{n+1}:
 *   1. recompute the stage states Y_0..Y_{s-1} from the checkpoint, without a graph;
 *   2. for i = s−1..0: κ_i = h(b_i λ + Σ_{j>i} a_ji ν_j); one VJP of f at Y_i gives ν_i = f_yᵀκ_i and adds
 *      f_θᵀκ_i to the parameter gradient; its graph is freed before the next stage;
 *   3. λ_n = λ + Σ_i ν_i.
 * Stages whose κ is identically zero (b_i = 0 and no non-skipped later stage uses k_i) are skipped, so tableaus
 * with b_i = 0 (dopri5's FSAL stage) need no special form and single-stage ones (euler) just work.
 * The result equals backprop through the same discrete solve to rounding.
 */
import { enableGrad, grad, noGrad, type Tensor } from '@sympode/tensor';
import type { StepContext } from '../rk-stepper.js';
import { stepNoGraph } from '../rk-stepper.js';
import type { AcceptedStep } from '../integrate.js';
import type { Tableau } from '../tableaus.js';
import type { GradientAccumulator } from './accumulator.js';

/** skip[i]: κ_i ≡ 0 for every λ (decided from the tableau, not the data). */
export function skippedStages(tab: Tableau): boolean[] {
  const s = tab.b.length;
  const skip = new Array<boolean>(s).fill(false);
  for (let i = s - 1; i >= 0; i--) {
    let used = tab.b[i] !== 0;
    for (let j = i + 1; j < s && !used; j++) used = !skip[j] && (tab.a[j][i] ?? 0) !== 0;
    skip[i] = !used;
  }
  return skip;
}

export class SymplecticAdjoint {
  private readonly skip: boolean[];
  /** Rows 0..s−1: ν_i; row s: λ (so each κ_i is one fused combination). */
  private readonly V: Tensor;
  private readonly zero: Tensor;

  constructor(private readonly ctx: StepContext, private readonly acc: GradientAccumulator) {
    this.skip = skippedStages(ctx.tableau);
    const dev = ctx.device;
    this.V = dev.memory.scope('adjoint', () => dev.zeros([ctx.s + 1, ctx.n]));
    this.zero = dev.memory.scope('adjoint', () => dev.zeros(ctx.shape));
  }

  /** λ_{n} from λ_{n+1} over one step (λ is consumed). */
  async step(step: AcceptedStep, lambda: Tensor): Promise<Tensor> {
    const { ctx, acc, skip, V } = this;
    const { tableau: tab, s, device: dev } = ctx;
    const { t, h, y } = step;
    const stages: Tensor[] = [y];
    await noGrad(() => stepNoGraph(ctx, t, y, h, { keepStages: stages, stagesOnly: true }));
    ctx.writeRow(V, s, lambda);
    for (let i = s - 1; i >= 0; i--) {
      if (skip[i]) continue;
      const coeffs = new Array<number>(s + 1).fill(0);
      coeffs[s] = tab.b[i];
      for (let j = i + 1; j < s; j++) if (!skip[j]) coeffs[j] = tab.a[j][i];
      const kappa = ctx.combine(this.zero, V, coeffs, h, 'adjoint');
      const nu = await vjp(ctx, t + tab.c[i] * h, stages[i], kappa, acc);
      ctx.writeRow(V, i, nu);
      dev.dispose(kappa, nu);
    }
    const ones = skip.map((sk) => (sk ? 0 : 1)).concat([0]);
    const next = ctx.combine(lambda, V, ones, 1, 'adjoint');
    lambda.dispose();
    for (const st of stages.slice(1)) st.dispose();
    return next;
  }

  dispose(): void {
    this.V.dispose();
    this.zero.dispose();
  }
}

/**
 * One vector–Jacobian product of f at (t, y) with cotangent κ: returns f_yᵀκ, adds f_θᵀκ into `acc`.
 * f's graph is built on a fresh leaf (label 'network') and freed before returning.
 */
export async function vjp(ctx: StepContext, t: number, y: Tensor, kappa: Tensor, acc: GradientAccumulator): Promise<Tensor> {
  const dev = ctx.device;
  const leaf = y.detach();
  leaf.requiresGrad = true;
  const out = await enableGrad(() => ctx.eval(t, leaf));
  acc.checkReached(out, leaf);
  const [nu, ...gp] = await dev.memory.scope('network', () => grad(out, [leaf, ...acc.params], { gradOutput: kappa, allowUnused: true }));
  acc.add(gp);
  dev.dispose(out, leaf);
  return nu;
}
