import { describe } from './args.js';
import { InvalidArgumentError } from './errors.js';

/** A generator's position ({@link Rng.getState}): xoshiro128**'s four 32-bit state words. */
export type RngState = readonly [number, number, number, number];

/**
 * Seeded host-side random numbers, so `randn(shape, { seed })` gives the same numbers on every backend.
 * Generator: SplitMix64-seeded xoshiro128** (32-bit state words, exact in JS integers); normals by Box–Muller.
 */
export class Rng {
  private s = new Uint32Array(4);

  /** @param seed a finite number (its integer part, modulo 2³², picks the stream); NaN or ±Infinity throws InvalidArgumentError. */
  constructor(seed: number) {
    checkSeed('Rng', seed);
    // SplitMix32-style expansion of the seed into 4 nonzero state words.
    let x = (Math.floor(seed) >>> 0) ^ 0x9e3779b9;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0 || 1;
    }
  }

  /** The generator's position: four 32-bit words; {@link Rng.setState} continues the stream from it exactly. */
  getState(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Moves the generator to a position {@link Rng.getState} returned (four integers in [0, 2³²), not all 0). */
  setState(state: RngState): void {
    const ok = Array.isArray(state) && state.length === 4 && state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32);
    if (!ok || state.every((w) => w === 0)) throw new InvalidArgumentError(`Rng.setState: expected four 32-bit unsigned integers, not all 0 (getState() output), got ${describe(state)}`);
    this.s.set(state);
  }

  private nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal. */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Throws InvalidArgumentError unless `seed` is a finite number (NaN would silently act as seed 0). */
export function checkSeed(api: string, seed: unknown): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new InvalidArgumentError(`${api}: seed is ${describe(seed)}; expected a finite number`);
}
