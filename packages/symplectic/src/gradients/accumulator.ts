/** Parameter-gradient accumulators of a backward pass (label 'adjoint'). */
import { concat, traceInputs, type Tensor } from '@sympode/tensor';
import { NonFiniteGradientError, UntrackedParameterError } from '../solver-errors.js';

/** Sums the parameter gradients of a backward pass, one contribution at a time (label 'adjoint'). */
export class GradientAccumulator {
  /** The parameters gradients are wanted for (those that require grad). */
  readonly params: Tensor[];
  private sums: (Tensor | null)[];

  /** `params` distinct (odeint deduplicates them: `take` answers per entry). */
  constructor(params: readonly Tensor[]) {
    this.params = params.filter((p) => p.requiresGrad);
    this.sums = this.params.map(() => null);
  }

  /**
   * Throws when a recorded evaluation of f read a tensor requiring grad (`inputs`, from `traceInputs`) that is
   * neither the state `leaf` nor a tracked parameter (f read one its first evaluation did not): its gradient
   * would silently be zero, or its own graph consumed by the first VJP.
   */
  checkInputs(inputs: readonly Tensor[], leaf: Tensor): void {
    for (const p of inputs) {
      if (p === leaf || this.params.includes(p)) continue;
      const what = p.isLeaf ? 'which requires grad' : 'computed by an op from tensors that require grad';
      throw new UntrackedParameterError(
        `f reads tensor #${p.id} (shape [${p.shape.join(', ')}]), ${what}, but it was not among the parameters found at f's first evaluation; pass it in odeint's \`params\``,
      );
    }
  }

  /**
   * Runs `fn` (f's evaluations on `leaf`) with a recorded graph and checks that the graph starts only at `leaf`
   * and the parameters. Differentiate its result with `stopAtInputs: true`: a parameter computed before the
   * solve (A = −softplus(w)) gets its cotangent here, and its own graph runs once, in the outer backward.
   */
  async traced<T>(leaf: Tensor, fn: () => Promise<T>): Promise<T> {
    const { value, inputs } = await traceInputs(fn);
    try {
      this.checkInputs(inputs, leaf);
    } catch (e) {
      leaf.device.dispose(value);
      throw e;
    }
    return value;
  }

  /** Adds one contribution per parameter (takes ownership of `gs`). */
  add(gs: readonly Tensor[]): void {
    gs.forEach((g, i) => {
      const prev = this.sums[i];
      if (!prev) {
        g.device.memory.relabel(g, 'adjoint');
        this.sums[i] = g;
        return;
      }
      this.sums[i] = g.device.memory.scope('adjoint', () => prev.add(g));
      prev.dispose();
      g.dispose();
    });
  }

  /** Throws NonFiniteGradientError when a parameter gradient holds NaN/∞ (one readback for all of them). */
  async checkFinite(): Promise<void> {
    const held = this.sums.flatMap((g, i) => (g ? [{ g, i }] : []));
    if (held.length === 0) return;
    const dev = held[0].g.device;
    // Each gradient's sum (NaN/∞ survive summation) side by side in one small tensor, read once.
    const sums = dev.noGrad(() => dev.tidy(() => concat(held.map(({ g }) => g.sum().reshape([1])), 0)));
    const vs = await sums.data();
    sums.dispose();
    const bad = held.findIndex((_, k) => !Number.isFinite(vs[k]));
    if (bad >= 0) {
      const { i } = held[bad];
      throw new NonFiniteGradientError(
        `the gradient of parameter ${i} (shape [${this.params[i].shape.join(', ')}]) became ${vs[bad]} in the backward pass; pass { checkBackward: false } to skip this check`,
      );
    }
  }

  /** Gradients aligned with `all` (null where a parameter needs none); zeros where nothing was added. */
  take(all: readonly Tensor[]): (Tensor | null)[] {
    const out = all.map((p) => {
      const i = this.params.indexOf(p);
      if (i < 0) return null;
      return this.sums[i] ?? p.device.zerosLike(p);
    });
    this.sums = this.params.map(() => null);
    return out;
  }
}
