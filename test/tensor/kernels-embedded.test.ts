/** The embedded kernels (what packed packages and browser bundles load) are exactly kernels/*.wgsl. */
import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { render } from '../../scripts/embed-kernels.mjs';

it('kernels.generated.ts matches kernels/*.wgsl (run `npm run build` after editing a kernel)', () => {
  const committed = readFileSync(new URL('../../packages/tensor/src/backends/webgpu/kernels.generated.ts', import.meta.url), 'utf8');
  expect(committed).toBe(render());
});
