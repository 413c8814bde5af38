/**
 * Getting a GPUDevice, the same way in Node and in browsers: the caller's own device, adapter or GPU object
 * when given; else `navigator.gpu` where the runtime has one (browsers, Deno); else Dawn through the optional
 * `webgpu` package, imported lazily so cpu-only and browser users never load (or install) it.
 * No `node:*` import and no `process` reference here: a browser bundle reaches this file.
 */
import { DeviceUnavailableError } from '../../errors.js';
import type { WebGpuOptions } from './public-types.js';

export type { WebGpuOptions } from './public-types.js';

/** The caller's objects as the lib's GPU types: ours are structural subsets of them (see public-types.ts). */
function handedIn(options: WebGpuOptions): { gpu?: GPU; adapter?: GPUAdapter; device?: GPUDevice } {
  return options as { gpu?: GPU; adapter?: GPUAdapter; device?: GPUDevice };
}

/** A device and what is known about where it came from. */
export interface AcquiredDevice {
  device: GPUDevice;
  /** The GPU object to keep reachable while the device lives (Dawn releases its instance otherwise). */
  gpu: GPU | undefined;
  /** Vendor, architecture and description of the adapter, as one line. */
  description: string;
  /** Whether sympode created the device (and so destroys it). */
  owned: boolean;
}

/** Software (CPU) Vulkan/WebGPU implementations: correct, but slower than the cpu backend for small models. */
export const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

/** The module specifier of Dawn's Node binding (a variable, so bundlers leave the import alone). */
const DAWN_PACKAGE = 'webgpu';

export const NO_ADAPTER_MESSAGE =
  'sympode: no WebGPU adapter was found (Dawn found no usable Vulkan driver). ' +
  "Install your GPU's Vulkan driver, or Mesa >= 24's software Vulkan (lavapipe: on Debian/Ubuntu " +
  '`apt-get install mesa-vulkan-drivers libvulkan1`, from bookworm-backports on Debian 12), ' +
  "or use backend 'cpu'.";

export const NO_BROWSER_ADAPTER_MESSAGE =
  "sympode: navigator.gpu gave no WebGPU adapter (WebGPU disabled, or no supported GPU in this browser); " +
  "enable WebGPU in the browser's settings, or use the cpu backend.";

/** Limits sympode asks for: the adapter's best, since its kernels tile by workgroup memory and bind large buffers. */
const WANTED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
] as const;

/** One line naming an adapter. */
export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'WebGPU adapter';
  return [info.vendor, info.architecture, info.description].filter((s) => s && s.length > 0).join(' ') || 'WebGPU adapter';
}

let dawn: Promise<GPU> | undefined;

/** Dawn's GPU object, created once per process (its globals installed for the WebGPU constants it expects). */
function loadDawn(): Promise<GPU> {
  dawn ??= (async () => {
    let mod: { create(flags: string[]): GPU; globals: object };
    try {
      mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ DAWN_PACKAGE)) as typeof mod;
    } catch (e) {
      dawn = undefined;
      throw new DeviceUnavailableError(
        'sympode: WebGPU in Node needs the optional peer dependency `webgpu` (Dawn): `npm install webgpu`, ' +
          `or use the cpu backend (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    Object.assign(globalThis, mod.globals);
    return mod.create([]);
  })();
  return dawn;
}

/** The runtime's own `navigator.gpu`, if any. */
export function navigatorGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu ?? undefined;
}

/** The GPU object to request adapters from: the given one, the runtime's, else Dawn's. */
async function gpuObject(options: WebGpuOptions = {}): Promise<GPU> {
  return handedIn(options).gpu ?? navigatorGpu() ?? (await loadDawn());
}

/** An adapter (the given one, or requested); throws DeviceUnavailableError when there is none. */
export async function findAdapter(options: WebGpuOptions = {}): Promise<{ adapter: GPUAdapter; gpu: GPU | undefined }> {
  const own = handedIn(options);
  if (own.adapter) return { adapter: own.adapter, gpu: own.gpu };
  const gpu = await gpuObject(options);
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) {
    // Dawn's advice (a Vulkan driver) means nothing to a browser user.
    const fromRuntime = !options.gpu && gpu === navigatorGpu();
    throw new DeviceUnavailableError(fromRuntime ? NO_BROWSER_ADAPTER_MESSAGE : NO_ADAPTER_MESSAGE);
  }
  return { adapter, gpu };
}

/** The device to run on: the user's own, or one requested with the limits sympode's kernels want. */
export async function acquireDevice(options: WebGpuOptions = {}): Promise<AcquiredDevice> {
  const own = handedIn(options);
  if (own.device) {
    const info = (own.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? own.adapter?.info;
    return { device: own.device, gpu: own.gpu, description: describeAdapter(info), owned: false };
  }
  const { adapter, gpu } = await findAdapter(options);
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    // Timestamp queries, where the adapter has them, let memory.profile report GPU time per kernel.
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (e) {
    throw new DeviceUnavailableError(
      `sympode: the WebGPU adapter (${describeAdapter(adapter.info)}) refused a device: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return { device, gpu, description: describeAdapter(adapter.info), owned: true };
}
