/**
 * The shape of a kernel declaration. Each `kernels/<file>.wgsl` has one module here that declares, once:
 * its `struct Params` (as uniform fields, the byte layout computed from them), its storage bindings by WGSL
 * variable name, its entry points, and the plan functions that choose a variant, compute the workgroup grid
 * and fill the parameters for a backend call. The backend's op methods only pass buffers to a plan and the
 * resulting dispatches to the queue.
 */
import { DeviceLimitError } from '../../../errors.js';
import type { Binding } from '../programs.js';
import { uniformLayout, type Fields, type ParamValues, type UniformLayout } from '../uniforms.js';

/** Placeholder values of a WGSL file (see kernelsource.ts `instantiate`). */
export type Defines = Readonly<Record<string, string>>;

/** A workgroup grid (x, y, z), each extent at most the device's maxComputeWorkgroupsPerDimension. */
export type Grid = readonly [number, number, number];

export type { KernelStyle } from '../public-types.js';
import type { KernelStyle } from '../public-types.js';

/** The device limits plans need. */
export interface Limits {
  /** maxComputeWorkgroupsPerDimension (65535 on every adapter WebGPU allows). */
  readonly maxGroups: number;
}

/** One storage binding of a kernel: its WGSL variable name, binding number and access. */
export interface StorageBinding {
  readonly name: string;
  readonly binding: number;
  readonly access: 'rw' | 'r';
}

/** One entry point of a WGSL file, with everything the host needs to dispatch it. */
export interface Kernel<F extends Fields = Fields> {
  /** `kernels/<file>.wgsl`. */
  readonly file: string;
  readonly entry: string;
  /** Storage bindings in the order dispatches pass buffers (binding 0 is always the uniform `P`). */
  readonly storage: readonly StorageBinding[];
  /** The same as (binding, access) pairs, for the pipeline layout. */
  readonly bindings: readonly Binding[];
  /** The file's `struct Params`. */
  readonly params: UniformLayout<F>;
  /** Placeholders every pipeline of the file must fill. */
  readonly placeholders: readonly string[];
}

/** A WGSL file's declarations: its Params layout, binding table and a maker of its entries. */
export interface KernelFile<F extends Fields, B extends string> {
  readonly file: string;
  readonly params: UniformLayout<F>;
  readonly bindingTable: Readonly<Record<B, readonly [number, 'rw' | 'r']>>;
  /** Declares entry `entry` with the storage bindings `names`, in dispatch order. */
  entry(entry: string, names: readonly B[]): Kernel<F>;
}

/** Declares a WGSL file: Params fields in WGSL order, storage bindings by variable name, placeholders. */
export function kernelFile<F extends Fields, B extends string>(
  file: string, fields: F, bindingTable: Readonly<Record<B, readonly [number, 'rw' | 'r']>>, placeholders: readonly string[] = [],
): KernelFile<F, B> {
  const params = uniformLayout(fields);
  return {
    file,
    params,
    bindingTable,
    entry(entry, names) {
      const storage = names.map((name) => ({ name, binding: bindingTable[name][0], access: bindingTable[name][1] }));
      return { file, entry, storage, bindings: storage.map((s) => [s.binding, s.access] as const), params, placeholders };
    },
  };
}

/** One recorded kernel launch: what the queue needs and nothing else. */
export interface Dispatch {
  readonly kernel: Kernel;
  readonly defines: Defines;
  /** Buffers for `kernel.storage`, in order. */
  readonly buffers: readonly GPUBuffer[];
  readonly grid: Grid;
  readonly params: Readonly<Record<string, number | readonly number[]>>;
}

const NONE: Defines = {};

/** A dispatch of `kernel` with parameters type-checked against its declared fields. */
export function dispatchOf<F extends Fields>(
  kernel: Kernel<F>, buffers: readonly GPUBuffer[], grid: Grid, params: ParamValues<F>, defines: Defines = NONE,
): Dispatch {
  return { kernel: kernel as unknown as Kernel, defines, buffers, grid, params: params as Dispatch['params'] };
}

/** Threads per workgroup of the 1-D kernels (one element a thread). */
export const WG = 256;

/**
 * A grid of at least `groups` workgroups: 1-D while it fits, else 2-D with x ≤ maxGroups (the kernels compute
 * i = (wid.y · nwg.x + wid.x) · 256 + lid and idle past the end). Two dimensions reach 65535² workgroups,
 * more than any buffer a binding can hold has elements.
 */
export function grid1d(groups: number, lim: Limits): Grid {
  if (groups <= lim.maxGroups) return [groups, 1, 1];
  const y = Math.ceil(groups / lim.maxGroups);
  if (y > lim.maxGroups) {
    throw new DeviceLimitError(`sympode webgpu: ${groups} workgroups exceed a ${lim.maxGroups}×${lim.maxGroups} dispatch grid`);
  }
  return [Math.ceil(groups / y), y, 1];
}

/** Workgroups for `elements` elements, one a thread. */
export const groupsFor = (elements: number): number => Math.ceil(elements / WG);

export function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}
