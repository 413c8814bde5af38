/**
 * Compute pipelines, cached per kernel variant. The cache key holds only what changes the WGSL text (file,
 * entry point and placeholder values); sizes, strides and scalars travel in uniforms.
 *
 * Layouts are explicit: binding 0 is a uniform (a slot of the backend's uniform ring), the others are storage
 * buffers. Programs with the same bindings share one bind group layout, so the backend can cache bind groups by
 * (layout, buffers) across kernels (bindgroups.ts).
 *
 * Pipelines are created synchronously (backend methods are synchronous) inside a validation error scope;
 * `getCompilationInfo()` and the scope are checked asynchronously, and the first failure, with the compiler's
 * messages and line numbers, is thrown by `check()` (the backend calls it on every read) and by every later
 * `get()`.
 */
import { DeviceError } from '../../errors.js';
import { instantiate, kernelSource } from './kernelsource.js';

/** A storage binding of a kernel: its number and access. Binding 0 is always the uniform (a ring slot). */
export type Binding = readonly [binding: number, access: 'rw' | 'r'];

export interface Program {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** Equal for programs that share a bind group layout (their bind groups are interchangeable). */
  readonly layoutId: number;
  /** Storage bindings in the order the backend passes buffers. */
  readonly bindings: readonly Binding[];
}

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

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
export async function compileChecked(
  device: GPUDevice, label: string, code: string, entryPoint: string, bindings: readonly Binding[] = [],
): Promise<GPUComputePipeline> {
  const cache = new ProgramCache(device);
  const prog = cache.fromCode(label, code, entryPoint, bindings);
  await cache.check();
  return prog.pipeline;
}

export class ProgramCache {
  private readonly programs = new Map<string, Program>();
  private readonly byKernel = new WeakMap<object, WeakMap<object, Program>>();
  private readonly layouts = new Map<string, { id: number; bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();
  private pending: Promise<void>[] = [];
  private failure: Error | undefined;

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.programs.size;
  }

  /**
   * The pipeline for `entry` of `kernels/<file>.wgsl` with its placeholders filled from `defines`, laid out as
   * binding 0 = uniform with a dynamic offset plus `bindings`.
   */
  get(file: string, entry: string, bindings: readonly Binding[], defines: Readonly<Record<string, string>> = {}): Program {
    if (this.failure) throw this.failure;
    const names = Object.keys(defines).sort();
    const key = `${file}:${entry}:${names.map((n) => `${n}=${defines[n]}`).join(';')}`;
    const hit = this.programs.get(key);
    if (hit) return hit;
    const label = `${file}.wgsl:${entry}${names.length ? `[${names.map((n) => defines[n]).join(', ')}]` : ''}`;
    const code = instantiate(kernelSource(file), defines, label);
    const prog = this.create(key, label, code, entry, bindings);
    this.programs.set(key, prog);
    return prog;
  }

  /**
   * `get` for a kernel declaration, cached by the identity of the declaration and of its defines object (plans
   * pass constant defines), so a dispatch builds no key string.
   */
  forKernel(kernel: { readonly file: string; readonly entry: string; readonly bindings: readonly Binding[] }, defines: Readonly<Record<string, string>>): Program {
    if (this.failure) throw this.failure;
    let byDefines = this.byKernel.get(kernel);
    if (!byDefines) this.byKernel.set(kernel, (byDefines = new WeakMap()));
    let prog = byDefines.get(defines);
    if (!prog) {
      prog = this.get(kernel.file, kernel.entry, kernel.bindings, defines);
      byDefines.set(defines, prog);
    }
    return prog;
  }

  /** An uncached pipeline from literal WGSL (tests of the error path). */
  fromCode(label: string, code: string, entry: string, bindings: readonly Binding[] = []): Program {
    return this.create(`code:${label}`, label, code, entry, bindings);
  }

  private layoutFor(bindings: readonly Binding[]) {
    const sig = bindings.map(([b, a]) => `${b}${a}`).join(',');
    let l = this.layouts.get(sig);
    if (!l) {
      const bgl = this.device.createBindGroupLayout({
        entries: [
          { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
          ...bindings.map(([binding, access]): GPUBindGroupLayoutEntry => ({
            binding,
            visibility: COMPUTE,
            buffer: { type: access === 'rw' ? 'storage' : 'read-only-storage' },
          })),
        ],
      });
      const pl = this.device.createPipelineLayout({ bindGroupLayouts: [bgl] });
      l = { id: this.layouts.size + 1, bgl, pl };
      this.layouts.set(sig, l);
    }
    return l;
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

  private create(key: string, label: string, code: string, entryPoint: string, bindings: readonly Binding[]): Program {
    const device = this.device;
    device.pushErrorScope('validation');
    const layout = this.layoutFor(bindings);
    const module = device.createShaderModule({ label, code });
    const pipeline = device.createComputePipeline({ label, layout: layout.pl, compute: { module, entryPoint } });
    const scope = device.popErrorScope();
    const verdict = Promise.all([module.getCompilationInfo(), scope]).then(
      ([info, err]) => {
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length || err) {
          const text = errors.length ? formatCompilationMessages(label, code, errors) : `${label}: ${err?.message}`;
          this.failure ??= new DeviceError(`sympode: WGSL kernel failed to compile:\n${text}`);
          this.programs.delete(key);
        }
      },
      (e: unknown) => {
        this.failure ??= new DeviceError(`sympode: ${label}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
    this.pending.push(verdict);
    return { key, pipeline, layout: layout.bgl, layoutId: layout.id, bindings };
  }
}
