/**
 * Long horizons (issue 21 #5): one rk4 solve of many fixed steps with a checkpoint per step, forward and
 * backward, on every backend; the webgpu gradient against cpu float32's, and what the solve left alive: Dawn
 * bind groups (made, peak alive) and, on Linux, the process's memory mappings (lavapipe maps a page per
 * descriptor set and died at vm.max_map_count near 6 000 steps before Device.relieve).
 *
 *   npm run bench:soak-long [-- --steps 20000 --methods symplectic-adjoint,checkpoint]
 */
import { createDevice, grad, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName } from '@sympode/symplectic';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSection } from './lib/sections.js';
import { arg, args } from './lib/flags.js';

const steps = Number(arg('--steps', '20000'));
const methods = arg('--methods', 'symplectic-adjoint,checkpoint').split(',') as GradientMethodName[];
const H = 0.005;

/** Lines of /proc/self/maps (null off Linux). */
function maps(): number | null {
  try {
    return readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1;
  } catch {
    return null;
  }
}

interface Run { g: number[]; ms: number; made: number; peakLive: number; peakMaps: number | null; liveTensors: number }

async function solve(dev: Device, method: GradientMethodName): Promise<Run> {
  const c = dev.backend.counters;
  const made = c.bindGroups;
  let peakMaps = maps();
  let calls = 0;
  const t0 = performance.now();
  const g = await dev.tidy(async () => {
    const W = dev.tensor([[-0.1, 1.0], [-1.0, -0.1]], undefined, { requiresGrad: true });
    const f = (_t: number, y: Tensor) => {
      if (++calls % 1000 === 0 && peakMaps !== null) peakMaps = Math.max(peakMaps, maps() ?? 0);
      return y.matmul(W).tanh();
    };
    const ys = await odeint(f, dev.randn([64, 2], { seed: 1 }), [0, steps * H], { method: 'rk4', stepSize: H, params: [W], gradient: method });
    const [gW] = await grad(ys.narrow(0, 1, 1).square().sum(), [W]);
    return Array.from(await gW.data());
  });
  return { g, ms: performance.now() - t0, made: c.bindGroups - made, peakLive: c.peakLiveBindGroups, peakMaps, liveTensors: dev.memory.stats().liveTensors };
}

async function main(): Promise<void> {
  const lines = [`## Long horizons: ${steps} rk4 steps, a checkpoint per step (y' = tanh(y W), 64×2 state, 2×2 W, h = ${H})`, ''];
  lines.push(
    `\`npm run bench:soak-long\`, ${new Date().toISOString().slice(0, 10)}. One solve forward and backward per row, on a fresh device; ` +
      '"gradient vs cpu" is the largest relative difference of dL/dW from the cpu float32 run of the same method. Bind groups: made during the ' +
      'solve, and the most alive at once (cached, or dropped and not yet collected); maps: the most lines of /proc/self/maps seen.',
    '',
  );
  lines.push('| backend | gradient | s | gradient vs cpu float32 | bind groups made | peak alive | peak maps | tensors left |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const method of methods) {
    const cpu = await createDevice({ backend: 'cpu', dtype: 'float32' });
    const ref = await solve(cpu, method);
    cpu.destroy();
    lines.push(`| cpu float32 | ${method} | ${(ref.ms / 1000).toFixed(1)} | — | — | — | ${ref.peakMaps ?? '—'} | ${ref.liveTensors} |`);
    let gpu: Device;
    try {
      gpu = await createDevice({ backend: 'webgpu' });
    } catch (e) {
      lines.push(`| webgpu | ${method} | skipped: ${String(e).split('\n')[0]} | | | | | |`);
      continue;
    }
    const r = await solve(gpu, method);
    const rel = Math.max(...r.g.map((x, i) => Math.abs(x - ref.g[i]) / Math.abs(ref.g[i])));
    lines.push(`| ${gpu.backend.description} | ${method} | ${(r.ms / 1000).toFixed(1)} | ${rel.toExponential(1)} | ${r.made} | ${r.peakLive} | ${r.peakMaps ?? '—'} | ${r.liveTensors} |`);
    console.error(`${method}: webgpu ${(r.ms / 1000).toFixed(1)} s, rel ${rel.toExponential(1)}, peak alive ${r.peakLive}`);
    gpu.destroy();
    if (!(rel < 1e-3) || r.liveTensors !== 0) process.exitCode = 1;
  }
  console.log(lines.join('\n'));
  if (steps >= 20000 && !args.includes('--no-write')) {
    await writeSection(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'RESULTS.md'), 'soak-long', lines.join('\n'));
  }
}

await main();
