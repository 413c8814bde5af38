/** Writing charts to disk. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { svgToPng } from './png.js';

/**
 * Writes `svg` as `<pathWithoutExt>.svg` and a rasterised copy as `<pathWithoutExt>.png`,
 * creating the folder if needed. Both formats because SVG is best for papers and the web,
 * while PNG previews everywhere (terminals, chat, issue trackers).
 *
 * @returns the paths written.
 */
export async function writeChart(pathWithoutExt: string, svg: string): Promise<{ svg: string; png: string }> {
  const out = { svg: `${pathWithoutExt}.svg`, png: `${pathWithoutExt}.png` };
  // Rasterise first: if the SVG is unrenderable, nothing half-written is left behind.
  const png = svgToPng(svg);
  await mkdir(dirname(out.svg), { recursive: true });
  await Promise.all([writeFile(out.svg, svg, 'utf8'), writeFile(out.png, png)]);
  return out;
}
