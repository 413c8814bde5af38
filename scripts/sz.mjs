#!/usr/bin/env node
// Line counts of the core (packages/*/src and kernels/), like tinygrad's sz.py: keeps the core small.
// Counts non-blank lines that are not pure comments.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = [...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')), join(root, 'kernels')];
const rows = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|wgsl)$/.test(name)) {
      const lines = readFileSync(p, 'utf8').split('\n').map((l) => l.trim());
      const code = lines.filter((l) => l && !l.startsWith('//') && !l.startsWith('*') && !l.startsWith('/*')).length;
      rows.push([relative(root, p), code]);
    }
  }
};
for (const r of roots) {
  try { walk(r); } catch { /* package without src */ }
}
rows.sort((a, b) => b[1] - a[1]);
for (const [p, n] of rows) console.log(`${String(n).padStart(6)}  ${p}`);
console.log(`${String(rows.reduce((s, [, n]) => s + n, 0)).padStart(6)}  total`);
