/**
 * The CLI's device choice. `auto` takes a hardware WebGPU adapter when there is one; on a software adapter
 * (lavapipe) the float64 cpu backend is faster for these small models, so auto takes cpu and says why.
 */
import { createDevice, type Device } from '@sympode/tensor';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export async function cliDevice(choice: BackendChoice, seed: number, log: (m: string) => void): Promise<Device> {
  if (choice !== 'auto') return createDevice({ backend: choice, seed });
  const dev = await createDevice({ seed, log: () => undefined });
  if (dev.kind === 'webgpu' && dev.backend.emulated) {
    log(`backend: cpu (float64) — the only WebGPU adapter is software (${dev.backend.description}); pass --backend webgpu to use it`);
    dev.destroy();
    return createDevice({ backend: 'cpu', seed });
  }
  log(`backend: ${dev.kind} (${dev.backend.description})`);
  return dev;
}
