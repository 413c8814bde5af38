/**
 * The symplectic-adjoint paper's CNF table on this engine: for each gradient method of the registry, the NLL
 * reached after a fixed short training from the same seed, the peak memory (in all and by label), the time
 * per training iteration and the function evaluations, on a 2-D toy density and on POWER-, GAS- and
 * MiniBooNE-sized problems (the paper's architectures and batch sizes; seeded synthetic data, see
 * lib/cnf-problems.ts). Writes the `cnf` section of bench/RESULTS.md and bench/figures/cnf_memory.{svg,png}.
 *
 *   npm run bench:cnf [-- --quick] [--backends cpu,webgpu] [--problems pinwheel,power,gas,miniboone]
 *                     [--toy-iters N] [--tab-iters N] [--tol X] [--append]
 *                     [--tab-batch N] [--json FILE] [--merge A.json,B.json] [--tag TEXT]
 *                     [--methods backprop,symplectic-adjoint,symplectic-adjoint+keep] [--section NAME]
 * --append keeps an earlier run's rows of the problems not run now (from --json, default bench/out/cnf.json);
 * --tab-batch overrides the tabular problems' batch (the report says so); --merge adds the rows of other runs'
 * files (e.g. one process per backend) and, with --problems none, only writes the report. The methods are the
 * registry's plus 'symplectic-adjoint+keep' (odeint's `stages: 'keep'`); --methods picks some, --section
 * writes another section of RESULTS.md than `cnf` (e.g. a side-by-side run of a subset).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { createDevice, type Device } from '@sympode/tensor';
import { lineChart, writeChart } from '@sympode/plot';
import { cnfProblems } from './lib/cnf-problems.js';
import { cnfUnitCosts, runCell, type Row } from './lib/cnf-run.js';
import { METHOD_VARIANTS, variantLabel, variantName } from './lib/method-variants.js';
import { beyondCounts } from './lib/unit-costs.js';
import { writeSection } from './lib/sections.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
const quick = args.includes('--quick');
const backends = flag('backends', 'cpu,webgpu').split(',') as ('cpu' | 'webgpu')[];
const toyIters = Number(flag('toy-iters', quick ? '20' : '100'));
const tabIters = Number(flag('tab-iters', quick ? '2' : '3'));
const tol = args.includes('--tol') ? Number(flag('tol', '')) : undefined;
const allProblems = cnfProblems(quick ? 32 : 64, quick ? 256 : 512);
// Run in the order given; with --append, the rows of other problems in bench/out/cnf.json (an earlier run) are kept.
const problems = flag('problems', 'pinwheel,power,gas,miniboone').split(',').map((n) => allProblems.find((p) => p.name === n)).filter((p) => p !== undefined);
const append = args.includes('--append');
const jsonPath = flag('json', join(import.meta.dirname, '..', 'out', 'cnf.json'));
const merge = flag('merge', '').split(',').filter(Boolean);
const tabBatch = Number(flag('tab-batch', '0'));
// A suffix for this run's problem names (e.g. a second tolerance of the same problem in one merged table).
const tag = flag('tag', '');
if (tabBatch > 0) {
  for (const p of allProblems.filter((q) => q.dim > 2)) {
    p.description = p.description.replace(`batch ${p.batch}`, `batch **${tabBatch}** (the paper's: ${p.batch})`);
    p.batch = tabBatch;
  }
}
const picked = flag('methods', '').split(',').filter(Boolean);
for (const n of picked) if (!METHOD_VARIANTS.some((m) => variantName(m) === n)) throw new Error(`--methods: unknown '${n}' (known: ${METHOD_VARIANTS.map(variantName).join(', ')})`);
const METHODS = picked.length ? METHOD_VARIANTS.filter((m) => picked.includes(variantName(m))) : METHOD_VARIANTS;
const section = flag('section', 'cnf');
const nameOf = (r: Row) => variantName({ gradient: r.method, stages: r.stages });
const shownName = (r: Row) => variantLabel({ gradient: r.method, stages: r.stages });
const LABELS = ['checkpoints', 'stages', 'network', 'adjoint', 'unlabeled'] as const;

const mib = (b: number) => (b / 2 ** 20).toFixed(b < 2 ** 20 ? 3 : 2);

function table(rows: Row[]): string {
  const head = `| problem | method | iters | NLL (nats) | peak MiB | ${LABELS.join(' | ')} | peak incl. Adam step | ms/iter | predicted by counts | NFE fwd | NFE bwd | steps |`;
  const sep = `| --- | --- | ---: | ---: | ---: | ${LABELS.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: | ---: | ---: |`;
  const pred = (r: Row) => (r.predictedMs === undefined ? '—' : `${r.predictedMs.toFixed(0)} (${beyondCounts(r.ms, r.predictedMs)})`);
  const body = rows.map((r) => `| ${r.problem} | ${shownName(r)} | ${r.iters} | ${r.nll.toFixed(4)} | ${mib(r.peak)} | ${LABELS.map((l) => mib(r.labels[l] ?? 0)).join(' | ')} | ${r.peakStep === undefined ? '—' : mib(r.peakStep)} | ${r.ms.toFixed(0)} | ${pred(r)} | ${r.nfeF} | ${r.nfeB} | ${r.steps} |`);
  return [head, sep, ...body].join('\n');
}

function ratios(rows: Row[]): string {
  const out: string[] = [];
  for (const p of [...new Set(rows.map((r) => r.problem))]) {
    const bp = rows.find((r) => r.problem === p && nameOf(r) === 'backprop');
    if (!bp) continue;
    for (const key of ['symplectic-adjoint', 'symplectic-adjoint+keep']) {
      const sa = rows.find((r) => r.problem === p && nameOf(r) === key);
      if (!sa) continue;
      const who = sa.stages === 'keep' ? "symplectic adjoint with stages: 'keep'" : 'symplectic adjoint';
      const byCounts = sa.predictedMs && bp.predictedMs ? ` (the evaluation counts predict ${(sa.predictedMs / bp.predictedMs).toFixed(2)}×)` : '';
      out.push(`- ${p}, ${who}: backprop's peak / its peak = **${(bp.peak / sa.peak).toFixed(1)}×**; its time / backprop's = **${(sa.ms / bp.ms).toFixed(2)}×**${byCounts}; NLL ${bp.nll.toFixed(4)} (backprop) vs ${sa.nll.toFixed(4)}`);
    }
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const load = async (f: string): Promise<Row[]> => JSON.parse(await readFile(f, 'utf8').catch(() => '[]'));
  const earlier: Row[] = [...(append ? await load(jsonPath) : []), ...(await Promise.all(merge.map(load))).flat()];
  const all: Row[] = earlier.filter((r) => !problems.some((p) => p.name === r.problem));
  const notes: string[] = [];
  const started = new Date().toISOString();
  const devs: Device[] = [];
  for (const b of backends) {
    try {
      devs.push(await createDevice({ backend: b, seed: 0 }));
    } catch (e) {
      notes.push(`- ${b}: not run (${(e as Error).message.split('\n')[0]})`);
    }
  }
  // Problems outer, backends inner: the backends side by side first; the largest problem last. The report is
  // rewritten after every cell, so an interrupted run still leaves what it measured.
  for (const p of problems) {
    for (const dev of devs) {
      const iters = p.dim === 2 ? toyIters : tabIters;
      const units = await cnfUnitCosts(dev, p);
      console.log(`${dev.kind} ${p.name}: f ${units.evalMs.toFixed(2)} ms, recorded ${units.recordMs.toFixed(2)} ms, VJP ${units.vjpMs.toFixed(2)} ms`);
      for (const m of METHODS) {
        const t0 = performance.now();
        const r = { ...(await runCell(dev, p, m, iters, tol, units)), ...(tag ? { problem: `${p.name} ${tag}` } : {}) };
        all.push(r);
        console.log(`${dev.kind} ${p.name} ${variantName(m)}: NLL ${r.nll.toFixed(4)} peak ${mib(r.peak)} MiB ${r.ms.toFixed(0)} ms/iter nfe ${r.nfeF}+${r.nfeB} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        await report(all, notes, started, false);
      }
    }
  }
  for (const d of devs) d.destroy();
  console.log(await report(all, notes, started, true));
}

async function report(all: Row[], notes: string[], started: string, done: boolean): Promise<string> {
  const figDir = join(import.meta.dirname, '..', 'figures');
  await mkdir(figDir, { recursive: true });
  const prim = all[0]?.backend;
  const shown = allProblems.filter((p) => all.some((r) => r.problem === p.name));
  const names = shown.map((p) => p.name);
  const figName = section === 'cnf' ? 'cnf_memory' : `${section.replace(/-/g, '_')}_memory`;
  await writeChart(join(figDir, figName), lineChart({
    title: `CNF: peak memory of one training gradient (${prim ?? "-"}${tabBatch > 0 ? `; tabular at batch ${tabBatch}` : ""})`,
    xLabel: names.map((n, i) => `${i + 1} ${n}`).join(', '), yLabel: 'peak bytes above the model', logY: true,
    series: METHODS.map((m) => {
      const rs = names.map((n) => all.find((r) => r.backend === prim && r.problem === n && nameOf(r) === variantName(m)));
      return { name: variantName(m), x: rs.map((_, i) => i + 1), y: rs.map((r) => r?.peak ?? NaN) };
    }),
  }));
  const outDir = join(import.meta.dirname, '..', 'out');
  await mkdir(outDir, { recursive: true });
  await writeFile(jsonPath, JSON.stringify(all, null, 1));
  const byBackend = [...new Set(all.map((r) => r.backend))].map((b) => `#### ${b}\n\n${table(all.filter((r) => r.backend === b))}\n\nKey ratios:\n\n${ratios(all.filter((r) => r.backend === b))}`);
  const title = section === 'cnf' ? "CNF: the paper's table on this engine" : `CNF: ${[...new Set(all.map(nameOf))].join(', ')} side by side`;
  const md = `## ${title} (\`npm run bench:cnf${args.length ? ` -- ${args.join(' ')}` : ''}\`)

${merge.length ? `Merged (${started}) from runs in ${merge.join(', ')}, each` : `Run ${started}`} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (load average at the end ${loadavg()[0]!.toFixed(1)}: a shared machine, so times carry noise)${quick ? ' with `--quick`' : ''}${done ? '' : ' (**interrupted**: the cells below are those that finished)'}; dopri5 at ${tol === undefined ? 'each problem\'s tolerances (below)' : `rtol = atol = ${tol}`}; Adam (lr 5e-3 for the 2-D toy, 1e-3 tabular); every method
starts from the same seed and sees the same batches and the same Hutchinson noise. Per iteration: one forward
(log-likelihood of a batch), its backward and one optimizer step; **peak** = the allocator's peak during the
gradient computation (forward and backward, up to the optimizer step) above what was live before the
iteration (parameters and optimizer state), max over the iterations (the optimizer step's own temporaries,
the same for every method, are in the "incl. Adam step" column, whose first iteration also allocates Adam's
state and the gradients); by label
the same per label (peaks of different labels need not coincide); ms/iter: median (the first iteration
excluded when ≥ 2 ran: it carries warm-up); NFE and steps: the last iteration's, summed over blocks. NLL: held out, after the
training, on fixed points with fixed noise. "Predicted by counts": the last iteration's evaluations times one block's
unit costs of the CNF field measured on the device before the cells (f without graph, f recorded, one VJP of a
recorded f; bench/lib/unit-costs.ts), and in brackets how far the measured time lies beyond it (the solver's own
work and the Adam step, which the counts do not include).

Problems (${names.join(', ')}):

${shown.map((p) => `- **${p.name}**: ${p.description}; ${all.find((r) => r.problem === p.name)!.iters} training iteration(s) per method`).join('\n')}

**The tabular rows use seeded synthetic data** (4 Gaussian clusters through a random linear map) of the
paper's dimensions, with the paper's (FFJORD's) architectures and batch sizes: their memory, time and NFE
columns measure those shapes; their NLL is not comparable to the paper's (nor meaningful after so few
iterations: it shows that the methods agree). Settings read in the code: MiniBooNE from
rtqichen/ffjord@994864a README.md:24 (\`--nhidden 2 --hdim_factor 20 --num_blocks 1 --nonlinearity softplus
--batch_size 1000\`) with train_tabular.py's defaults (concatsquash, Hutchinson trace with Gaussian noise,
time_length 1, no batch norm); POWER (tanh, 3×10·D, M = 5, batch 10000) and GAS (tanh, 3×20·D, M = 5,
batch 1000), which FFJORD's repository does not list, from the FFJORD-baseline block of a fork of FFJORD's
script, hanhsienhuang/CNF-TPR@cb19070 run_tabular.sh:1-10 (FFJORD's appendix table of best hyperparameters
was not re-read). The symplectic-adjoint authors' code (tksmatsubara/symplectic-adjoint-method@254832c) has
no CNF configs. Not reproduced: FFJORD's learned end time (here T = 1, fixed)${tol === undefined ? '' : `, and its atol 1e-8 / rtol 1e-6 (this run: rtol = atol = ${tol})`}.
${notes.length ? `\n${notes.join('\n')}\n` : ''}
${byBackend.join('\n\n')}

![peak memory per method and problem](figures/${figName}.png)
`;
  await writeSection(join(import.meta.dirname, '..', 'RESULTS.md'), section, md);
  return md;
}

await main();
