/**
 * Loads the handwritten WGSL kernels from the repository's `kernels/` directory and fills their placeholders.
 *
 * The directory is found by walking up from this module's own location until `kernels/matmul.wgsl` exists, so
 * the same code works from `packages/tensor/src/...` (vitest) and from `packages/tensor/dist/...` (tsc output).
 * `SYMPODE_KERNELS_DIR` overrides the search.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let kernelsDir: string | undefined;
const sources = new Map<string, string>();

export function findKernelsDir(): string {
  if (kernelsDir !== undefined) return kernelsDir;
  const fromEnv = process.env.SYMPODE_KERNELS_DIR;
  if (fromEnv && existsSync(join(fromEnv, 'matmul.wgsl'))) return (kernelsDir = fromEnv);
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    if (existsSync(join(dir, 'kernels', 'matmul.wgsl'))) return (kernelsDir = join(dir, 'kernels'));
    const up = dirname(dir);
    if (up === dir) throw new Error(`sympode: cannot find the WGSL kernels (kernels/matmul.wgsl) above ${start}`);
    dir = up;
  }
}

/** The raw text of `kernels/<file>.wgsl` (cached). */
export function kernelSource(file: string): string {
  let src = sources.get(file);
  if (src === undefined) {
    src = readFileSync(join(findKernelsDir(), `${file}.wgsl`), 'utf8');
    sources.set(file, src);
  }
  return src;
}

/**
 * Replaces every placeholder comment `/*NAME*\/` by `defines[NAME]`. Every placeholder in the source must be
 * defined (a forgotten one would otherwise compile into something silently wrong).
 */
export function instantiate(source: string, defines: Readonly<Record<string, string>>, label = 'kernel'): string {
  return source.replace(/\/\*([A-Z][A-Z0-9_]*)\*\//g, (_m, name: string) => {
    const v = defines[name];
    if (v === undefined) throw new Error(`sympode: ${label}: no value for WGSL placeholder ${name}`);
    return v;
  });
}
