/**
 * The cpu backend's fused linear kernels (see Backend.linear, activationGrad, linearWeightGrad): plain loops
 * whose summation order is the unfused ops' (matmul from 0 over the inner index, then the bias; the reduction
 * over rows from 0), so float64 results equal the unfused composition bit for bit (softplus's derivative,
 * computed from the output, aside).
 */
import type { LinearActivation } from './backend.js';

type Arr = Float64Array | Float32Array;

/** Same formulas as the unary kernels of cpu.ts. */
function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Σ_q a[ao + q] · b[bo + q], summed in order q = 0 … k−1 from 0 (unrolled by 4, same order). */
function dot(a: Arr, ao: number, b: Arr, bo: number, k: number): number {
  let acc = 0;
  let q = 0;
  for (; q + 4 <= k; q += 4) {
    acc += a[ao + q] * b[bo + q];
    acc += a[ao + q + 1] * b[bo + q + 1];
    acc += a[ao + q + 2] * b[bo + q + 2];
    acc += a[ao + q + 3] * b[bo + q + 3];
  }
  for (; q < k; q++) acc += a[ao + q] * b[bo + q];
  return acc;
}

/** out [m, n] = act(x [m, k] · w [n, k]ᵀ + b). */
export function linearCpu(x: Arr, w: Arr, b: Arr | null, out: Arr, m: number, n: number, k: number, act: LinearActivation): void {
  for (let i = 0; i < m; i++) {
    const xo = i * k;
    const oo = i * n;
    for (let j = 0; j < n; j++) {
      const wo = j * k;
      out[oo + j] = b ? dot(x, xo, w, wo, k) + b[j] : dot(x, xo, w, wo, k);
    }
  }
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
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < k; q++) {
      let acc = 0;
      for (let r = 0; r < m; r++) acc += gz[r * n + i] * x[r * k + q];
      gw[i * k + q] = acc;
    }
    if (gb) {
      let acc = 0;
      for (let r = 0; r < m; r++) acc += gz[r * n + i];
      gb[i] = acc;
    }
  }
}
