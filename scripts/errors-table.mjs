#!/usr/bin/env node
/**
 * Regenerates the case tables of docs/errors.md from the bad-input suite: runs it with SYMPODE_ERRORS_TABLE set
 * (each case's error on the cpu backend is recorded), groups the cases by the `// ---- section ----` comments
 * of their test file, and rewrites what lies between the `cases:start` and `cases:end` markers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const suites = [
  { file: 'test/tensor/bad-input.test.ts', heading: '@sympode/tensor' },
  { file: 'test/symplectic/bad-input.test.ts', heading: '`odeint` (@sympode/symplectic)' },
];
const doc = 'docs/errors.md';
const [START, END] = ['<!-- cases:start -->', '<!-- cases:end -->'];

const tmp = mkdtempSync(join(tmpdir(), 'sympode-errors-'));
const out = join(tmp, 'cases.jsonl');
writeFileSync(out, '');
execFileSync('npx', ['vitest', 'run', ...suites.map((s) => s.file)], { stdio: 'inherit', env: { ...process.env, SYMPODE_ERRORS_TABLE: out } });
const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
rmSync(tmp, { recursive: true, force: true });

// Tensor ids (#1234) depend on what ran before: shown as #id so the table changes only with the messages.
const cell = (s) => s.replace(/#\d+/g, '#id').replaceAll('|', '\\|').replaceAll('\n', ' ');
const sections = [];
for (const { file, heading } of suites) {
  const src = readFileSync(file, 'utf8').split('\n');
  const marks = src.flatMap((l, i) => (/^\s*\/\/ ---- (.*) ----/.test(l) ? [{ i, title: l.match(/---- (.*) ----/)[1] }] : []));
  const sectionOf = (name) => {
    // A case's line: its name, or (for names built in a loop, such as 'NaN in the adjoint (checkpoint)') its stem.
    let at = src.findIndex((l) => l.includes(name));
    if (at < 0) at = src.findIndex((l) => l.includes(name.replace(/ \(.*\)$/, '')));
    return marks.filter((m) => m.i < at).at(-1)?.title ?? '';
  };
  const mine = rows.filter((r) => r.suite.startsWith(heading.includes('odeint') ? 'odeint' : '@sympode/tensor'));
  sections.push(`### ${heading}`);
  let current = null;
  for (const r of mine) {
    const s = sectionOf(r.name);
    if (s !== current) {
      current = s;
      sections.push(`\n#### ${s}\n\n| input | error | message |\n| --- | --- | --- |`);
    }
    sections.push(`| ${cell(r.name)} | \`${r.error}\` | ${cell(r.message)} |`);
  }
  sections.push('');
}
const text = readFileSync(doc, 'utf8');
const a = text.indexOf(START);
const b = text.indexOf(END);
if (a < 0 || b < a) throw new Error(`${doc} lacks the ${START} … ${END} markers`);
writeFileSync(doc, `${text.slice(0, a + START.length)}\n${sections.join('\n')}\n${text.slice(b)}`);
console.log(`${doc}: ${rows.length} cases`);
