/** Checks that a command wrote each picture as a complete SVG and a real PNG (signature, IHDR width). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** `<dir>/<name>.svg` and `<name>.png` for every name; PNGs at least `minWidth` pixels wide. */
export async function expectPictures(dir: string, names: readonly string[], minWidth = 100): Promise<void> {
  for (const name of names) {
    const svg = await readFile(join(dir, `${name}.svg`), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const png = await readFile(join(dir, `${name}.png`));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png.readUInt32BE(16)).toBeGreaterThan(minWidth); // IHDR width
  }
}
