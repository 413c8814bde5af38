/**
 * Vector–Jacobian products *inside* a vector field. A CNF's field needs εᵀ∂g/∂z of its own network g at
 * every evaluation, but the solver calls it in two modes:
 *
 * - graph-free (the forward of every method but backprop, and the symplectic adjoint's stage
 *   recomputation, all under `noGrad`): the VJP is built on a fresh leaf under `enableGrad`, taken without
 *   `createGraph`, and everything but the plain results is freed before returning, so nothing of the inner
 *   graph outlives the evaluation: a step holds its states, not f's graphs;
 * - recorded (backprop, the per-step VJPs of the adjoint methods, replays): the VJP is taken with
 *   `createGraph` and `stopAtInputs`, so the results are differentiable again in z and in the parameters
 *   (the outer backward differentiates through the inner one: a second derivative of g).
 *
 * The pattern in one function, so a field never has to know which mode it is in.
 */
import { enableGrad, grad, isGradEnabled, type Tensor } from '@sympode/tensor';

/** What {@link valueAndVjps} returns: g(z) and one VJP per cotangent, each shaped like z. */
export interface ValueAndVjps {
  /** g(z). */
  value: Tensor;
  /** cᵢᵀ ∂g/∂z for each cotangent cᵢ (partial derivatives at fixed parameters). */
  vjps: Tensor[];
}

/**
 * g(z) and the vector–Jacobian products cᵢᵀ∂g/∂z for the given cotangents (each shaped like g(z)), in
 * either grad mode (see the module comment). With grad off the results carry no graph and the inner graph is
 * freed here; with grad on they are recorded and differentiable in z and in whatever g reads. The caller owns
 * the results; temporaries are the caller's to free (run it inside a `tidy`, as the solver runs f).
 *
 * @param g          the network (built with graph recording on)
 * @param z          where to differentiate
 * @param cotangents one tensor per VJP, shaped like g(z)
 */
export async function valueAndVjps(g: (z: Tensor) => Tensor, z: Tensor, cotangents: readonly Tensor[]): Promise<ValueAndVjps> {
  const recording = isGradEnabled();
  // Recorded: differentiate at z itself when it carries a graph (the outer backward must see through the
  // VJP into z); a z without a graph, or any z when not recording, gets a fresh leaf sharing its storage.
  const direct = recording && z.requiresGrad;
  const input = direct ? z : z.detach();
  if (!direct) input.requiresGrad = true;
  try {
    return await enableGrad(async () => {
      const out = g(input);
      const vjps: Tensor[] = [];
      try {
        for (const [i, c] of cotangents.entries()) {
          const last = i === cotangents.length - 1;
          const [v] = await grad(out, [input], { gradOutput: c, createGraph: recording, retainGraph: recording || !last, stopAtInputs: true });
          vjps.push(v);
        }
      } catch (e) {
        for (const v of vjps) v.dispose();
        out.dispose();
        throw e;
      }
      if (recording) return { value: out, vjps };
      // Graph-free: keep the values, drop the graph (detach shares the storage; disposing out frees its node).
      const value = out.detach();
      out.dispose();
      return { value, vjps };
    });
  } finally {
    if (!direct) input.dispose();
  }
}
