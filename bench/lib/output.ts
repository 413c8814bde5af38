/**
 * The run's files: one CSV per table, the Markdown report (named sections other harnesses wrote there are
 * kept), and the key charts copied into the figures folder.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toCsv } from './report.js';
import { writeReport } from './sections.js';
import type { BenchOptions, BenchResult } from './types.js';

/** Writes the result's CSVs, report and figures; appends every path to `result.files`; returns the report's path. */
export async function writeOutputs(result: BenchResult, options: BenchOptions, figures: readonly string[]): Promise<string> {
  const { rows, slopes, peers, dispatch, spiral, matmul, files } = result;
  const csvRows = rows.map(({ stepSizes: _s, terms, labelPeaks, ...r }) => ({ ...r, terms, labelPeaks }));
  const csvs: [string, Record<string, unknown>[]][] = [
    ['ode_grid.csv', csvRows], ['slopes.csv', slopes as never], ['peers.csv', peers as never], ['dispatch.csv', dispatch as never],
    ['spiral.csv', spiral as never], ['matmul.csv', matmul as never],
  ];
  for (const [name, data] of csvs) {
    if (!data.length) continue;
    const path = join(options.outDir, name);
    await writeFile(path, toCsv(data));
    files.push(path);
  }
  const mdPath = options.resultsPath ?? join(options.outDir, 'RESULTS.md');
  await writeReport(mdPath, result.markdown);
  files.push(mdPath);
  if (options.figuresDir && figures.length) {
    await mkdir(options.figuresDir, { recursive: true });
    for (const f of figures) {
      const dest = join(options.figuresDir, f.split('/').pop()!);
      await copyFile(f, dest);
      files.push(dest);
    }
  }
  return mdPath;
}
