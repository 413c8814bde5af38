/**
 * NumPy's legacy `RandomState` (MT19937), draw for draw: `np.random.seed(s)` (init_genrand), `rand`,
 * `uniform` and `randint` as NumPy ≥ 1.17 computes them, so that the data sets come out of the same seeds as
 * the reference code's (tksmatsubara/discrete-autograd) with the same numbers.
 */
const N = 624;
const M = 397;

/** A NumPy-compatible legacy random state. */
export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** `np.random.seed(seed)` for an integer seed in [0, 2³²). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const p = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 · p + i modulo 2³², without losing bits to float64.
      this.mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** The next raw 32-bit word. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `np.random.rand()`: a double in [0, 1) from two words (53 bits). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `np.random.uniform(low, high)`. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** `np.random.randint(low, high)` (high exclusive, range < 2³²): masked rejection on 32-bit words. */
  randint(low: number, high: number): number {
    const rng = high - 1 - low;
    if (!Number.isInteger(rng) || rng < 0 || rng > 0xffffffff) throw new RangeError(`randint: bad range [${low}, ${high})`);
    if (rng === 0) return low;
    if (rng === 0xffffffff) return low + this.nextUint32();
    let mask = rng;
    for (let s = 1; s <= 16; s <<= 1) mask |= mask >>> s;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > rng);
    return low + v;
  }
}
