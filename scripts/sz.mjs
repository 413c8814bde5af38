#!/usr/bin/env node
// Line counts per file and per part of the repository (each packages/*/src, kernels, bench, test, scripts),
// like tinygrad's sz.py: keeps the code small and its files readable.
//   node scripts/sz.mjs            every file (lines, and code lines: not blank, not a pure comment), totals
//   node scripts/sz.mjs --check    totals only; exit 1 if a file in packages/*/src or bench is over the cap
// Generated files (kernels.generated.ts) are counted but never checked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const CAP = 400;
const root = new URL('..', import.meta.url).pathname;
const SOURCE = /\.(ts|mts|mjs|js|wgsl|sh)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'out', 'figures', 'fixtures']);
const GENERATED = /\.generated\.ts$/;

const parts = [
  ...readdirSync(join(root, 'packages')).sort().map((p) => ({ name: `packages/${p}/src`, checked: true })),
  { name: 'kernels', checked: false },
  { name: 'bench', checked: true },
  { name: 'test', checked: false },
  { name: 'scripts', checked: false },
];

function files(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return []; // a package without src
  }
  return entries.flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return SKIP_DIRS.has(name) ? [] : files(p);
    return SOURCE.test(name) ? [p] : [];
  });
}

function count(path) {
  const lines = readFileSync(path, 'utf8').replace(/\n$/, '').split('\n');
  const code = lines.map((l) => l.trim()).filter((l) => l && !/^(\/\/|\/\*|\*|#(?!!))/.test(l)).length;
  return { lines: lines.length, code };
}

const check = process.argv.includes('--check');
const over = [];
const totals = [];
for (const part of parts) {
  const rows = files(join(root, part.name)).map((p) => ({ path: relative(root, p), ...count(p) }));
  rows.sort((a, b) => b.lines - a.lines);
  const sum = rows.reduce((s, r) => ({ lines: s.lines + r.lines, code: s.code + r.code }), { lines: 0, code: 0 });
  totals.push({ name: part.name, files: rows.length, ...sum });
  if (part.checked) over.push(...rows.filter((r) => r.lines > CAP && !GENERATED.test(r.path)));
  if (!check && rows.length) {
    console.log(`${part.name}`);
    for (const r of rows) console.log(`${String(r.lines).padStart(7)} ${String(r.code).padStart(6)}  ${r.path}`);
    console.log(`${String(sum.lines).padStart(7)} ${String(sum.code).padStart(6)}  total (${rows.length} files)\n`);
  }
}

console.log(`${'lines'.padStart(7)} ${'code'.padStart(6)}  files  part`);
for (const t of totals) console.log(`${String(t.lines).padStart(7)} ${String(t.code).padStart(6)}  ${String(t.files).padStart(5)}  ${t.name}`);
const all = totals.reduce((s, t) => ({ lines: s.lines + t.lines, code: s.code + t.code }), { lines: 0, code: 0 });
console.log(`${String(all.lines).padStart(7)} ${String(all.code).padStart(6)}         total`);

if (over.length) {
  console.log(`\n${over.length} file(s) in packages/*/src or bench over ${CAP} lines:`);
  for (const r of over) console.log(`${String(r.lines).padStart(7)}  ${r.path}`);
  if (check) process.exit(1);
} else {
  console.log(`\nno file in packages/*/src or bench over ${CAP} lines`);
}
