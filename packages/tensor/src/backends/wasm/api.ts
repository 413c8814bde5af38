/**
 * The few WebAssembly declarations the cpu kernels use. The package compiles without the DOM and Node type
 * libraries (so it type-checks as installed in any project); the runtime object is `globalThis.WebAssembly`.
 */

/** A compiled module (opaque here). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory; `buffer` is a SharedArrayBuffer when it is shared. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

/** The runtime's WebAssembly, or undefined where it has none. */
export function wasmApi(): WasmNamespace | undefined {
  return (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;
}
