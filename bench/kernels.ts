/**
 * Kernel micro-benchmarks with benchmark.js on one device (webgpu by default; `--backend cpu`):
 * matmul GFLOP/s across sizes, element-wise bandwidth, dispatch overhead per op, readback latency, and the
 * fused RK stage update against the same combination done with separate element-wise ops.
 * Every GPU measurement ends with a readback, so it times completed work, not just recording.
 *
 *   npm run bench:kernels [-- --backend cpu] [-- --quick]
 */
import Benchmark from 'benchmark';
import { combineRows, createDevice, type Device, type Tensor } from '@sympode/tensor';

const args = process.argv.slice(2);
const backend = (args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'webgpu') as 'webgpu' | 'cpu';
const quick = args.includes('--quick');

interface Row {
  name: string;
  msPerOp: number;
  rme: number;
  derived: string;
}

/** Runs `fn` (which must await its own completion) under benchmark.js; returns ms per call. */
function measure(name: string, fn: () => Promise<void>): Promise<{ ms: number; rme: number }> {
  return new Promise((resolve, reject) => {
    const b = new Benchmark(name, {
      defer: true,
      minSamples: quick ? 3 : 8,
      maxTime: quick ? 0.5 : 2,
      fn: (deferred: { resolve(): void }) => {
        fn().then(() => deferred.resolve(), reject);
      },
    });
    b.on('complete', () => resolve({ ms: b.stats.mean * 1000, rme: b.stats.rme }));
    b.on('error', () => reject(b.error));
    b.run({ async: true });
  });
}

async function matmul(dev: Device, n: number, reps: number): Promise<Row> {
  const a = dev.randn([n, n], { seed: 1 }), b = dev.randn([n, n], { seed: 2 });
  const { ms, rme } = await measure(`matmul ${n}`, async () => {
    const outs: Tensor[] = [];
    for (let i = 0; i < reps; i++) outs.push(a.matmul(b));
    await outs[reps - 1].data();
    dev.dispose(outs);
  });
  dev.dispose(a, b);
  const per = ms / reps;
  return { name: `matmul ${n}×${n}×${n}`, msPerOp: per, rme, derived: `${((2 * n ** 3) / (per * 1e6)).toFixed(2)} GFLOP/s` };
}

async function elementwise(dev: Device, n: number, reps: number): Promise<Row> {
  const x = dev.randn([n], { seed: 3 }), y = dev.randn([n], { seed: 4 });
  const { ms, rme } = await measure(`add ${n}`, async () => {
    const outs: Tensor[] = [];
    for (let i = 0; i < reps; i++) outs.push(x.add(y));
    await outs[reps - 1].data();
    dev.dispose(outs);
  });
  dev.dispose(x, y);
  const per = ms / reps;
  const bytes = 3 * n * dev.backend.elementBytes;
  return { name: `add ${n} elements`, msPerOp: per, rme, derived: `${(bytes / (per * 1e6)).toFixed(2)} GB/s` };
}

async function dispatchOverhead(dev: Device, reps: number): Promise<Row> {
  const x = dev.randn([4], { seed: 5 });
  const { ms, rme } = await measure('dispatch', async () => {
    let cur = x.add(0);
    for (let i = 0; i < reps; i++) {
      const next = cur.add(1);
      cur.dispose();
      cur = next;
    }
    await cur.data();
    cur.dispose();
  });
  x.dispose();
  return { name: `tiny op (4 elements), ${reps} in a row`, msPerOp: ms / reps, rme, derived: `${((ms / reps) * 1000).toFixed(1)} µs/op` };
}

async function readback(dev: Device): Promise<Row> {
  const x = dev.randn([1], { seed: 6 });
  const { ms, rme } = await measure('readback', async () => {
    await x.data();
  });
  x.dispose();
  return { name: 'readback of 1 element', msPerOp: ms, rme, derived: `${(ms * 1000).toFixed(1)} µs` };
}

/** y + h Σ a_j k_j over s stages: one fused kernel vs 2s separate element-wise ops. */
async function rkUpdate(dev: Device, n: number, fused: boolean): Promise<Row> {
  const s = 7;
  const coeffs = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
  const y = dev.randn([n], { seed: 7 }), stages = dev.randn([s, n], { seed: 8 });
  const rows = Array.from({ length: s }, (_, j) => stages.narrow(0, j, 1).reshape([n]));
  const reps = 20;
  const { ms, rme } = await measure(`rk ${fused}`, async () => {
    const outs: Tensor[] = [];
    for (let i = 0; i < reps; i++) {
      if (fused) {
        outs.push(combineRows(y, stages, coeffs, 0.1));
      } else {
        outs.push(dev.tidy(() => {
          let acc = y;
          coeffs.forEach((c, j) => {
            if (c !== 0) acc = acc.add(rows[j].mul(0.1 * c));
          });
          return acc;
        }));
      }
    }
    await outs[reps - 1].data();
    dev.dispose(outs);
  });
  dev.dispose(y, stages, rows);
  return { name: `RK stage update n=${n}, s=7, ${fused ? 'fused kernel' : 'separate ops'}`, msPerOp: ms / reps, rme, derived: '' };
}

async function main(): Promise<void> {
  const dev = await createDevice({ backend, dtype: backend === 'cpu' ? 'float32' : undefined });
  console.log(`# kernel benchmarks on ${dev.backend.description} (${new Date().toISOString().slice(0, 10)})\n`);
  const rows: Row[] = [];
  const sizes = backend === 'cpu' ? [64, 128] : quick ? [64, 256] : [64, 128, 256, 512];
  for (const n of sizes) rows.push(await matmul(dev, n, n >= 512 ? 2 : 5));
  for (const n of quick ? [1 << 16] : [1 << 12, 1 << 16, 1 << 20]) rows.push(await elementwise(dev, n, 10));
  const before = { ...dev.backend.counters };
  rows.push(await dispatchOverhead(dev, 200));
  rows.push(await readback(dev));
  const fusedRow = await rkUpdate(dev, 512 * 2, true);
  const sepRow = await rkUpdate(dev, 512 * 2, false);
  rows.push(fusedRow, sepRow);
  sepRow.derived = `${(sepRow.msPerOp / fusedRow.msPerOp).toFixed(2)}× the fused time`;
  console.log('| benchmark | ms per op | ± % | derived |\n| --- | ---: | ---: | --- |');
  for (const r of rows) console.log(`| ${r.name} | ${r.msPerOp.toFixed(4)} | ${r.rme.toFixed(1)} | ${r.derived} |`);
  const c = dev.backend.counters;
  console.log(`\ncounters since the dispatch benchmark: ${c.dispatches - before.dispatches} dispatches, ${c.submits - before.submits} submits, ${c.readbacks - before.readbacks} readbacks`);
  dev.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
