#!/usr/bin/env node
/**
 * Every TypeScript/JavaScript code block of the docs (README.md, docs/*.md, packages/*\/README.md) as a test:
 * extracted into .docs-blocks/ (ignored by git, inside the repo so `@sympode/*` resolve to the workspace),
 * type-checked together under `strict` with `tsc`, then each run with Node on the cpu backend.
 *
 * A block may be annotated by an HTML comment on the line before its fence:
 *   <!-- doc-test: browser -->               type-checked with the DOM and WebGPU types, not run in Node
 *   <!-- doc-test: at=<dir> -->              a file of the repo: relative imports resolve from <dir>; imported, not run
 *   <!-- doc-test: prelude=<name> -->        prefixed with a declared prelude (PRELUDES below), for fragments
 *   <!-- doc-test: iterations=<n> -->        run with every `for (let i = 0; i < N;` loop cut to n iterations
 *                                            (type-checked as written): a training example, run in seconds
 *
 * Usage: node scripts/docs-blocks.mjs [--list] [--no-run] [--only <file:line>]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.docs-blocks');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

/** Declared preludes for fragments: what the block may name without defining it. */
export const PRELUDES = {
  ode: `import { createDevice, type Tensor } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';
const dev = await createDevice({ backend: 'cpu' });
const f = (_t: number, y: Tensor) => y.neg();
const y0 = dev.tensor([1, 2]);
const t = [0, 0.5, 1];
`,
};

export function docFiles() {
  const pk = readdirSync(join(root, 'packages')).map((p) => join('packages', p, 'README.md'));
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f));
  return ['README.md', ...docs, ...pk].filter((f) => {
    try {
      readFileSync(join(root, f));
      return true;
    } catch {
      return false;
    }
  });
}

/** The blocks of one file: { id, file, line, lang, code, browser, at, prelude }. */
export function blocksOf(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(ts|typescript|js|javascript|mjs)\s*$/.exec(lines[i]);
    if (!m) continue;
    const note = /<!--\s*doc-test:\s*(.*?)\s*-->/.exec(lines[i - 1] ?? '')?.[1] ?? '';
    // Known words only: `browser`, `at=<dir>`, `prelude=<name>`, `iterations=<n>`; anything else (a remark in parentheses) is prose.
    const opts = Object.fromEntries(note.split(/\s+/).filter((w) => /^(browser|at=\S+|prelude=\S+|iterations=\d+)$/.test(w)).map((w) => (w.includes('=') ? w.split('=') : [w, true])));
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    blocks.push({
      id: `${file}:${i + 1}`, file, line: i + 1, lang: m[1].startsWith('j') || m[1] === 'mjs' ? 'js' : 'ts',
      code: lines.slice(i + 1, end).join('\n'), browser: opts.browser === true, at: opts.at ?? null, prelude: opts.prelude ?? null,
      iterations: opts.iterations === undefined ? null : Number(opts.iterations),
    });
    i = end;
  }
  return blocks;
}

/** Where a block's file goes, and its source as compiled (prelude added, relative imports re-rooted). */
function materialize(b) {
  const name = b.id.replace(/[^A-Za-z0-9]+/g, '_') + (b.lang === 'ts' ? '.mts' : '.mjs');
  const path = join(out, b.browser ? 'browser' : 'node', name);
  let code = b.code;
  if (b.at) {
    const from = relative(dirname(path), join(root, b.at)).replaceAll('\\', '/');
    code = code.replace(/from '\.\/([^']+)'/g, (_, p) => `from '${from}/${p}'`);
  }
  if (b.prelude) {
    if (!PRELUDES[b.prelude]) throw new Error(`${b.id}: unknown prelude '${b.prelude}'`);
    code = PRELUDES[b.prelude] + code;
  }
  // Every block is a module (top-level await), even one without imports.
  return { path, code: `${code}\nexport {};\n` };
}

function tsconfig(dir, browser) {
  const lib = browser ? ['ES2022', 'DOM'] : ['ES2022'];
  const types = browser ? ['@webgpu/types'] : ['node'];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, lib, types, allowJs: true, checkJs: true },
    include: ['*.mts', '*.mjs'],
  }, null, 2));
}

function main() {
  const blocks = docFiles().flatMap(blocksOf).filter((b) => !only || b.id === only);
  if (args.includes('--list')) {
    for (const b of blocks) console.log(`${b.id} ${b.lang}${b.browser ? ' browser' : ''}${b.at ? ` at=${b.at}` : ''}${b.prelude ? ` prelude=${b.prelude}` : ''}${b.iterations !== null ? ` iterations=${b.iterations}` : ''}`);
    return;
  }
  rmSync(out, { recursive: true, force: true });
  const files = blocks.map((b) => ({ b, ...materialize(b) }));
  for (const kind of ['node', 'browser']) {
    const dir = join(out, kind);
    mkdirSync(dir, { recursive: true });
    tsconfig(dir, kind === 'browser');
  }
  for (const f of files) writeFileSync(f.path, f.code);
  let failed = 0;
  for (const kind of ['node', 'browser']) {
    if (!files.some((f) => (f.b.browser ? 'browser' : 'node') === kind)) continue;
    const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(out, kind)], { encoding: 'utf8' });
    if (r.status !== 0) {
      failed++;
      // Map the temp file names back to the doc's lines.
      let text = r.stdout + r.stderr;
      for (const f of files) text = text.replaceAll(relative(join(out, kind), f.path), `${f.b.id} (block)`);
      console.error(`docs-blocks: type errors (${kind}):\n${text}`);
    }
  }
  if (failed) process.exit(1);
  console.log(`docs-blocks: ${files.length} blocks type-check under strict`);
  if (args.includes('--no-run')) return;
  for (const f of files) {
    if (f.b.browser) continue;
    // Run what was type-checked: TypeScript transpiled as is; a repo file's relative imports from its built copy.
    let js = f.path.endsWith('.mts') ? ts.transpileModule(f.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText : f.code;
    if (f.b.at) js = js.replace(/from '([^']*)\/src\/([^']*)'/g, "from '$1/dist/$2'");
    if (f.b.iterations !== null) {
      const cut = js.replace(/(for \(let (\w+) = 0; \2 < )(\d+)(;)/g, `$1${f.b.iterations}$4`);
      if (cut === js) throw new Error(`${f.b.id}: iterations=${f.b.iterations} but no \`for (let i = 0; i < N;\` loop`);
      js = cut;
    }
    const runPath = f.path.replace(/\.m[jt]s$/, '.run.mjs');
    writeFileSync(runPath, js);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [runPath], { encoding: 'utf8', cwd: join(out, 'node'), timeout: 600_000 });
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    if (r.status !== 0) {
      failed++;
      console.error(`docs-blocks: ${f.b.id} failed (${s} s, exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    } else {
      console.log(`docs-blocks: ${f.b.id} ran (${s} s)`);
    }
  }
  if (failed) process.exit(1);
  console.log(`docs-blocks: every block runs on the cpu backend`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
