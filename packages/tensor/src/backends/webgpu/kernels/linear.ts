/**
 * kernels/linear.wgsl: the fused linear layer y = act(x·Wᵀ + b) (`linear_fwd`), the incoming gradient times
 * the activation's derivative (`act_grad`), and the weight and bias gradients in one dispatch
 * (`linear_wgrad`). One output a thread, 256 a workgroup, 2-D grids past 65535 workgroups. The activation is
 * a define, so each activation is its own pipeline.
 */
import type { LinearActivation } from '../../backend.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, type Defines, type Dispatch, type KernelStyle, type Limits } from './kernel.js';

/** ACT (of the pre-activation z) and DACT (the derivative, of the output y) per activation; constant objects (the program cache keys on identity). */
const DEFINES: Record<LinearActivation, Defines> = {
  identity: { ACT: 'z', DACT: '1.0' },
  tanh: { ACT: 'ftanh(z)', DACT: '1.0 - y * y' },
  relu: { ACT: 'select(0.0, z, z > 0.0 && !isnan_(z))', DACT: 'select(0.0, 1.0, y > 0.0 && !isnan_(y))' },
  sigmoid: { ACT: 'fsigmoid(z)', DACT: 'y * (1.0 - y)' },
  softplus: { ACT: 'fsoftplus(z)', DACT: 'fsoftplusd(y)' },
};

export const LINEAR = kernelFile(
  'linear',
  { M: 'u32', N: 'u32', K: 'u32', bias: 'u32', size: 'u32', pad0: 'u32', pad1: 'u32', pad2: 'u32' },
  { out: [1, 'rw'], X: [2, 'r'], W: [3, 'r'], Bv: [4, 'r'], out2: [5, 'rw'] },
  ['ACT', 'DACT'],
);
export const LINEAR_FWD = LINEAR.entry('linear_fwd', ['out', 'X', 'W', 'Bv']);
export const ACT_GRAD = LINEAR.entry('act_grad', ['out', 'X', 'W']);
export const LINEAR_WGRAD = LINEAR.entry('linear_wgrad', ['out', 'X', 'W', 'out2']);
export const LINEAR_FWD_REGS = LINEAR.entry('linear_fwd_regs', ['out', 'X', 'W', 'Bv']);
export const LINEAR_WGRAD_REGS = LINEAR.entry('linear_wgrad_regs', ['out', 'X', 'W', 'out2']);

/**
 * Multiply-adds from which CPU adapters take the register-blocked kernels: below, a few 256-thread workgroups
 * of one output a thread finish sooner (the spiral's 20×50×2 layers run ~1.3× faster that way on lavapipe;
 * a 256×64×64 layer ~3× slower).
 */
const REGS_MIN_WORK = 1 << 15;

/** The register-blocked grid (64-column, 8-row tiles) of a [rows, cols] output with `inner` terms a sum, or null. */
function regsGrid(rows: number, cols: number, inner: number, style: KernelStyle, lim: Limits): [number, number, number] | null {
  const g: [number, number, number] = [Math.ceil(cols / 64), Math.ceil(rows / 8), 1];
  const pays = style === 'cpu' && rows * cols * inner >= REGS_MIN_WORK;
  return pays && g[0] <= lim.maxGroups && g[1] <= lim.maxGroups ? g : null;
}

/**
 * y [m, n] = act(x [m, k] · W [n, k]ᵀ + b [n]); `b` null: no bias (W is bound in its place, never read).
 * Register blocks on CPU adapters ('cpu' style), one output a thread otherwise.
 */
export function linearPlan(
  y: GPUBuffer, x: GPUBuffer, w: GPUBuffer, b: GPUBuffer | null, m: number, n: number, k: number, act: LinearActivation,
  style: KernelStyle, lim: Limits,
): Dispatch[] {
  const params = { M: m, N: n, K: k, bias: b ? 1 : 0 };
  const regs = regsGrid(m, n, k, style, lim);
  if (regs) return [dispatchOf(LINEAR_FWD_REGS, [y, x, w, b ?? w], regs, params, DEFINES[act])];
  return [dispatchOf(LINEAR_FWD, [y, x, w, b ?? w], grid1d(groupsFor(m * n), lim), params, DEFINES[act])];
}

/** out[i] = g[i] · act'(y[i]), i < size. */
export function activationGradPlan(out: GPUBuffer, g: GPUBuffer, y: GPUBuffer, size: number, act: LinearActivation, lim: Limits): Dispatch[] {
  return [dispatchOf(ACT_GRAD, [out, g, y], grid1d(groupsFor(size), lim), { size }, DEFINES[act])];
}

/** gW [n, k] = gzᵀ · x and gb [n] = Σ_rows gz (gz [m, n], x [m, k]); `gb` null: no bias gradient (`scratch` bound in its place). */
export function linearWeightGradPlan(
  gw: GPUBuffer, gb: GPUBuffer | null, scratch: GPUBuffer, gz: GPUBuffer, x: GPUBuffer, m: number, n: number, k: number,
  style: KernelStyle, lim: Limits,
): Dispatch[] {
  const regs = regsGrid(n, k, m, style, lim);
  if (regs) return [dispatchOf(LINEAR_WGRAD_REGS, [gw, gz, x, gb ?? scratch], regs, { M: m, N: n, K: k, bias: gb ? 1 : 0 }, DEFINES.identity)];
  const threads = n * k + (gb ? n : 0);
  return [dispatchOf(LINEAR_WGRAD, [gw, gz, x, gb ?? scratch], grid1d(groupsFor(threads), lim), { M: m, N: n, K: k, bias: gb ? 1 : 0 }, DEFINES.identity)];
}
