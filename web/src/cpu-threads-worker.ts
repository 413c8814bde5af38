/**
 * A Web Worker that runs the cpu backend with threads (the page's `threadsCheck`): inside a cross-origin
 * isolated worker the backend starts Web Workers of its own on one shared WebAssembly memory. Posts back the
 * threads it ran and whether a product split over them equals the JS loop bit for bit.
 */
import { cpuProduct, sameBits } from './cpu-check.js';

const SHAPE: [number, number, number] = [400, 300, 200];

onmessage = async () => {
  try {
    const js = await cpuProduct({ wasm: false }, SHAPE);
    const t = await cpuProduct({ threads: 2 }, SHAPE);
    postMessage({
      crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      threads: t.running, note: t.note, wasmCalls: t.wasmCalls, sameBits: sameBits(js.c, t.c),
    });
  } catch (e) {
    postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
