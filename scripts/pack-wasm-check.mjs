// The cpu backend's WebAssembly kernels where they are installed (Node, Deno, Bun: runtimes-check.sh): a
// product large enough for the SIMD kernels and for threads, float64, equals the JS loop's bit for bit, and
// the runtime says how many threads it ran. Exits 1 on a mismatch.
import { CpuBackend, Device } from '@sympode/tensor';

const run = async (options) => {
  const backend = new CpuBackend('float64', options);
  const dev = new Device(backend, 0);
  const started = await backend.startThreads();
  const a = dev.randn([300, 200], { seed: 1 });
  const b = dev.randn([200, 100], { seed: 2 });
  const c = await a.matmul(b).data();
  const info = { simd: backend.simd, threads: backend.threads, started, wasmCalls: backend.counters.wasmCalls, note: backend.threadsNote };
  dev.destroy();
  return { c, info };
};
const js = await run({ wasm: false });
const one = await run({ threads: 1 });
const many = await run({});
const same = (x, y) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
console.log(`pack-wasm-check: simd ${many.info.simd}, threads ${many.info.started} of ${many.info.threads} running, wasm calls ${many.info.wasmCalls}${many.info.note ? ` (${many.info.note})` : ''}`);
if (!one.info.simd || one.info.wasmCalls !== 1) throw new Error('pack-wasm-check: the WebAssembly kernels did not run');
if (!same(js.c, one.c) || !same(js.c, many.c)) throw new Error('pack-wasm-check: the WebAssembly product differs from the JS loop');
