/** SVG → PNG rasterisation via resvg (a prebuilt native addon, so no browser or canvas is needed). */
import { Resvg } from '@resvg/resvg-js';

/**
 * Rasterises an SVG document to PNG at its own pixel size, on a white background
 * (charts are meant to be dropped into documents and viewers that may use a dark theme).
 *
 * System fonts are loaded so text renders; DejaVu Sans is the fallback because it is
 * present on the machines this runs on and has wide glyph coverage (µ, ², …).
 */
export function svgToPng(svg: string): Buffer {
  const r = new Resvg(svg, {
    background: '#ffffff',
    fitTo: { mode: 'original' },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
