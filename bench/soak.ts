/**
 * Soak: 1000 tidy'd training steps (MLP ODE 2→32→32→2, batch 64, dopri5, Adam) per gradient method and
 * backend. After every step the allocator's live bytes, tensors and buffers must equal what the caller holds
 * (parameters, their gradients once created, Adam's state), and the pool must stop growing; RSS is sampled
 * to show the process does not grow either. Exits non-zero when a count drifts.
 *
 * The JS heap is sampled after a forced collection (node --expose-gc, as `npm run bench:soak` runs it).
 *
 *   npm run bench:soak [-- --steps 1000 --backends cpu,webgpu --methods symplectic-adjoint,backprop]
 */
import { createDevice, nn, optim, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, type GradientMethodName } from '@sympode/symplectic';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSection } from './lib/sections.js';
import { arg, args } from './lib/flags.js';

const steps = Number(arg('--steps', '1000'));
const backends = arg('--backends', 'cpu,webgpu').split(',') as ('cpu' | 'webgpu')[];
const methods = arg('--methods', GRADIENT_METHODS.join(',')).split(',') as GradientMethodName[];

interface Sample { step: number; liveBytes: number; liveTensors: number; liveBuffers: number; reservedBytes: number; rssMiB: number; heapMiB: number }

/** Heap after a full collection when node runs with --expose-gc (the script sets it), else as is. */
function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function soak(dev: Device, gradient: GradientMethodName): Promise<{ samples: Sample[]; drift: string | null; ms: number }> {
  const mlp = new nn.MLP(dev, [2, 32, 32, 2], 'tanh', { seed: 3 });
  const opt = new optim.Adam(mlp.parameters(), { lr: 1e-3 });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  const samples: Sample[] = [];
  let settled: Sample | null = null;
  let drift: string | null = null;
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    await dev.tidy(async () => {
      const y0 = dev.randn([64, 2], { seed: step });
      const ys = await odeint(f, y0, [0, 0.5, 1], { method: 'dopri5', rtol: 1e-5, atol: 1e-7, params: mlp, gradient });
      const loss = ys.narrow(0, 2, 1).sub(y0.mul(0.5)).square().mean();
      await loss.backward();
      opt.step();
      opt.zeroGrad();
    });
    const m = dev.memory.stats();
    const s: Sample = {
      step, liveBytes: m.liveBytes, liveTensors: m.liveTensors, liveBuffers: m.liveBuffers, reservedBytes: m.reservedBytes,
      rssMiB: process.memoryUsage().rss / 2 ** 20, heapMiB: 0,
    };
    // Step 1 creates Adam's state; from step 2 on, every count must stay exactly where it is.
    if (step === 2) settled = s;
    if (settled && !drift && (s.liveBytes !== settled.liveBytes || s.liveTensors !== settled.liveTensors || s.liveBuffers !== settled.liveBuffers)) {
      drift = `step ${step}: live ${s.liveBytes} B / ${s.liveTensors} tensors / ${s.liveBuffers} buffers, after step 2: ${settled.liveBytes} / ${settled.liveTensors} / ${settled.liveBuffers}`;
    }
    if (step === 1 || step === 2 || step % 100 === 0) samples.push({ ...s, heapMiB: heapMiB() });
  }
  const ms = (performance.now() - t0) / steps;
  opt.dispose();
  mlp.dispose();
  return { samples, drift, ms };
}

async function main(): Promise<void> {
  const lines = [`## Soak: ${steps} tidy'd training steps (MLP ODE 2→32→32→2, batch 64, dopri5 rtol 1e-5, Adam)`, ''];
  lines.push(`\`npm run bench:soak\`, ${new Date().toISOString().slice(0, 10)}. After every step the allocator's live bytes, tensors and buffers are compared with step 2 (when Adam's state exists); "drift" names the first step that differs.`, '');
  lines.push('| backend | gradient | live bytes (step 2 → last) | live tensors | live buffers | reserved bytes (step 2 → last) | JS heap after GC, MiB (step 2 → mid → last) | RSS MiB (step 2 → mid → last) | ms/step | drift |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | ---: | --- |');
  let failed = false;
  for (const b of backends) {
    let dev: Device;
    try {
      dev = await createDevice({ backend: b });
    } catch (e) {
      lines.push(`| ${b} | — | skipped: ${String(e).split('\n')[0]} | | | | | | |`);
      continue;
    }
    for (const m of methods) {
      const { samples, drift, ms } = await soak(dev, m);
      const a = samples[1], mid = samples[Math.floor(samples.length / 2)], z = samples[samples.length - 1];
      const pair = (k: keyof Sample) => `${a[k]} → ${z[k]}`;
      const three = (k: keyof Sample) => `${a[k].toFixed(1)} → ${mid[k].toFixed(1)} → ${z[k].toFixed(1)}`;
      lines.push(`| ${dev.backend.description} | ${m} | ${pair('liveBytes')} | ${pair('liveTensors')} | ${pair('liveBuffers')} | ${pair('reservedBytes')} | ${three('heapMiB')} | ${three('rssMiB')} | ${ms.toFixed(1)} | ${drift ?? 'none'} |`);
      console.error(`${b} ${m}: ${drift ?? 'flat'} (${ms.toFixed(1)} ms/step)`);
      failed ||= drift !== null;
    }
    dev.destroy();
  }
  console.log(lines.join('\n'));
  if (steps >= 1000 && !args.includes('--no-write')) await writeSection(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'RESULTS.md'), 'soak', lines.join('\n'));
  if (failed) process.exitCode = 1;
}

await main();
