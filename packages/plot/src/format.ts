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

/** Binary byte units, as on the allocator's tables: 1 KiB = 1024 B. */
export const BYTE_UNITS: readonly string[] = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** The index in `BYTE_UNITS` of the largest unit not above `|bytes|` (0 for anything under 1 KiB). */
export function byteUnit(bytes: number): number {
  let k = 0;
  const a = Math.abs(bytes);
  while (k < BYTE_UNITS.length - 1 && a >= 1024 ** (k + 1)) k++;
  return k;
}

/**
 * Bytes in the largest binary unit that keeps the number ≥ 1, to at most three significant digits with
 * trailing zeros dropped: 1536 → '1.5 KiB', 1024 → '1 KiB', 1000 → '1000 B', 1.2e6 → '1.14 MiB'.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const k = byteUnit(bytes);
  const v = bytes / 1024 ** k;
  const digits = Math.abs(v) >= 100 || k === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${Number(v.toFixed(digits))} ${BYTE_UNITS[k]}`;
}
