/**
 * The four gradient methods side by side on one MLP ODE (dim 2→64→64→2, batch 256, dopri5, rtol 1e-6) on
 * each backend: accepted steps, function evaluations, peak bytes above the inputs, forward+backward time
 * (median of 3 after a warm-up), and the gradient's relative error against the float64 backprop gradient.
 *
 *   npm run bench:methods [-- --backends cpu,webgpu]
 */
import { createDevice, grad, nn, type Device, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';

const METHODS: readonly GradientMethodName[] = GRADIENT_METHODS;
const args = process.argv.slice(2);
const backends = (args.includes('--backends') ? args[args.indexOf('--backends') + 1] : 'cpu,webgpu').split(',') as ('cpu' | 'webgpu')[];

function problem(dev: Device) {
  const mlp = new nn.MLP(dev, [2, 64, 64, 2], 'tanh', { seed: 1 });
  const y0 = dev.randn([256, 2], { seed: 2 });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  return { mlp, y0, f };
}

async function once(dev: Device, method: GradientMethodName) {
  const { mlp, y0, f } = problem(dev);
  y0.requiresGrad = true;
  const stats: Partial<OdeintStats> = {};
  await dev.sync();
  const base = dev.memory.stats().liveBytes;
  dev.memory.resetPeak();
  const t0 = performance.now();
  const gs = await dev.tidy(async () => {
    const ys = await odeint(f, y0, [0, 1], { method: 'dopri5', rtol: 1e-6, atol: 1e-8, params: mlp, gradient: method, stats });
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

async function main(): Promise<void> {
  const cpu64 = await createDevice({ backend: 'cpu' });
  const exact = (await once(cpu64, 'backprop')).grad;
  const rows: string[] = [];
  for (const b of backends) {
    let dev: Device;
    try {
      dev = await createDevice({ backend: b });
    } catch (e) {
      rows.push(`| ${b} | (unavailable: ${(e as Error).message.split('\n')[0]}) | | | | | | |`);
      continue;
    }
    for (const m of METHODS) {
      await once(dev, m); // warm-up: pipelines, pool
      const runs = [await once(dev, m), await once(dev, m), await once(dev, m)];
      runs.sort((x, y) => x.ms - y.ms);
      const r = runs[1];
      const s = r.stats;
      rows.push(`| ${dev.backend.description} | ${m} | ${s.acceptedSteps} (+${s.rejectedSteps} rejected) | ${s.nfeForward} / ${s.nfeBackward} | ${(r.peak / 1024).toFixed(1)} KiB | ${r.ms.toFixed(0)} ms | ${relErr(r.grad, exact).toExponential(1)} |`);
    }
    dev.destroy();
  }
  console.log('MLP ODE 2→64→64→2 (tanh), batch 256, t ∈ [0, 1], dopri5, rtol 1e-6, atol 1e-8; loss Σ y(1)²\n');
  console.log('| backend | gradient | accepted steps | NFE fwd / bwd | peak bytes above inputs | fwd+bwd time (median of 3) | rel. error vs float64 backprop |');
  console.log('| --- | --- | --- | --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
