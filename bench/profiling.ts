/**
 * What the profiling tools cost, and a long run traced within a fixed budget.
 *
 * 1. Overhead: one training step (MLP ODE 2→32→32→2, batch 64, dopri5, symplectic adjoint, Adam; cpu
 *    float64) timed with nothing on, with a trace, with a trace capturing stacks, and inside `profile()`.
 *    The four variants are interleaved round by round so machine noise hits them alike; ratios to "off".
 * 2. Budget: 600 steps traced with `maxEvents` 100 000; the trace is streamed to a file. Reports kept and
 *    dropped events, the file size and the JS heap after a forced GC (node --expose-gc).
 *
 *   npm run bench:profiling [-- --rounds 5 --steps-per-round 20 --long 600]
 */
import { createDevice, nn, optim, type Device, type Tensor } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSection } from './lib/sections.js';
import { arg, args } from './lib/flags.js';

const rounds = Number(arg('--rounds', '5'));
const perRound = Number(arg('--steps-per-round', '20'));
const longSteps = Number(arg('--long', '600'));
const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');

type Variant = 'off' | 'trace' | 'trace+stacks' | 'profile';
const VARIANTS: Variant[] = ['off', 'trace', 'trace+stacks', 'profile'];

function trainer(dev: Device): (seed: number) => Promise<void> {
  const mlp = new nn.MLP(dev, [2, 32, 32, 2], 'tanh', { seed: 3 });
  const opt = new optim.Adam(mlp.parameters(), { lr: 1e-3 });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  return (seed) =>
    dev.tidy(async () => {
      const y0 = dev.randn([64, 2], { seed });
      const ys = await odeint(f, y0, [0, 0.5, 1], { method: 'dopri5', rtol: 1e-5, atol: 1e-7, params: mlp });
      const loss = ys.narrow(0, 2, 1).sub(y0.mul(0.5)).square().mean();
      await loss.backward();
      opt.step();
      opt.zeroGrad();
    });
}

async function timed(dev: Device, step: (seed: number) => Promise<void>, v: Variant, seed0: number): Promise<number> {
  const run = async () => {
    for (let i = 0; i < perRound; i++) await step(seed0 + i);
  };
  const t0 = performance.now();
  if (v === 'trace' || v === 'trace+stacks') {
    dev.memory.startTrace({ stacks: v === 'trace+stacks' });
    await run();
    dev.memory.stopTrace();
  } else if (v === 'profile') await dev.memory.profile(run);
  else await run();
  return (performance.now() - t0) / perRound;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function main(): Promise<void> {
  const dev = await createDevice({ backend: 'cpu' });
  const step = trainer(dev);
  for (let i = 0; i < 5; i++) await step(i); // warm-up
  const ms: Record<Variant, number[]> = { off: [], trace: [], 'trace+stacks': [], profile: [] };
  for (let r = 0; r < rounds; r++) {
    for (const v of VARIANTS) ms[v].push(await timed(dev, step, v, 1000 * r));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const off = median(ms.off);
  const rows = VARIANTS.map((v) => `| ${v} | ${median(ms[v]).toFixed(1)} | ${(median(ms[v]) / off).toFixed(2)}× |`);
  console.log(rows.join('\n'));

  const heapBefore = heapMiB();
  const trace = dev.memory.startTrace({ maxEvents: 100_000 });
  for (let i = 0; i < longSteps; i++) await step(10_000 + i);
  dev.memory.stopTrace();
  const heapTraced = heapMiB();
  await mkdir(resolve(benchDir, 'out'), { recursive: true });
  const file = resolve(benchDir, 'out', 'trace-long.json');
  const out = createWriteStream(file);
  for (const chunk of trace.chromeTraceChunks('600 steps')) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((r) => out.end(() => r()));
  const size = (await stat(file)).size;
  const d = trace.dropped;
  const long =
    `${longSteps} steps: ${trace.events.length} events kept, ${d.events} dropped (${d.allocs} allocs, ${d.frees} frees), ` +
    `streamed to a ${(size / 2 ** 20).toFixed(1)} MiB Chrome trace; JS heap after GC ${heapBefore.toFixed(1)} MiB before, ` +
    `${heapTraced.toFixed(1)} MiB with the trace held`;
  console.log(long);
  dev.destroy();

  await writeSection(
    resolve(benchDir, 'RESULTS.md'),
    'profiling',
    [
      '## Cost of the profiling tools',
      '',
      `\`npm run bench:profiling\`, ${new Date().toISOString().slice(0, 10)}: one training step (MLP ODE 2→32→32→2, batch 64, dopri5,`,
      `symplectic adjoint, Adam) on cpu float64, ${rounds} interleaved rounds of ${perRound} steps, median ms per step.`,
      '',
      '| tool on | ms / step | vs off |',
      '| --- | ---: | ---: |',
      ...rows,
      '',
      `Bounded trace: ${long}.`,
    ].join('\n'),
  );
}

await main();
