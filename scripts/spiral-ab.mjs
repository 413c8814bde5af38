#!/usr/bin/env node
// A/B of the spiral training iteration between builds of this repository (e.g. a `git worktree` of an older
// commit, built with `npm run build`): the same iteration loop (bench/lib/spiral-bench.ts's) on each root's
// own dist, interleaved iteration by iteration so both see the same machine load; median ms per iteration.
//
//   node scripts/spiral-ab.mjs <rootA> <rootB> [...]    env: BACKEND=webgpu|cpu  ITERS=15
//        METHODS=backprop,symplectic-adjoint  OUTPUTS=step (force outputs at step ends where the option exists)
//
// Roots older than the `outputs` option (dense output) place every output time at a step end; OUTPUTS=step
// makes newer roots do the same, so both take the same step sequence and only the per-step cost differs.
const roots = process.argv.slice(2);
if (roots.length === 0) {
  console.error('usage: node scripts/spiral-ab.mjs <rootA> [<rootB> ...]');
  process.exit(2);
}
const iters = Number(process.env.ITERS ?? 15);
const backend = process.env.BACKEND ?? 'webgpu';
const outputs = process.env.OUTPUTS;
const sides = [];
for (const r of roots) {
  const t = await import(`${r}/packages/tensor/dist/index.js`);
  const sy = await import(`${r}/packages/symplectic/dist/index.js`);
  const s = await import(`${r}/packages/cli/dist/spiral.js`);
  const dev = await t.createDevice(backend === 'cpu' ? { backend: 'cpu', dtype: 'float32' } : { backend });
  const cpu64 = await t.createDevice({ backend: 'cpu' });
  const times = s.spiralTimes();
  sides.push({ r, t, sy, s, dev, times, trueY: await s.trueTrajectory(cpu64, times), hasOutputs: 'GRADIENT_METHODS' in sy });
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const gradient of (process.env.METHODS ?? 'backprop,symplectic-adjoint').split(',')) {
  const runs = sides.map((m) => {
    const model = new m.s.SpiralModel(m.dev, 0);
    return { m, model, opt: new m.t.optim.Adam(model.mlp.parameters(), { lr: 1e-3 }), sampler: new m.s.BatchSampler(m.trueY, m.times, 10, 20, 0), ms: [], steps: 0, dispatches: 0, groups: 0 };
  });
  for (let it = 0; it <= iters; it++) {
    for (const x of runs) {
      const { dev, sy } = x.m;
      const batch = x.sampler.next();
      await dev.sync();
      const stats = {};
      const d0 = dev.backend.counters?.dispatches ?? 0, g0 = dev.backend.counters?.bindGroups;
      const t0 = performance.now();
      await dev.tidy(async () => {
        const y0 = dev.tensor(batch.y0, [20, 2]);
        const target = dev.tensor(batch.target, [10, 20, 2]);
        const opts = { method: 'dopri5', rtol: 1e-7, atol: 1e-9, params: x.model.mlp, gradient, stats };
        if (outputs && x.m.hasOutputs) opts.outputs = outputs;
        const l = (await sy.odeint(x.model.f, y0, batch.t, opts)).sub(target).abs().mean();
        await l.backward();
        x.opt.step();
        x.opt.zeroGrad();
        return l.item();
      });
      if (it === 0) continue; // warm-up
      x.ms.push(performance.now() - t0);
      x.steps += stats.acceptedSteps;
      x.dispatches += (dev.backend.counters?.dispatches ?? 0) - d0;
      if (g0 !== undefined) x.groups += dev.backend.counters.bindGroups - g0;
    }
  }
  const cells = runs.map((x) => `${median(x.ms).toFixed(1)} ms, ${(x.steps / iters).toFixed(1)} steps, ${(x.dispatches / iters).toFixed(0)} dispatches${x.m.dev.backend.counters?.bindGroups !== undefined ? ` (${(x.groups / iters).toFixed(0)} new bind groups)` : ''}`);
  const ratio = runs.length > 1 ? `  first/last: ${(median(runs[0].ms) / median(runs.at(-1).ms)).toFixed(2)}×` : '';
  console.log(`${gradient}: ${cells.join(' | ')}${ratio}`);
}
for (const m of sides) m.dev.destroy();
process.exit(0);
