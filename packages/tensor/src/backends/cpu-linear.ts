/**
 * The cpu backend's fused linear kernels (see Backend.linear, activationGrad, linearWeightGrad): plain loops
 * whose summation order is the unfused ops' (matmul from 0 over the inner index, then the bias; the reduction
 * over rows from 0), so float64 results equal the unfused composition bit for bit (softplus's derivative,
 * computed from the output, aside).
 */
import type { LinearActivation } from './backend.js';
import { gemm, type Gemm } from './cpu-gemm.js';

type Arr = Float64Array | Float32Array;

/** Same formulas as the unary kernels of cpu.ts. */
function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * tanh for float32 storage: the rational minimax approximation of Eigen's `generic_fast_tanh_float`,
 * evaluated in float64, within 2 float32 ulp of Math.tanh (|x| < 0.0004 returns x, |x| > 9 returns ±1), about
 * 4× faster than Math.tanh in V8. float64 storage keeps Math.tanh (the PyTorch references compare to 1e-16).
 */
export function tanh32(x: number): number {
  if (x > 9) return 1;
  if (x < -9) return -1;
  if (Math.abs(x) < 0.0004) return x;
  const c = x > 7.90531110763549805 ? 7.90531110763549805 : x < -7.90531110763549805 ? -7.90531110763549805 : x;
  const x2 = c * c;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (p * c) / q;
}

/** out[i] = tanh(out[i]), i < size (tanh32 on float32 storage). */
export function tanhInPlace(x: Arr, out: Arr, size: number): void {
  if (out instanceof Float32Array) for (let i = 0; i < size; i++) out[i] = tanh32(x[i]);
  else for (let i = 0; i < size; i++) out[i] = Math.tanh(x[i]);
}

/** out [m, n] = act(x [m, k] · w [n, k]ᵀ + b). */
export function linearCpu(
  x: Arr, w: Arr, b: Arr | null, out: Arr, m: number, n: number, k: number, act: LinearActivation, mm: Gemm = gemm,
): void {
  mm(x, 0, k, 1, w, 0, 1, k, out, 0, m, n, k, b);
  const size = m * n;
  switch (act) {
    case 'identity': return;
    case 'tanh': tanhInPlace(out, out, size); return;
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
export function linearWeightGradCpu(
  gz: Arr, x: Arr, gw: Arr, gb: Arr | null, m: number, n: number, k: number, mm: Gemm = gemm,
): void {
  mm(gz, 0, 1, n, x, 0, k, 1, gw, 0, n, k, m, null);
  if (gb) columnSums(gz, 0, m, n, gb, 0);
}

let acc = new Float64Array(64);

/**
 * out[oo + j] = Σ_r x[xo + r·cols + j], j < cols: each sum accumulated in float64 from 0 in row order, rows
 * read contiguously (the bias gradient here, and the cpu backend's reduce over a leading axis).
 */
export function columnSums(x: Arr, xo: number, rows: number, cols: number, out: Arr, oo: number): void {
  if (acc.length < cols) acc = new Float64Array(cols);
  acc.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const base = xo + r * cols;
    for (let j = 0; j < cols; j++) acc[j] += x[base + j];
  }
  for (let j = 0; j < cols; j++) out[oo + j] = acc[j];
}
