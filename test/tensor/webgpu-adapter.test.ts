/**
 * createDevice's WebGPU set-up: a user's own GPUDevice, adapter or GPU object; the kernel-style option; the
 * automatic choice said through `log` and quiet (Dawn's driver warnings stay out of stderr when the adapter is
 * not used). Needs Dawn with an adapter (lavapipe in CI); skipped without one unless SYMPODE_REQUIRE_WEBGPU=1.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDevice, InvalidArgumentError, type Device } from '@sympode/tensor';
import { hasWebgpu } from '../helpers/devices.js';

const run = await hasWebgpu();

async function dawnDevice(): Promise<{ gpu: GPU; adapter: GPUAdapter; device: GPUDevice }> {
  const { create } = (await import('webgpu')) as { create(flags: string[]): GPU };
  const gpu = create([]);
  const adapter = (await gpu.requestAdapter())!;
  return { gpu, adapter, device: await adapter.requestDevice() };
}

async function matmulWorks(d: Device): Promise<void> {
  const a = d.tensor([[1, 2], [3, 4]]);
  const b = d.tensor([[5, 6], [7, 8]]);
  const c = a.matmul(b);
  expect(Array.from(await c.data())).toEqual([19, 22, 43, 50]);
  d.dispose(a, b, c);
}

describe.runIf(run)('webgpu set-up', () => {
  it("runs on the user's own GPUDevice and leaves it alive when the sympode device is destroyed", async () => {
    const { gpu, device } = await dawnDevice();
    const d = await createDevice({ device, gpu });
    expect(d.kind).toBe('webgpu');
    await matmulWorks(d);
    d.destroy();
    // Still the user's: it creates and maps buffers after sympode is gone.
    const buf = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    await buf.mapAsync(GPUMapMode.READ);
    expect(buf.getMappedRange().byteLength).toBe(16);
    buf.destroy();
    device.destroy();
  });

  it('requests the device from a given adapter or GPU object', async () => {
    const { create } = (await import('webgpu')) as { create(flags: string[]): GPU };
    const gpu = create([]);
    const adapter = (await gpu.requestAdapter())!;
    for (const opts of [{ adapter, gpu }, { gpu }]) {
      const d = await createDevice(opts);
      expect(d.kind).toBe('webgpu');
      await matmulWorks(d);
      d.destroy();
    }
  });

  it('takes the kernel style as an option (same results) and rejects unknown ones', async () => {
    for (const kernelStyle of ['gpu', 'cpu'] as const) {
      const d = await createDevice({ backend: 'webgpu', kernelStyle });
      expect((d.backend as unknown as { kernelStyle: string }).kernelStyle).toBe(kernelStyle);
      await matmulWorks(d);
      d.destroy();
    }
    await expect(createDevice({ backend: 'webgpu', kernelStyle: 'fast' as 'gpu' })).rejects.toThrow(InvalidArgumentError);
    const { device } = await dawnDevice();
    await expect(createDevice({ backend: 'cpu', device })).rejects.toThrow(/backend 'cpu'.*WebGPU/);
    device.destroy();
  });

  it('chooses automatically, says why, and prints no driver warnings', () => {
    // A fresh process, as a user's script: stderr must stay empty whatever the adapter.
    const dist = fileURLToPath(new URL('../../packages/tensor/dist/index.js', import.meta.url));
    const script = `const { createDevice } = await import(${JSON.stringify(dist)});
      const d = await createDevice({ log: (m) => console.log(m) }); console.log('kind=' + d.kind); d.destroy();`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/sympode: using (cpu|webgpu)/);
    expect(child.stdout).toMatch(/kind=(cpu|webgpu)/);
    if (/software/.test(child.stdout)) expect(child.stdout).toMatch(/kind=cpu/);
    expect(child.stderr).toBe('');
  });

  it('prefers a runtime navigator.gpu (Deno, browsers) over the Node child-process probe', () => {
    // navigator.gpu set as Deno has it (here: Dawn's GPU object): the automatic choice must ask it.
    const dist = fileURLToPath(new URL('../../packages/tensor/dist/index.js', import.meta.url));
    const script = `const { create } = await import('webgpu'); const gpu = create([]); let asked = 0;
      const nav = { gpu: { requestAdapter: (o) => { asked++; return gpu.requestAdapter(o); }, getPreferredCanvasFormat: () => 'rgba8unorm' } };
      Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
      const { createDevice } = await import(${JSON.stringify(dist)});
      const d = await createDevice({ log: (m) => console.log(m) }); console.log('asked=' + asked + ' kind=' + d.kind); d.destroy();`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/asked=[1-9]/);
    expect(child.stdout).toMatch(/sympode: using (cpu|webgpu)/);
  });
});
