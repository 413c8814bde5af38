/**
 * The WebGPU objects the public API names, declared structurally by us so that the package's types resolve
 * without `@webgpu/types` (a `GPUDevice`, `GPUAdapter` or `navigator.gpu` from `@webgpu/types`, from the
 * `webgpu` package, Deno or a browser is assignable to them). No GPU type from a lib appears here: the
 * public declarations reach this file and never the backend's internals.
 */

/** Kernel variants tuned for GPUs or for software adapters (see the webgpu backend's `kernelStyle`). */
export type KernelStyle = 'gpu' | 'cpu';

/** The adapter preference passed to `requestAdapter` (WebGPU's `GPUPowerPreference`). */
export type WebGpuPowerPreference = 'low-power' | 'high-performance';

/** What sympode reads of an adapter's `info` (WebGPU's `GPUAdapterInfo`). */
export interface WebGpuAdapterInfoLike {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
}

/** A WebGPU device (a `GPUDevice`): the members sympode relies on to tell one from anything else. */
export interface WebGpuDeviceLike {
  readonly queue: object;
  readonly limits: object;
  readonly features: { has(name: string): boolean };
  readonly lost: Promise<unknown>;
  createBuffer(descriptor: never): unknown;
  createComputePipeline(descriptor: never): unknown;
  createBindGroup(descriptor: never): unknown;
  destroy(): void;
}

/** A WebGPU adapter (a `GPUAdapter`). */
export interface WebGpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly limits: object;
  readonly info?: WebGpuAdapterInfoLike;
  requestDevice(descriptor?: never): Promise<WebGpuDeviceLike>;
}

/** A WebGPU entry point (a `GPU`, e.g. `navigator.gpu` or the `webgpu` package's `create([])`). */
export interface WebGpuLike {
  requestAdapter(options?: never): Promise<WebGpuAdapterLike | null>;
}

/** The WebGPU objects a user may hand in, and the adapter preference otherwise. */
export interface WebGpuOptions {
  /** A `GPU` object (e.g. `navigator.gpu`, or `create([])` of the `webgpu` package) to request the adapter from. */
  gpu?: WebGpuLike;
  /** An adapter to request the device from. */
  adapter?: WebGpuAdapterLike;
  /**
   * A ready device. sympode uses it as it is (its limits cap what sympode can do) and does not destroy it
   * when the sympode device is destroyed: it stays yours.
   */
  device?: WebGpuDeviceLike;
  /** Passed to `requestAdapter` when sympode requests the adapter. */
  powerPreference?: WebGpuPowerPreference;
}
