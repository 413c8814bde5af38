/**
 * The browser page (npm run web / web:build / web:dev). The workspace packages are bundled from their
 * TypeScript sources (the "source" export condition), so no `tsc -b` is needed first. A browser bundle must
 * not reach a Node built-in: the `no-node-builtins` plugin fails the build on any import of one (Vite would
 * otherwise stub it out with only a warning); scripts/check-web-bundle.mjs checks the output again.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, defaultClientConditions, type Plugin } from 'vite';

const builtins = new Set(builtinModules);

/** The headers that make the page cross-origin isolated (SharedArrayBuffer, shared WebAssembly memory). */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

function noNodeBuiltins(): Plugin {
  return {
    name: 'no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0])) {
        this.error(`a Node built-in ('${id}') is imported by ${importer ?? 'the entry'}: the browser bundle cannot contain it`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [noNodeBuiltins()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
  // Cross-origin isolation (shared memory): the cpu backend can then run threads inside a Web Worker.
  server: { port: 5173, headers: ISOLATION },
  preview: { port: 4173, headers: ISOLATION },
  worker: { format: 'es' },
});
