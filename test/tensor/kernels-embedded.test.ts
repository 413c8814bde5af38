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
