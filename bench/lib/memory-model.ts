/**
 * The memory model check: each gradient method predicts its own peak (`GradientMethod.memoryModel` in
 * @sympode/symplectic, tested there to the byte for the symplectic adjoint); the bench measures the byte counts
 * those models take, once per problem on the device, from single evaluations of f (never from a solve):
 *   S   = bytes of one state (B·D·elementBytes) and P = bytes of all parameters;
 *   Ge  = bytes one recorded f evaluation keeps alive (its input, saved activations, its output), read from
 *         the allocator after building the graph once;
 *   Go  = of those, the output bytes f's own graph does not keep: what releasing the output handle frees while
 *         a stage combination (`combineTerms`, which saves nothing) holds the graph;
 *   Vf  = the peak of one vector–Jacobian product of f (graph + backward temporaries + ν and the parameter
 *         gradients it returns) above its inputs, read from the allocator's peak around one `grad`;
 *   Xb  = what a backward pass through a graph of several f evaluations adds on top of that graph (the
 *         gradient flowing back, the parameter gradients and their accumulation across evaluations, the
 *         backward's temporaries): measured as the VJP peak of g(x) = f(x + c·f(x)) minus g's graph.
 * The models (see each method's file and docs/DESIGN.md#memory-models):
 *   symplectic adjoint: (N−1) checkpoints + the outputs + c·S stage/adjoint buffers + P + Vf      O(N + s + L)
 *   backprop:           every retained f graph without its output (N·s·(Ge − Go)) + Xb             O(N·s·L)
 *   checkpoint (ACA):   (N−1) checkpoints + s·S + one step's graph with its stages (s·Ge) + P + Xb O(N + s·L)
 *   continuous adjoint: augmented state Z = 2S + P times the stepper's buffers + Vf               O(s·(S+P) + L)
 * y0 is the caller's (shared, not copied), hence N−1 checkpoints for N steps.
 */
import { combineTerms, enableGrad, grad, type Device, type Tensor } from '@sympode/tensor';
import { getTableau, GRADIENTS, type FunctionBytes, type GradientMethodName, type MemoryPrediction } from '@sympode/symplectic';
import type { MlpOde } from './problems.js';

export type { FunctionBytes };

/** Measures S, P, Ge, Go, Vf, Xb of the problem's f on its device (nothing else may run meanwhile). */
export async function measureFunctionBytes(prob: MlpOde): Promise<FunctionBytes> {
  const dev: Device = prob.device;
  const eb = dev.backend.elementBytes;
  const S = prob.y0.size * eb;
  const params = prob.mlp.parameters();
  const P = params.reduce((n, p) => n + p.size * eb, 0);
  await dev.sync();

  // Ge: build f's graph on a fresh input; count what is alive with the input and output handles held.
  const before = dev.memory.stats().liveBytes;
  const x = dev.randn(prob.y0.shape, { seed: 1 });
  x.requiresGrad = true;
  const out = enableGrad(() => prob.f(0, x));
  const Ge = dev.memory.stats().liveBytes - before;
  dev.dispose(out, x);

  // Go: the same graph held by a combination that reads the output; what releasing the output handle frees.
  const x1 = dev.randn(prob.y0.shape, { seed: 1 });
  x1.requiresGrad = true;
  const out1 = enableGrad(() => prob.f(0, x1));
  const next = enableGrad(() => combineTerms(x1, [out1], [0.1]));
  const held = dev.memory.stats().liveBytes;
  out1.dispose();
  const Go = held - dev.memory.stats().liveBytes;
  dev.dispose(next, x1);

  // Vf: one VJP as the symplectic adjoint does it (leaf sharing y's storage, cotangent κ), peak above y and κ.
  const Vf = await vjpPeak(prob, (x) => prob.f(0, x));
  // Xb: the same for g(x) = f(x + c·f(x)), a graph of two evaluations joined by an RK-style combination, minus
  // what g's graph keeps (with the input's storage not counted: the leaf shares it).
  const g = (x: Tensor): Tensor => {
    const k = prob.f(0, x);
    const y1 = combineTerms(x, [k], [0.1]);
    const out = prob.f(0, y1);
    dev.dispose(k, y1);
    return out;
  };
  const before2 = dev.memory.stats().liveBytes;
  const x2 = dev.randn(prob.y0.shape, { seed: 1 });
  x2.requiresGrad = true;
  const out2 = enableGrad(() => g(x2));
  const graphG = dev.memory.stats().liveBytes - before2;
  dev.dispose(out2, x2);
  const Vg = await vjpPeak(prob, g);
  return { S, P, Ge, Go, Vf, Xb: Vg - (graphG - S), elementBytes: eb };
}

/** Peak bytes of one VJP of `fn` at a fresh state with a fresh cotangent, above those two. */
async function vjpPeak(prob: MlpOde, fn: (x: Tensor) => Tensor): Promise<number> {
  const dev = prob.device;
  const params = prob.mlp.parameters();
  const y = dev.randn(prob.y0.shape, { seed: 2 });
  const kappa = dev.randn(prob.y0.shape, { seed: 3 });
  await dev.sync();
  dev.memory.resetPeak();
  const base = dev.memory.stats().liveBytes;
  const leaf = y.detach();
  leaf.requiresGrad = true;
  const o = enableGrad(() => fn(leaf));
  const gs: Tensor[] = await grad(o, [leaf, ...params], { gradOutput: kappa });
  const peak = dev.memory.stats().peakBytes - base;
  dev.dispose(o, leaf, gs, y, kappa);
  return peak;
}

/** A predicted peak: total bytes, its named terms and the formula in words (the method's own model). */
export type Prediction = MemoryPrediction;

/** The solve a prediction is for: tableau by name, gradient method, accepted steps N, output times T. */
export interface SolveShape {
  method: string;
  gradient: GradientMethodName;
  /** Accepted steps. */
  N: number;
  /** Output times. */
  T: number;
}

/** The predicted peak (bytes above what the caller holds) for one solve + backward: the method's own model. */
export function predictPeak(shape: SolveShape, fb: FunctionBytes): Prediction {
  const method = GRADIENTS[shape.gradient];
  if (!method) throw new Error(`no memory model for '${String(shape.gradient)}'`);
  return method.memoryModel({ tableau: getTableau(shape.method), N: shape.N, T: shape.T }, fb);
}
