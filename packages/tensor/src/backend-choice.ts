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

const KERNEL_STYLES = ['gpu', 'cpu'] as const;

/** Validates the options and creates the backend they ask for. */
export async function chooseBackend(options: DeviceOptions): Promise<Backend> {
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
    return new CpuBackend(dtype ?? 'float64');
  }
  if (dtype === 'float64') {
    throw new InvalidArgumentError("the webgpu backend supports dtype 'float32' only (use backend 'cpu' for float64)");
  }
  const { createWebGpuBackend } = await import('./backends/webgpu/webgpu.js');
  if (backend === 'webgpu' || handedIn) return createWebGpuBackend(options);

  const log = options.log ?? ((m: string) => console.info(m));
  const cpu = (why: string): Backend => {
    log(`sympode: using cpu (${dtype ?? 'float64'}): ${why}`);
    return new CpuBackend(dtype ?? 'float64');
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
