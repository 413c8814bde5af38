/**
 * Compute pipelines, cached per kernel variant. The cache key holds only what changes the WGSL text (file,
 * entry point and placeholder values); sizes, strides and scalars travel in uniforms.
 *
 * Pipelines are created synchronously (backend methods are synchronous) inside a validation error scope;
 * `getCompilationInfo()` and the scope are checked asynchronously, and the first failure, with the compiler's
 * messages and line numbers, is thrown by `check()` (the backend calls it on every read) and by every later
 * `get()`.
 */
import { instantiate, kernelSource } from './kernelsource.js';

export interface Program {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** Formats compilation messages as `label:line:col: error: message` plus the offending source line. */
export function formatCompilationMessages(label: string, code: string, messages: readonly GPUCompilationMessage[]): string {
  const lines = code.split('\n');
  return messages
    .map((m) => {
      const src = m.lineNum > 0 && m.lineNum <= lines.length ? `\n    ${lines[m.lineNum - 1].trim()}` : '';
      return `${label}:${m.lineNum}:${m.linePos}: ${m.type}: ${m.message}${src}`;
    })
    .join('\n');
}

/** Compiles one module and pipeline, waiting for the compiler's verdict (used by tests and warm-up). */
export async function compileChecked(device: GPUDevice, label: string, code: string, entryPoint: string): Promise<GPUComputePipeline> {
  const cache = new ProgramCache(device);
  const prog = cache.fromCode(label, code, entryPoint);
  await cache.check();
  return prog.pipeline;
}

export class ProgramCache {
  private readonly programs = new Map<string, Program>();
  private pending: Promise<void>[] = [];
  private failure: Error | undefined;

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.programs.size;
  }

  /** The pipeline for `entry` of `kernels/<file>.wgsl` with its placeholders filled from `defines`. */
  get(file: string, entry: string, defines: Readonly<Record<string, string>> = {}): Program {
    if (this.failure) throw this.failure;
    const names = Object.keys(defines).sort();
    const key = `${file}:${entry}:${names.map((n) => `${n}=${defines[n]}`).join(';')}`;
    const hit = this.programs.get(key);
    if (hit) return hit;
    const label = `${file}.wgsl:${entry}${names.length ? `[${names.map((n) => defines[n]).join(', ')}]` : ''}`;
    const code = instantiate(kernelSource(file), defines, label);
    const prog = this.create(key, label, code, entry);
    this.programs.set(key, prog);
    return prog;
  }

  /** An uncached pipeline from literal WGSL (tests of the error path). */
  fromCode(label: string, code: string, entry: string): Program {
    return this.create(`code:${label}`, label, code, entry);
  }

  /** Resolves when every pipeline created so far has compiled; throws the first compile/validation error. */
  async check(): Promise<void> {
    while (this.pending.length) {
      const p = this.pending;
      this.pending = [];
      await Promise.all(p);
    }
    if (this.failure) throw this.failure;
  }

  private create(key: string, label: string, code: string, entryPoint: string): Program {
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code });
    const pipeline = device.createComputePipeline({ label, layout: 'auto', compute: { module, entryPoint } });
    const layout = pipeline.getBindGroupLayout(0);
    const scope = device.popErrorScope();
    const verdict = Promise.all([module.getCompilationInfo(), scope]).then(
      ([info, err]) => {
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length || err) {
          const text = errors.length ? formatCompilationMessages(label, code, errors) : `${label}: ${err?.message}`;
          this.failure ??= new Error(`sympode: WGSL kernel failed to compile:\n${text}`);
          this.programs.delete(key);
        }
      },
      (e: unknown) => {
        this.failure ??= new Error(`sympode: ${label}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
    this.pending.push(verdict);
    return { key, pipeline, layout };
  }
}
