/** Axis scales: the data domain, where the ticks go, and the mapping onto pixels. */
import { BYTE_UNITS, byteUnit, formatBytes, formatTick } from './format.js';

/** A tick mark; minor ticks have no label. */
export interface Tick {
  /** Where the tick is, in data units. */
  value: number;
  label?: string;
}

/** An axis: its domain, whether it is logarithmic, and its ticks. */
export interface Scale {
  /** Whether values map by their logarithm. */
  readonly log: boolean;
  /** Data-space limits, `domain[0] < domain[1]`. */
  readonly domain: readonly [number, number];
  readonly ticks: readonly Tick[];
}

// Guards against pathological spans (e.g. 1e-300 around 1e300) producing millions of ticks.
const MAX_TICKS = 200;

/** 1, 2 or 5 times a power of ten, as `m × 10^e`, so tick values can be computed without accumulating error. */
function niceStep(span: number, target: number): { m: number; e: number } {
  const raw = span / Math.max(1, target);
  let e = Math.floor(Math.log10(raw));
  const norm = raw / 10 ** e;
  let m = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  if (m === 10) { m = 1; e += 1; }
  return { m, e };
}

// i·m·10^e evaluated by dividing by 10^-e for negative e: 3/10 is 0.3 where 3*0.1 is 0.30000000000000004.
function stepValue(i: number, s: { m: number; e: number }): number {
  return s.e >= 0 ? i * s.m * 10 ** s.e : (i * s.m) / 10 ** -s.e;
}

/** Widens a zero-width range so constant data still gets a usable axis. */
export function padRange(min: number, max: number): [number, number] {
  if (max > min) return [min, max];
  const d = min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - d, max + d];
}

/**
 * A linear scale over `[min, max]` with about `target` ticks on 1-2-5 steps.
 * With `extend`, the domain grows outward to whole steps so the frame starts and ends on a labelled tick;
 * without it (used for equal-aspect plots, whose limits are dictated by the other axis) the domain is kept.
 */
export function linearScale(min: number, max: number, target: number, extend: boolean): Scale {
  [min, max] = padRange(min, max);
  const span = max - min;
  if (!Number.isFinite(span)) {
    return { log: false, domain: [min, max], ticks: [min, max].map((v) => ({ value: v, label: formatTick(v) })) };
  }
  const step = niceStep(span, target);
  const unit = stepValue(1, step);
  if (extend) {
    min = stepValue(Math.floor(min / unit + 1e-9), step);
    max = stepValue(Math.ceil(max / unit - 1e-9), step);
  }
  const first = Math.ceil(min / unit - 1e-9);
  const last = Math.floor(max / unit + 1e-9);
  const ticks: Tick[] = [];
  if (last - first <= MAX_TICKS) {
    for (let i = first; i <= last; i++) {
      const value = stepValue(i, step);
      ticks.push({ value, label: formatTick(value) });
    }
  }
  return { log: false, domain: [min, max], ticks };
}

/**
 * A base-10 log scale covering `[min, max]` (both > 0), widened to whole decades.
 * Decades are labelled; when few decades are shown 2× and 5× are labelled too, and the 2–9 multiples get minor ticks.
 */
export function logScale(min: number, max: number, target: number): Scale {
  let lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (hi <= lo) { lo -= 1; hi += 1; }
  const decades = hi - lo;
  const ticks: Tick[] = [];
  const dec = (e: number) => 10 ** e;
  if (decades * 3 + 1 <= target * 1.5) {
    for (let e = lo; e <= hi; e++) {
      for (let k = 1; k <= 9; k++) {
        if (e === hi && k > 1) break;
        const value = k * dec(e);
        ticks.push(k === 1 || k === 2 || k === 5 ? { value, label: formatTick(value) } : { value });
      }
    }
  } else {
    // Label every n-th decade when there are too many for the axis length.
    const every = Math.max(1, Math.ceil(decades / Math.max(1, target)));
    const minor = decades <= 8;
    for (let e = lo; e <= hi; e++) {
      const value = dec(e);
      ticks.push((e - lo) % every === 0 ? { value, label: formatTick(value) } : { value });
      if (minor && e < hi) for (let k = 2; k <= 9; k++) ticks.push({ value: k * value });
    }
  }
  return { log: true, domain: [dec(lo), dec(hi)], ticks };
}

/** Maps data values onto the pixel interval `[p0, p1]` (either may be the larger: SVG's y axis points down). */
export function projector(scale: Scale, p0: number, p1: number): (v: number) => number {
  const t = scale.log ? Math.log10 : (v: number) => v;
  const d0 = t(scale.domain[0]);
  const k = (p1 - p0) / (t(scale.domain[1]) - d0);
  return (v) => p0 + (t(v) - d0) * k;
}

/**
 * A linear scale of bytes: one binary unit for the whole axis (the one of the largest |value|), 1-2-5 steps in
 * that unit, and every label with the same number of decimals ('0', '0.5 MiB', '1.0 MiB', '1.5 MiB').
 */
export function bytesScale(min: number, max: number, target: number, extend: boolean): Scale {
  [min, max] = padRange(min, max);
  const k = byteUnit(Math.max(Math.abs(min), Math.abs(max)));
  const u = 1024 ** k;
  const s = linearScale(min / u, max / u, target, extend);
  const decimals = Math.max(0, ...s.ticks.map((t) => (t.label?.split('.')[1] ?? '').length));
  const label = (v: number) => (v === 0 ? '0' : `${v.toFixed(decimals)} ${BYTE_UNITS[k]}`);
  return { log: false, domain: [s.domain[0] * u, s.domain[1] * u], ticks: s.ticks.map((t) => ({ value: t.value * u, label: label(t.value) })) };
}

/**
 * A base-2 log scale of bytes over `[min, max]` (both > 0), widened to powers of two, with ticks at powers of two
 * ('1 KiB', '4 KiB', '16 KiB', …); every n-th is labelled when there are more than `target`.
 */
export function logBytesScale(min: number, max: number, target: number): Scale {
  let lo = Math.floor(Math.log2(min));
  let hi = Math.ceil(Math.log2(max));
  if (hi <= lo) { lo -= 1; hi += 1; }
  const every = Math.max(1, Math.ceil((hi - lo) / Math.max(1, target)));
  const ticks: Tick[] = [];
  if (hi - lo <= MAX_TICKS) {
    for (let e = lo; e <= hi; e++) ticks.push(e % every === 0 ? { value: 2 ** e, label: formatBytes(2 ** e) } : { value: 2 ** e });
  }
  return { log: true, domain: [2 ** lo, 2 ** hi], ticks };
}
