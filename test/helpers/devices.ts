/**
 * Access to the webgpu device for tests. With SYMPODE_REQUIRE_WEBGPU=1 (CI) a missing adapter is a failure,
 * otherwise webgpu suites are skipped on machines without one.
 */
import { createDevice, type Device } from '@sympode/tensor';

export const webgpuRequired = process.env.SYMPODE_REQUIRE_WEBGPU === '1';

let probe: Promise<Device | null> | null = null;

/** The shared webgpu device, or null when no adapter exists and webgpu is not required. */
export function webgpuDevice(): Promise<Device | null> {
  probe ??= createDevice({ backend: 'webgpu' }).catch((e: unknown) => {
    if (webgpuRequired) throw new Error(`SYMPODE_REQUIRE_WEBGPU=1 but no WebGPU device could be created: ${String(e)}`);
    return null;
  });
  return probe;
}

/** Resolves whether webgpu suites should run (throws when required but unavailable). */
export async function hasWebgpu(): Promise<boolean> {
  return (await webgpuDevice()) !== null;
}
