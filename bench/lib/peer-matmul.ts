/**
 * bench:peer's matmul rows: C = A·B float32 (and ours float64), GFLOP/s = 2MKN / time, median after two
 * warm-ups, side by side in one run: ours (cpu backend, WebAssembly SIMD, at each thread count, and the JS
 * loop it replaced), TensorFlow.js-wasm (XNNPACK; the threads it really used), and PyTorch (the BLAS it
 * loaded, at each thread count). The SIMD128 peak (PERF-NOTES: ≈ 12 flops/cycle with multiply + add) is
 * measured here as ours' fraction of `SIMD128_PEAK_GFLOPS` per thread.
 */
import { CpuBackend, Device } from '@sympode/tensor';
import { loadTfjs } from './tfjs-peer.js';
import { median } from './stats.js';

/** One thread's WebAssembly SIMD128 peak here with multiply + add (../shared/PERF-NOTES.md), GFLOP/s. */
export const SIMD128_PEAK_GFLOPS = 45;

/** PyTorch's ms per shape at `threads` threads (from peer_matmul.py), or null when it is not there. */
export type TorchMatmul = (threads: number, shapes: readonly string[]) => Map<string, number> | null;

const SHAPES = ['128x128x128', '256x256x256', '512x512x512', '1024x1024x1024', '256x64x64', '1024x256x256'];

function time(run: () => void, reps: number): number {
  const ts: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    run();
    if (r >= 2) ts.push(performance.now() - t0);
  }
  return median(ts);
}

async function ours(dtype: 'float32' | 'float64', options: { threads?: number; wasm?: boolean }, M: number, K: number, N: number, reps: number): Promise<number> {
  const backend = new CpuBackend(dtype, options);
  const dev = new Device(backend, 0);
  await backend.startThreads();
  try {
    const a = dev.randn([M, K], { seed: 1 }), b = dev.randn([K, N], { seed: 2 });
    return time(() => a.matmul(b).dispose(), reps);
  } finally {
    dev.destroy();
  }
}

/** tfjs-wasm's ms (result read back, as our products are synchronous), or an error message. */
async function tfjsWasm(M: number, K: number, N: number, reps: number): Promise<number> {
  const { tf } = await loadTfjs('wasm');
  const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, N]);
  try {
    const ts: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      if (r >= 2) ts.push(performance.now() - t0);
      c.dispose();
    }
    return median(ts);
  } finally {
    tf.dispose([a, b]);
  }
}

/** The section's lines (also printed as they come). */
export async function matmulRows(threads: readonly number[], torch: TorchMatmul, reps: number): Promise<string[]> {
  const gf = (M: number, K: number, N: number, ms: number) => (2 * M * K * N) / (ms * 1e6);
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
  let tfjsName = 'tfjs-wasm';
  try {
    tfjsName = (await loadTfjs('wasm')).description;
  } catch (e) {
    tfjsName = `tfjs-wasm unavailable (${e instanceof Error ? e.message : String(e)})`;
  }
  const torchMs = new Map(threads.map((t) => [t, torch(t, SHAPES)] as const));
  const head = ['M×K×N', 'ours f32 JS loop (before)', ...threads.map((t) => `ours f32 ${t}T`), 'ours f64 1T', ...threads.slice(1).map((t) => `ours f64 ${t}T`),
    'tfjs-wasm', ...threads.map((t) => `PyTorch f32 ${t}T`), 'ours 1T / SIMD128 peak', 'ours 1T / tfjs-wasm', ...threads.map((t) => `ours ${t}T / PyTorch ${t}T (speed)`)];
  const out = [
    `GFLOP/s (median of ${reps} after two warm-ups; ours and tfjs-wasm read the result back). ${tfjsName}. SIMD128 peak: ${SIMD128_PEAK_GFLOPS} GFLOP/s per thread (PERF-NOTES).`, '',
    `| ${head.join(' | ')} |`, `| --- | ${head.slice(1).map(() => '---:').join(' | ')} |`,
  ];
  for (const shape of SHAPES) {
    const [M, K, N] = shape.split('x').map(Number);
    const js = M * K * N <= 1 << 24 ? gf(M, K, N, await ours('float32', { wasm: false }, M, K, N, Math.min(reps, 3))) : NaN;
    const o32: number[] = [];
    for (const t of threads) o32.push(gf(M, K, N, await ours('float32', { threads: t }, M, K, N, reps)));
    const o64: number[] = [];
    for (const t of threads) o64.push(gf(M, K, N, await ours('float64', { threads: t }, M, K, N, reps)));
    let tw = NaN;
    try {
      tw = gf(M, K, N, await tfjsWasm(M, K, N, reps));
    } catch {
      /* said in the header */
    }
    const th = threads.map((t) => {
      const ms = torchMs.get(t)?.get(shape);
      return ms ? gf(M, K, N, ms) : NaN;
    });
    const cells = [`${M}×${K}×${N}`, f(js), ...o32.map(f), ...o64.map(f), f(tw), ...th.map(f),
      `${((100 * o32[0]) / SIMD128_PEAK_GFLOPS).toFixed(0)} %`, (o32[0] / tw).toFixed(2), ...threads.map((_, i) => (o32[i] / th[i]).toFixed(2))];
    const line = `| ${cells.join(' | ')} |`;
    out.push(line);
    console.log(line);
  }
  return out;
}
