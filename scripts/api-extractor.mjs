// The public API of each published package as a committed report (packages/<p>/etc/<p>.api.md), made by
// API Extractor from the built declarations. `--check` (CI) fails when the API changed and the report was
// not updated, so every change to the public surface is a visible diff; without it the reports are rewritten.
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
let failed = false;
for (const name of ['tensor', 'symplectic', 'flows']) {
  const folder = resolve(root, 'packages', name);
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: folder,
      mainEntryPointFilePath: '<projectFolder>/dist/index.d.ts',
      compiler: { tsconfigFilePath: '<projectFolder>/tsconfig.json' },
      apiReport: { enabled: true, reportFolder: '<projectFolder>/etc/', reportTempFolder: resolve(root, '.api-extractor', name), reportFileName: `${name}.api.md` },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Release tags (@public/@beta) are not our convention: everything exported is public.
        extractorMessageReporting: { 'ae-missing-release-tag': { logLevel: 'none' }, 'ae-undocumented': { logLevel: 'none' },
          // Links inside namespaces (nn, optim) are checked by typedoc, which resolves them; API Extractor does not.
          'ae-unresolved-link': { logLevel: 'none' }, default: { logLevel: 'warning' } },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
        compilerMessageReporting: { default: { logLevel: 'warning' } },
      },
    },
    configObjectFullPath: resolve(folder, 'api-extractor.json'),
    packageJsonFullPath: resolve(folder, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false });
  if (!result.succeeded) {
    failed = true;
    console.error(`api-extractor: @sympode/${name}: ${result.apiReportChanged ? 'the public API changed: run `node scripts/api-extractor.mjs` and commit packages/' + name + '/etc/' : `${result.errorCount} errors, ${result.warningCount} warnings`}`);
  }
}
if (failed) process.exit(1);
console.log(`api-extractor: the API reports ${check ? 'match' : 'are written'}`);
