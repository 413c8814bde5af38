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
  server: { port: 5173 },
  preview: { port: 4173 },
});
