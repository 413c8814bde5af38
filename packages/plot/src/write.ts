/** Writing charts to disk. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_PNG_SCALE, svgToPng } from './png.js';

/**
 * Writes `svg` as `<pathWithoutExt>.svg` and a rasterised copy as `<pathWithoutExt>.png`,
 * creating the folder if needed. Both formats because SVG is best for papers and the web,
 * while PNG previews everywhere (terminals, chat, issue trackers). The PNG is `scale` × the SVG's size
 * (default 2).
 *
 * @returns the paths written.
 */
export async function writeChart(pathWithoutExt: string, svg: string, options: { scale?: number } = {}): Promise<{ svg: string; png: string }> {
  const out = { svg: `${pathWithoutExt}.svg`, png: `${pathWithoutExt}.png` };
  // Rasterise first: if the SVG is unrenderable, nothing half-written is left behind.
  const png = svgToPng(svg, options.scale ?? DEFAULT_PNG_SCALE);
  await mkdir(dirname(out.svg), { recursive: true });
  await Promise.all([writeFile(out.svg, svg, 'utf8'), writeFile(out.png, png)]);
  return out;
}
