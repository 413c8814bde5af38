#!/usr/bin/env node
/**
 * What a browser bundle of the quick start weighs (esbuild, ESM, minified; gzip in brackets): what loads for
 * cpu-only use (the entry and its static chunks) and what webgpu use adds (the lazily imported backend, with
 * its WGSL). Fails when the webgpu backend leaks into what cpu-only use loads. With `--splitting` esbuild
 * emits dynamic imports as chunks (vite, rollup and webpack do so by default); without it, one file.
 * Usage: node scripts/bundle-size.mjs   (after `npm run build`)
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = `
import { createDevice, nn, optim } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';
const dev = await createDevice({ backend: globalThis.location?.hash === '#cpu' ? 'cpu' : undefined });
const mlp = new nn.MLP(dev, [2, 32, 2], 'tanh', { seed: 0 });
const opt = new optim.Adam(mlp.parameters(), { lr: 1e-2 });
const y0 = dev.randn([64, 2], { seed: 1 });
const ys = await odeint((_t, y) => mlp.forward(y), y0, [0, 1], { params: mlp });
await ys.square().mean().backward();
opt.step();
`;

async function bundle(splitting) {
  const r = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'quickstart.mjs', loader: 'js' },
    bundle: true, format: 'esm', platform: 'browser', minify: true, splitting, write: false,
    outdir: '/bundle', external: ['webgpu'], metafile: true, logLevel: 'error',
  });
  return r;
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const size = (files) => {
  const raw = files.reduce((s, f) => s + f.contents.length, 0);
  const gz = files.reduce((s, f) => s + gzipSync(f.contents).length, 0);
  return `${kib(raw)} (${kib(gz)} gzip)`;
};

const split = await bundle(true);
const outputs = split.metafile.outputs;
const byPath = new Map(split.outputFiles.map((f) => [f.path, f]));
// What loads before any dynamic import: the entry and the chunks it imports statically, transitively.
const entryPath = Object.keys(outputs).find((p) => outputs[p].entryPoint);
const eager = new Set();
const visit = (p) => {
  if (eager.has(p)) return;
  eager.add(p);
  for (const i of outputs[p].imports) if (i.kind === 'import-statement') visit(i.path);
};
visit(entryPath);
const abs = (p) => resolve('/', p);
const eagerFiles = [...eager].map((p) => byPath.get(abs(p)));
const lazyFiles = split.outputFiles.filter((f) => ![...eager].some((p) => abs(p) === f.path));
const leaked = [...eager].flatMap((p) => Object.keys(outputs[p].inputs)).filter((i) => /backends\/webgpu\/(?!public-types)/.test(i));
const single = await bundle(false);

console.log('| bundle (esbuild, ESM, minified) | loads |');
console.log('| --- | --- |');
console.log(`| cpu-only use, with \`--splitting\` | ${size(eagerFiles)} |`);
console.log(`| webgpu use adds (lazy chunks) | ${size(lazyFiles)} |`);
console.log(`| one file, without \`--splitting\` | ${size(single.outputFiles)} |`);
if (leaked.length) {
  console.error(`bundle-size: the webgpu backend is in what cpu-only use loads: ${leaked.join(', ')}`);
  process.exit(1);
}
if (!lazyFiles.some((f) => f.text.includes('@compute'))) {
  console.error('bundle-size: no lazy chunk holds the WGSL kernels');
  process.exit(1);
}
