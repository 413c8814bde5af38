/**
 * The handwritten WGSL kernels (`kernels/*.wgsl`), embedded into the package at build time
 * (kernels.generated.ts, by scripts/embed-kernels.mjs) so the WebGPU backend needs no file system: it works
 * from a packed tarball and in a browser bundle alike. `setKernelSources` lets a developer load edited
 * kernels without rebuilding.
 */
import { KERNEL_SOURCES } from './kernels.generated.js';

let sources: Readonly<Record<string, string>> = KERNEL_SOURCES;

/** Replaces the kernel sources (development: e.g. WGSL read from a working copy). Affects programs compiled later. */
export function setKernelSources(next: Readonly<Record<string, string>>): void {
  sources = { ...KERNEL_SOURCES, ...next };
}

/** The text of `kernels/<file>.wgsl`, each `//#include NAME` line replaced by `kernels/lib/NAME.wgsl`. */
export function kernelSource(file: string): string {
  const src = sources[file];
  if (src === undefined) throw new Error(`sympode: no WGSL kernel '${file}' (known: ${Object.keys(sources).join(', ')})`);
  return src.replace(/^\/\/#include (\w+)$/gm, (_m, name: string) => {
    const piece = sources[`lib/${name}`];
    if (piece === undefined) throw new Error(`sympode: ${file}.wgsl includes 'lib/${name}', which does not exist`);
    return piece;
  });
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
