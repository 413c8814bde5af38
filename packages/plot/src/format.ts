/**
 * Formats a tick value compactly: plain decimals for everyday magnitudes, exponent notation
 * (`1e-6`, `1.2e6`) for very small or very large ones.
 *
 * Values are first rounded to 12 significant digits so that floating-point noise from tick
 * arithmetic (`0.30000000000000004`) never reaches a label.
 */
export function formatTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0'; // zero (and -0) is below any threshold and would come out as "0e0"
  const c = Number(v.toPrecision(12));
  const a = Math.abs(c);
  // 1e5 rather than 1e6 as the cut-off: "250000" is already wider than "2.5e5" and crowds the axis.
  if (a >= 1e5 || a < 1e-3) return c.toExponential().replace('e+', 'e');
  return String(c);
}
