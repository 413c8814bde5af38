/**
 * The Okabe–Ito palette, distinguishable under the common colour-vision deficiencies.
 * Reordered so the strongest contrasts on white come first and yellow, nearly invisible
 * as a thin line on white, comes last.
 */
export const OKABE_ITO: readonly string[] = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
];

/** Default colour of the `i`-th series; cycles when there are more series than colours. */
export function seriesColor(i: number): string {
  return OKABE_ITO[i % OKABE_ITO.length]!;
}
