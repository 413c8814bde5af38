/**
 * The gradient methods (and the symplectic adjoint with `stages: 'keep'`) side by side on one MLP ODE (dim 2→64→64→2, batch 256, dopri5, rtol 1e-6) on
 * each backend: accepted steps, function evaluations, peak bytes above the inputs, forward+backward time
 * (median of 5 after a warm-up), and the gradient's relative error against the float64 backprop gradient.
 *
 * Next to each time: what the method's function-evaluation counts predict from f's unit costs (lib/unit-costs.ts).
 *
 *   npm run bench:methods [-- --backends cpu,webgpu] [--write]   (--write: section `methods` of bench/RESULTS.md)
 */
import { createDevice, grad, nn, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type OdeintStats } from '@sympode/symplectic';
import { cpus } from 'node:os';
import { writeSection } from './lib/sections.js';
import { beyondCounts, measureUnitCosts, predictedMs } from './lib/unit-costs.js';
import { shortBackend } from './lib/render.js';
import { METHOD_VARIANTS, variantLabel, variantName, variantOptions, type MethodVariant } from './lib/method-variants.js';

const args = process.argv.slice(2);
const backends = (args.includes('--backends') ? args[args.indexOf('--backends') + 1] : 'cpu,webgpu').split(',') as ('cpu' | 'webgpu')[];

function problem(dev: Device) {
  const mlp = new nn.MLP(dev, [2, 64, 64, 2], 'tanh', { seed: 1 });
  const y0 = dev.randn([256, 2], { seed: 2 });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  return { mlp, y0, f };
}

async function once(dev: Device, method: MethodVariant) {
  const { mlp, y0, f } = problem(dev);
  y0.requiresGrad = true;
  const stats: Partial<OdeintStats> = {};
  await dev.sync();
  const base = dev.memory.stats().liveBytes;
  dev.memory.resetPeak();
  const t0 = performance.now();
  const gs = await dev.tidy(async () => {
    const ys = await odeint(f, y0, [0, 1], { method: 'dopri5', rtol: 1e-6, atol: 1e-8, params: mlp, ...variantOptions(method), stats });
    const loss = ys.narrow(0, 1, 1).square().sum();
    return grad(loss, [y0, ...mlp.parameters()]);
  });
  const flat = await Promise.all(gs.map(async (g) => Array.from(await g.data())));
  const ms = performance.now() - t0;
  const peak = dev.memory.stats().peakBytes - base;
  dev.dispose(gs, y0);
  mlp.dispose();
  return { ms, peak, stats, grad: flat.flat() };
}

function relErr(a: number[], b: number[]): number {
  let num = 0, den = 0;
  a.forEach((v, i) => {
    num = Math.max(num, Math.abs(v - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  });
  return num / den;
}

interface Row {
  backend: string;
  method: MethodVariant;
  r: Awaited<ReturnType<typeof once>>;
  predicted: number;
  error: number;
}

async function main(): Promise<void> {
  const cpu64 = await createDevice({ backend: 'cpu' });
  const exact = (await once(cpu64, { gradient: 'backprop' })).grad;
  const rows: Row[] = [];
  const notes: string[] = [];
  const units: string[] = [];
  for (const b of backends) {
    let dev: Device;
    try {
      dev = await createDevice({ backend: b });
    } catch (e) {
      notes.push(`- ${b}: unavailable (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    const { mlp, y0, f } = problem(dev);
    const u = await measureUnitCosts(dev, f, y0, mlp.parameters());
    dev.dispose(y0);
    mlp.dispose();
    units.push(`| ${shortBackend(dev.backend.description)} | ${u.evalMs.toFixed(3)} | ${u.recordMs.toFixed(3)} | ${u.vjpMs.toFixed(3)} |`);
    for (const m of METHOD_VARIANTS) {
      await once(dev, m); // warm-up: pipelines, pool
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await once(dev, m));
      runs.sort((x, y) => x.ms - y.ms);
      const r = runs[2];
      rows.push({ backend: shortBackend(dev.backend.description), method: m, r, predicted: predictedMs(m.gradient, r.stats, u, 'dopri5'), error: relErr(r.grad, exact) });
    }
    dev.destroy();
  }
  const md: string[] = [];
  md.push('## Gradient methods side by side (`npm run bench:methods`)', '');
  md.push(`MLP ODE 2→64→64→2 (tanh), batch 256, t ∈ [0, 1], dopri5, rtol 1e-6, atol 1e-8; loss Σ y(1)²; ${new Date().toISOString().slice(0, 10)}, ${hostDescription()}.`, '');
  md.push('Unit costs of f on each backend (ms per evaluation, the fastest of 5 rounds of 20 back-to-back evaluations):', '');
  md.push('| backend | f without graph | f recorded | one VJP of a recorded f |', '| --- | ---: | ---: | ---: |', ...units, '');
  md.push('"Predicted by counts" = the method\'s evaluations × those unit costs (backprop: forward evaluations recorded and backpropagated; symplectic adjoint: its forward and stage recomputations without graph, one recorded evaluation + VJP per needed stage; the others: forward without graph, every backward evaluation recorded + VJP). "Beyond the counts" = measured / predicted − 1: the solver\'s own work (stage combinations, error norms, readbacks, graph bookkeeping).', '');
  md.push('| backend | gradient | accepted steps | NFE fwd / bwd | peak above inputs | fwd+bwd (median of 5) | predicted by counts | beyond the counts | rel. error vs float64 backprop |');
  md.push('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const { backend, method, r, predicted, error } of rows) {
    const s = r.stats;
    md.push(`| ${backend} | ${variantLabel(method)} | ${s.acceptedSteps} (+${s.rejectedSteps} rejected) | ${s.nfeForward} / ${s.nfeBackward} | ${(r.peak / 1024).toFixed(1)} KiB | ${r.ms.toFixed(0)} ms | ${predicted.toFixed(0)} ms | ${beyondCounts(r.ms, predicted)} | ${error.toExponential(1)} |`);
  }
  md.push('', "Symplectic adjoint (and with stages 'keep') over backprop, time:", '');
  md.push('| backend | variant | measured | predicted by counts | measured / predicted |', '| --- | --- | ---: | ---: | ---: |');
  const find = (backend: string, name: string) => rows.find((x) => x.backend === backend && variantName(x.method) === name);
  for (const backend of new Set(rows.map((x) => x.backend))) {
    const bp = find(backend, 'backprop');
    for (const name of ['symplectic-adjoint', 'symplectic-adjoint+keep']) {
      const sa = find(backend, name);
      if (!sa || !bp) continue;
      const meas = sa.r.ms / bp.r.ms, pred = sa.predicted / bp.predicted;
      md.push(`| ${backend} | ${variantLabel(sa.method)} | ${meas.toFixed(2)}× | ${pred.toFixed(2)}× | ${(meas / pred).toFixed(2)} |`);
    }
  }
  if (notes.length) md.push('', ...notes);
  const text = md.join('\n');
  console.log(text);
  if (args.includes('--write')) await writeSection(new URL('../RESULTS.md', import.meta.url).pathname.replace('/dist/', '/'), 'methods', text);
}

function hostDescription(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
