// A consumer with @webgpu/types (as a browser or Dawn user has): the real GPU objects are accepted where the
// public API takes a gpu, an adapter or a device.
import { createDevice } from '@sympode/tensor';

export async function onOwnDevice(gpu: GPU): Promise<string> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) return 'no adapter';
  const device: GPUDevice = await adapter.requestDevice();
  const a = await createDevice({ device });
  const b = await createDevice({ gpu, powerPreference: 'high-performance' });
  const c = await createDevice({ adapter: (await gpu.requestAdapter())! });
  return [a, b, c].map((d) => d.backend.description).join('; ');
}
