/** Axis scales: the data domain, where the ticks go, and the mapping onto pixels. */
import { formatTick } from './format.js';

/** A tick mark; minor ticks have no label. */
export interface Tick {
  value: number;
  label?: string;
}

export interface Scale {
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
