/** The embedded kernels (what packed packages and browser bundles load) are exactly kernels/*.wgsl and kernels/wasm. */
import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { render } from '../../scripts/embed-kernels.mjs';
import { renderWasm } from '../../scripts/embed-wasm.mjs';

it('kernels.generated.ts matches kernels/*.wgsl (run `npm run build` after editing a kernel)', () => {
  const committed = readFileSync(new URL('../../packages/tensor/src/backends/webgpu/kernels.generated.ts', import.meta.url), 'utf8');
  expect(committed).toBe(render());
});

it('the embedded WebAssembly module is kernels/wasm/gemm.wat assembled (run `npm run build` after editing it)', async () => {
  const committed = readFileSync(new URL('../../packages/tensor/src/backends/wasm/module.generated.ts', import.meta.url), 'utf8');
  expect(committed).toBe(await renderWasm());
});

it('the WebAssembly module stays under 4 KiB (the most some browsers compile synchronously on the main thread)', async () => {
  const { WASM_SHARED_BASE64, WASM_PLAIN_BASE64 } = await import('../../packages/tensor/src/backends/wasm/module.generated.js');
  for (const b64 of [WASM_SHARED_BASE64, WASM_PLAIN_BASE64]) expect(atob(b64).length).toBeLessThan(4096);
});
