/**
 * The cpu backend's fused linear kernels (see Backend.linear, activationGrad, linearWeightGrad): plain loops
 * whose summation order is the unfused ops' (matmul from 0 over the inner index, then the bias; the reduction
 * over rows from 0), so float64 results equal the unfused composition bit for bit (softplus's derivative,
 * computed from the output, aside).
 */
import type { LinearActivation } from './backend.js';
import { gemm } from './cpu-gemm.js';

type Arr = Float64Array | Float32Array;

/** Same formulas as the unary kernels of cpu.ts. */
function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** out [m, n] = act(x [m, k] · w [n, k]ᵀ + b). */
export function linearCpu(x: Arr, w: Arr, b: Arr | null, out: Arr, m: number, n: number, k: number, act: LinearActivation): void {
  gemm(x, 0, k, 1, w, 0, 1, k, out, 0, m, n, k, b);
  const size = m * n;
  switch (act) {
    case 'identity': return;
    case 'tanh': for (let i = 0; i < size; i++) out[i] = Math.tanh(out[i]); return;
    case 'relu': for (let i = 0; i < size; i++) out[i] = out[i] > 0 ? out[i] : 0; return;
    case 'sigmoid': for (let i = 0; i < size; i++) out[i] = sigmoid(out[i]); return;
    case 'softplus': for (let i = 0; i < size; i++) out[i] = softplus(out[i]); return;
  }
}

/** out = g · act'(z), from y = act(z) (the unfused backward's order of operations). */
export function activationGradCpu(g: Arr, y: Arr, out: Arr, size: number, act: LinearActivation): void {
  switch (act) {
    case 'identity': for (let i = 0; i < size; i++) out[i] = g[i]; return;
    case 'tanh': for (let i = 0; i < size; i++) out[i] = g[i] * (1 - y[i] * y[i]); return;
    case 'relu': for (let i = 0; i < size; i++) out[i] = g[i] * (y[i] > 0 ? 1 : 0); return;
    case 'sigmoid': for (let i = 0; i < size; i++) out[i] = g[i] * y[i] * (1 - y[i]); return;
    case 'softplus': for (let i = 0; i < size; i++) out[i] = g[i] * -Math.expm1(-y[i]); return;
  }
}

/** gw [n, k] = gzᵀ · x, gb [n] = Σ_rows gz. */
export function linearWeightGradCpu(gz: Arr, x: Arr, gw: Arr, gb: Arr | null, m: number, n: number, k: number): void {
  gemm(gz, 0, 1, n, x, 0, k, 1, gw, 0, n, k, m);
  if (!gb) return;
  // Row sums accumulated in float64 (as the reduce kernel's), in row order, rows read contiguously.
  if (acc.length < n) acc = new Float64Array(n);
  acc.fill(0, 0, n);
  for (let r = 0; r < m; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) acc[i] += gz[o + i];
  }
  for (let i = 0; i < n; i++) gb[i] = acc[i];
}

let acc = new Float64Array(64);
