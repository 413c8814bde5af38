/**
 * A Web Worker that runs the cpu backend with threads (the page's `threadsCheck`): inside a cross-origin
 * isolated worker the backend starts Web Workers of its own on one shared WebAssembly memory. Posts back the
 * threads it ran and whether a product split over them equals the JS loop bit for bit.
 */
import { CpuBackend, Device } from '@sympode/tensor';

async function product(options: { wasm?: boolean; threads?: number }) {
  const backend = new CpuBackend('float64', options);
  const dev = new Device(backend, 0);
  const running = await backend.startThreads();
  const c = await dev.randn([400, 300], { seed: 1 }).matmul(dev.randn([300, 200], { seed: 2 })).data();
  const out = { c, running, note: backend.threadsNote, wasmCalls: backend.counters.wasmCalls };
  dev.destroy();
  return out;
}

onmessage = async () => {
  try {
    const js = await product({ wasm: false });
    const t = await product({ threads: 2 });
    postMessage({
      crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      threads: t.running, note: t.note, wasmCalls: t.wasmCalls, sameBits: js.c.every((v, i) => Object.is(v, t.c[i])),
    });
  } catch (e) {
    postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
