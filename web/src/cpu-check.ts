/**
 * The page's checks of the cpu backend's WebAssembly products (`wasmCheck` in the page, `threadsCheck` in a
 * Web Worker): one float64 product A[m, k]·B[k, n] of seeded matrices on a backend with the given options,
 * and what the backend says of itself; results compared bit for bit.
 */
import { CpuBackend, Device, type CpuBackendOptions } from '@sympode/tensor';

/** The product and the backend's account: SIMD, most and running threads, why fewer, kernel calls. */
export async function cpuProduct(options: CpuBackendOptions, [m, k, n]: [number, number, number]) {
  const backend = new CpuBackend('float64', options);
  const dev = new Device(backend, 0);
  const running = await backend.startThreads();
  const c = await dev.randn([m, k], { seed: 1 }).matmul(dev.randn([k, n], { seed: 2 })).data();
  const out = { c, simd: backend.simd, threads: backend.threads, running, note: backend.threadsNote, wasmCalls: backend.counters.wasmCalls };
  dev.destroy();
  return out;
}

/** Whether two results are the same bits. */
export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
