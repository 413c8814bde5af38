/**
 * createDevice's choice of backend. Explicit `backend` (or any WebGPU object handed in) is obeyed; otherwise
 * webgpu on a hardware adapter, cpu (float64) when there is no adapter or only a software one (lavapipe,
 * SwiftShader: correct, but slower than the cpu backend for the small models of Neural ODEs). The reason is
 * given to `log`. The webgpu code is imported only when webgpu is tried.
 */
import type { Backend } from './backends/backend.js';
import { CpuBackend } from './backends/cpu.js';
import type { DeviceOptions } from './device.js';
import { DeviceUnavailableError, InvalidArgumentError } from './errors.js';
import { describe } from './args.js';
import { checkSeed } from './random.js';

const KERNEL_STYLES = ['gpu', 'cpu'] as const;
const POWER_PREFERENCES = ['low-power', 'high-performance'] as const;

/** Every key of `DeviceOptions` (the compiler keeps the list complete): any other is a typo that would be ignored. */
const DEVICE_OPTION_KEYS = Object.keys({
  backend: 0, dtype: 0, seed: 0, log: 0, kernelStyle: 0, gpu: 0, adapter: 0, device: 0, powerPreference: 0, threads: 0,
} satisfies Record<keyof DeviceOptions, 0>);

/** The options' keys and values that need no backend: unknown keys, explicit nulls, the seed, the log. */
function checkOptions(options: unknown): asserts options is DeviceOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`createDevice: options must be an object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!DEVICE_OPTION_KEYS.includes(k)) throw new InvalidArgumentError(`createDevice: unknown option '${k}' (known: ${DEVICE_OPTION_KEYS.join(', ')})`);
    if (o[k] === null) throw new InvalidArgumentError(`createDevice: ${k} is null; leave it out (or undefined) for the default`);
  }
  if (o.seed !== undefined) checkSeed('createDevice', o.seed);
  if (o.log !== undefined && typeof o.log !== 'function') throw new InvalidArgumentError(`createDevice: log must be a function (message) => void, got ${describe(o.log)}`);
  if (o.powerPreference !== undefined && !POWER_PREFERENCES.includes(o.powerPreference as never)) {
    throw new InvalidArgumentError(`createDevice: unknown powerPreference ${describe(o.powerPreference)} (expected 'low-power' or 'high-performance')`);
  }
}

/** Validates the options and creates the backend they ask for. */
export async function chooseBackend(options: DeviceOptions): Promise<Backend> {
  checkOptions(options);
  const { backend, dtype } = options;
  if (backend !== undefined && backend !== 'cpu' && backend !== 'webgpu') {
    throw new InvalidArgumentError(`unknown backend '${String(backend)}' (expected 'webgpu' or 'cpu')`);
  }
  if (dtype !== undefined && dtype !== 'float32' && dtype !== 'float64') {
    throw new InvalidArgumentError(`unknown dtype '${String(dtype)}' (expected 'float32' or 'float64')`);
  }
  if (options.kernelStyle !== undefined && !KERNEL_STYLES.includes(options.kernelStyle)) {
    throw new InvalidArgumentError(`unknown kernelStyle '${String(options.kernelStyle)}' (expected 'gpu' or 'cpu')`);
  }
  const handedIn = options.gpu ?? options.adapter ?? options.device;
  if (backend === 'cpu') {
    if (handedIn) throw new InvalidArgumentError("backend 'cpu' was asked for together with a WebGPU gpu/adapter/device");
    return new CpuBackend(dtype ?? 'float64', { threads: options.threads });
  }
  if (backend === 'webgpu' && options.threads !== undefined) {
    throw new InvalidArgumentError("createDevice: threads is an option of the cpu backend, not of 'webgpu'");
  }
  if (dtype === 'float64') {
    throw new InvalidArgumentError("the webgpu backend supports dtype 'float32' only (use backend 'cpu' for float64)");
  }
  const { createWebGpuBackend } = await import('./backends/webgpu/webgpu.js');
  if (backend === 'webgpu' || handedIn) return createWebGpuBackend(options);

  const log = options.log ?? ((m: string) => console.info(m));
  const cpu = (why: string): Backend => {
    log(`sympode: using cpu (${dtype ?? 'float64'}): ${why}`);
    return new CpuBackend(dtype ?? 'float64', { threads: options.threads });
  };
  const software = (description: string) =>
    cpu(`the only WebGPU adapter is a software one (${description}); pass { backend: 'webgpu' } to use it`);
  const { SOFTWARE_ADAPTER, describeAdapter, findAdapter, navigatorGpu } = await import('./backends/webgpu/adapter.js');
  const { probeAdapterQuietly } = await import('./backends/webgpu/quiet-probe.js');
  // A runtime with its own navigator.gpu (browsers, Deno) is asked directly. Node: look in a child process
  // first, so an adapter we do not use prints no driver warnings here.
  const seen = navigatorGpu() ? undefined : await probeAdapterQuietly(options.powerPreference);
  if (seen && !seen.found) return cpu(seen.why);
  if (seen && SOFTWARE_ADAPTER.test(seen.description)) return software(seen.description);
  let adapter: GPUAdapter;
  try {
    ({ adapter } = await findAdapter(options));
  } catch (e) {
    if (!(e instanceof DeviceUnavailableError)) throw e;
    return cpu('no WebGPU adapter found');
  }
  const description = describeAdapter(adapter.info);
  if (SOFTWARE_ADAPTER.test(description)) return software(description);
  const gpu = await createWebGpuBackend({ ...options, adapter });
  log(`sympode: using webgpu (${description})`);
  return gpu;
}
