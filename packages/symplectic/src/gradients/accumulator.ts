/** Parameter-gradient accumulators of a backward pass (label 'adjoint'). */
import type { Tensor } from '@sympode/tensor';

export class GradientAccumulator {
  /** The parameters gradients are wanted for (those that require grad). */
  readonly params: Tensor[];
  private sums: (Tensor | null)[];

  constructor(params: readonly Tensor[]) {
    this.params = params.filter((p) => p.requiresGrad);
    this.sums = this.params.map(() => null);
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
