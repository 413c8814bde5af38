/** SVG → PNG rasterisation via resvg (a prebuilt native addon, so no browser or canvas is needed). */
import { Resvg } from '@resvg/resvg-js';

/** Pixels per SVG unit of the PNGs `writeChart` writes: 2, sharp on high-density screens and in print. */
export const DEFAULT_PNG_SCALE = 2;

/**
 * Rasterises an SVG document to PNG at `scale` × its own pixel size (default 2: a 720 × 450 chart gives a
 * 1440 × 900 PNG), on a white background
 * (charts are meant to be dropped into documents and viewers that may use a dark theme).
 *
 * System fonts are loaded so text renders; DejaVu Sans is the fallback because it is
 * present on the machines this runs on and has wide glyph coverage (µ, ², …).
 *
 * @throws RangeError if `scale` is not a positive finite number.
 */
export function svgToPng(svg: string, scale = DEFAULT_PNG_SCALE): Buffer {
  if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`svgToPng: scale must be positive, got ${scale}`);
  const r = new Resvg(svg, {
    background: '#ffffff',
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
