// Checks the built page (web/dist) for Node built-ins: no import/require of a `node:*` or bare built-in
// module, and none of Vite's browser-external stubs (what Vite puts where a built-in was imported).
// The strings 'node:async_hooks' / 'node:child_process' may appear as data (the tensor package looks them up
// at run time through globalThis.process, which a browser lacks); an import of them may not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'web/dist';
const names = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/]/g, '\\/')).join('|');
const spec = `["'\`](?:node:[\\w/]+|(?:${names}))["'\`]`;
const forbidden = [
  new RegExp(`\\bimport\\s*\\(\\s*${spec}`), // dynamic import
  new RegExp(`\\bfrom\\s*${spec}`), // static import / re-export
  new RegExp(`\\bimport\\s*${spec}`), // side-effect import
  new RegExp(`\\brequire\\s*\\(\\s*${spec}`),
  /__vite-browser-external/,
];

const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(m?js|html)$/.test(f)) files.push(p);
  }
};
walk(dir);
if (files.length === 0) {
  console.error(`check-web-bundle: no .js/.html files under ${dir} (build the page first)`);
  process.exit(1);
}
let bad = 0;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  for (const re of forbidden) {
    const m = text.match(re);
    if (m) {
      bad++;
      console.error(`check-web-bundle: ${f}: Node built-in in the browser bundle: …${text.slice(Math.max(0, m.index - 60), m.index + 60)}…`);
    }
  }
}
if (bad) process.exit(1);
console.log(`check-web-bundle: ${files.length} files under ${dir}, no Node built-in imported`);
