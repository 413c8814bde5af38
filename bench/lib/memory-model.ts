/**
 * The memory model: each gradient method's peak predicted from its complexity formula, evaluated with this
 * library's actual byte counts. Three quantities are measured once per problem on the device, from one
 * evaluation of f (never from a solve):
 *   S   = bytes of one state (B·D·elementBytes) and P = bytes of all parameters;
 *   Ge  = bytes one recorded f evaluation keeps alive (its input, saved activations, its output), read from
 *         the allocator after building the graph once;
 *   Vf  = the peak of one vector–Jacobian product of f (graph + backward temporaries + ν and the parameter
 *         gradients it returns) above its inputs, read from the allocator's peak around one `grad`;
 *   Xb  = what a backward pass through a graph of several f evaluations adds on top of that graph (the
 *         gradient flowing back, the parameter gradients and their accumulation across evaluations, the
 *         backward's temporaries): measured as the VJP peak of g(x) = f(x + c·f(x)) minus g's graph.
 * The formulas then count tensors the way the solver holds them (see predictPeak), so that
 *   symplectic adjoint: (N−1) checkpoints + the outputs + c·S stage/adjoint buffers + P + Vf      O(N + s + L)
 *   backprop:           every retained f graph (N·s·Ge) + N·(RK combination tensors) + Xb         O(N·s·L)
 *   checkpoint (ACA):   (N−1) checkpoints + s·S + one step's graph (s·Ge + combination) + P + Xb  O(N + s·L)
 *   continuous adjoint: augmented state Z = 2S + P times the stepper's buffers + Vf               O(s·(S+P) + L)
 * y0 is the caller's (shared, not copied), hence N−1 checkpoints for N steps.
 */
import { enableGrad, grad, type Device, type Tensor } from '@sympode/tensor';
import { getTableau, type GradientMethodName, type Tableau } from '@sympode/symplectic';
import type { MlpOde } from './problems.js';

export interface FunctionBytes {
  /** Bytes of one state. */
  S: number;
  /** Bytes of all parameters. */
  P: number;
  /** Bytes one recorded f evaluation keeps alive (input + saved + output). */
  Ge: number;
  /** Peak of one VJP of f above its inputs (y, κ). */
  Vf: number;
  /** What a backward through several f evaluations adds on top of their recorded graph. */
  Xb: number;
  elementBytes: number;
}

/** Measures S, P, Ge, Vf of the problem's f on its device (nothing else may run meanwhile). */
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

  // Vf: one VJP as the symplectic adjoint does it (leaf sharing y's storage, cotangent κ), peak above y and κ.
  const Vf = await vjpPeak(prob, (x) => prob.f(0, x));
  // Xb: the same for g(x) = f(x + c·f(x)), a graph of two evaluations joined by an RK-style combination, minus
  // what g's graph keeps (with the input's storage not counted: the leaf shares it).
  const g = (x: Tensor): Tensor => {
    const k = prob.f(0, x);
    const term = k.mul(0.1);
    const y1 = x.add(term);
    const out = prob.f(0, y1);
    dev.dispose(k, term, y1);
    return out;
  };
  const before2 = dev.memory.stats().liveBytes;
  const x2 = dev.randn(prob.y0.shape, { seed: 1 });
  x2.requiresGrad = true;
  const out2 = enableGrad(() => g(x2));
  const graphG = dev.memory.stats().liveBytes - before2;
  dev.dispose(out2, x2);
  const Vg = await vjpPeak(prob, g);
  return { S, P, Ge, Vf, Xb: Vg - (graphG - S), elementBytes: eb };
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

export interface Prediction {
  total: number;
  /** Named terms summing to `total` (bytes). */
  terms: Record<string, number>;
  /** The formula in words. */
  formula: string;
}

export interface SolveShape {
  method: string;
  gradient: GradientMethodName;
  /** Accepted steps. */
  N: number;
  /** Output times. */
  T: number;
  /** f evaluations of the forward solve (backprop keeps the graphs of those in accepted steps). */
  nfeForward?: number;
  /** Rejected steps (their graphs are freed). */
  rejected?: number;
}

/** Number of nonzero coefficients in a row. */
function nnz(row: readonly number[]): number {
  return row.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
}

/**
 * Bytes (in states) one recorded RK step keeps for its stage combinations, beyond the f graphs: every
 * combination y + Σ_j (h·a_j)·k_j is built from scalar multiplies (each term kept by the add that consumes it)
 * and adds (each partial sum kept by the next add); the final sum is f's input, counted in Ge.
 */
export function combinationStates(tab: Tableau): number {
  let n = 0;
  const s = tab.b.length;
  for (let i = 1; i < s; i++) n += Math.max(0, 2 * nnz(tab.a[i]) - 1);
  if (!tab.fsal) n += Math.max(0, 2 * nnz(tab.b) - 1);
  return n;
}

/** f evaluations of one recorded step: all stages, but FSAL reuses the previous step's last one. */
function evalsPerStep(tab: Tableau): number {
  return tab.fsal ? tab.b.length - 1 : tab.b.length;
}

/** The predicted peak (bytes above what the caller holds) for one solve + backward. */
export function predictPeak(shape: SolveShape, fb: FunctionBytes): Prediction {
  const tab = getTableau(shape.method);
  const s = tab.b.length;
  const { S, P, Ge, Vf, Xb } = fb;
  const N = shape.N;
  const out = shape.T * S;
  const ckpt = Math.max(0, N - 1) * S;
  switch (shape.gradient) {
    case 'symplectic-adjoint': {
      // Backward holds: K [s, n] (stage derivatives), the s−1 recomputed stage states, V [s+1, n] (ν's and λ),
      // a zero state, λ, κ (3 states), the parameter-gradient sums (P), and one VJP of f at a time (Vf).
      const buffers = (s + (s - 1) + (s + 1) + 3) * S;
      return {
        total: ckpt + out + buffers + P + Vf,
        terms: { checkpoints: ckpt, outputs: out, stageAndAdjointBuffers: buffers, gradientSums: P, oneVjp: Vf },
        formula: '(N−1)·S + T·S + (3s+3)·S + P + Vf',
      };
    }
    case 'backprop': {
      // FSAL: f(y0) once, then s−1 per step; the last step's final evaluation feeds nothing and is freed.
      const evals = N * evalsPerStep(tab);
      const graphs = evals * Ge;
      const comb = N * combinationStates(tab) * S;
      return {
        total: graphs + comb + out + Xb,
        terms: { fGraphs: graphs, combinations: comb, outputs: out, backward: Xb },
        formula: `N·${evalsPerStep(tab)}·Ge + N·${combinationStates(tab)}·S + T·S + Xb`,
      };
    }
    case 'checkpoint': {
      // One step rebuilt with its graph (all s stages evaluated; no FSAL reuse when rebuilding from a checkpoint).
      const step = s * Ge + combinationStates(tab) * S;
      const K = s * S;
      return {
        total: ckpt + out + K + P + step + Xb,
        terms: { checkpoints: ckpt, outputs: out, stageBuffer: K, gradientSums: P, oneStepGraph: step, backward: Xb },
        formula: '(N−1)·S + T·S + s·S + P + (s·Ge + comb·S) + Xb',
      };
    }
    case 'adjoint': {
      // Augmented state z = [y, a, g_θ]: Z = 2S + P. The backward solve holds K [s, Z], one stage state,
      // the step result, z and the [2, Z] interval output, plus one VJP of f.
      const Z = 2 * S + P;
      const buffers = (s + 2 + 1 + 2) * Z;
      return {
        total: out + buffers + Vf,
        terms: { outputs: out, augmentedBuffers: buffers, oneVjp: Vf },
        formula: 'T·S + (s+5)·(2S+P) + Vf',
      };
    }
    default:
      throw new Error(`no memory model for '${String(shape.gradient)}'`);
  }
}

/** Predicted slope of the peak per accepted step (bytes/step). */
export function predictedSlopePerStep(method: string, gradient: GradientMethodName, fb: FunctionBytes): number {
  const a = predictPeak({ method, gradient, N: 10, T: 2 }, fb).total;
  const b = predictPeak({ method, gradient, N: 11, T: 2 }, fb).total;
  return b - a;
}
