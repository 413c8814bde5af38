/**
 * The CLI's device choice: `auto` is the library's own choice (`createDevice()` without a backend: a hardware
 * WebGPU adapter, else the float64 cpu backend), and the CLI prints why.
 */
import { createDevice, type Device } from '@sympode/tensor';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export async function cliDevice(choice: BackendChoice, seed: number, log: (m: string) => void): Promise<Device> {
  if (choice !== 'auto') return createDevice({ backend: choice, seed });
  return createDevice({ seed, log: (m) => log(`backend: ${m.replace(/^sympode: using /, '')}`) });
}
