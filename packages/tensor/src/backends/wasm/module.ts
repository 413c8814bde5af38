/**
 * The cpu backend's WebAssembly module (kernels/wasm/gemm.wat, embedded by scripts/embed-wasm.mjs), compiled
 * once per process, in two builds: one importing a shared memory (so worker threads run it on the same bytes),
 * one importing a plain memory for runtimes without shared memory (a browser page that is not cross-origin
 * isolated), which then runs on one thread.
 */
import { wasmApi, type WasmModule } from './api.js';
import { WASM_PLAIN_BASE64, WASM_SHARED_BASE64 } from './module.generated.js';

/** The most pages (64 KiB) a backend's WebAssembly memory may grow to: 1 GiB, so i32 byte offsets never wrap. */
export const MAX_PAGES = 16384;

/** The exports of one instance (byte offsets and element strides are i32). */
export interface GemmExports {
  gemm_f32(a: number, ar: number, ac: number, b: number, br: number, bc: number, c: number, m: number, n: number, k: number,
    i0: number, i1: number, pa: number, pb: number): void;
  gemm_f64(a: number, ar: number, ac: number, b: number, br: number, bc: number, c: number, m: number, n: number, k: number,
    i0: number, i1: number, pa: number, pb: number): void;
  bias_f32(c: number, bias: number, i0: number, i1: number, npad: number): void;
  bias_f64(c: number, bias: number, i0: number, i1: number, npad: number): void;
  tanh_f32(c: number, i0: number, i1: number, npad: number): void;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let cache: { shared: WasmModule | null; plain: WasmModule | null } | undefined;

/** The compiled modules (null where the runtime cannot compile or share). */
export function modules(): { shared: WasmModule | null; plain: WasmModule | null } {
  if (cache) return cache;
  const wa = wasmApi();
  const compile = (b: Uint8Array<ArrayBuffer>): WasmModule | null => {
    try {
      return wa && wa.validate(b) ? new wa.Module(b) : null;
    } catch {
      return null;
    }
  };
  let shared: WasmModule | null = null;
  try {
    if (wa && typeof SharedArrayBuffer === 'function') {
      new wa.Memory({ initial: 1, maximum: 1, shared: true });
      shared = compile(decode(WASM_SHARED_BASE64));
    }
  } catch {
    shared = null;
  }
  cache = { shared, plain: compile(decode(WASM_PLAIN_BASE64)) };
  return cache;
}
