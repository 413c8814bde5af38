/**
 * Binomial checkpointing (Griewank 1992; Griewank & Walther 2000, "revolve"): the arithmetic of reversing l
 * steps with s snapshots, the first of which holds the start state. Reversing means visiting the start states
 * y_{l−1}, …, y_0 in that order; a state that is not held is recomputed by advancing from the nearest held
 * one. The cheapest schedule splits the range at j, advances j steps, stores y_j in a free snapshot, reverses
 * [j, l) with s−1 snapshots and then [0, j) with s, so its cost obeys
 *   t(1, s) = 0,   t(l, 1) = l(l−1)/2,   t(l, s) = min_{0<j<l} j + t(l−j, s−1) + t(j, s),
 * whose closed form is t(l, s) = r·l − β(s+1, r−1) with β(s, r) = C(s+r, s) and r the integer for which
 * β(s, r−1) < l ≤ β(s, r). t counts every advanced step; the forward solve pays for l − 1 of them.
 */

/** β(s, r) = C(s + r, s), the number of steps s snapshots reverse with at most r advances of each step. */
export function binomialReach(s: number, r: number): number {
  if (r < 0) return 0;
  let b = 1;
  // C(s+k, k) = C(s+k−1, k−1)·(s+k)/k: an exact integer at every step while it stays below 2^53.
  for (let k = 1; k <= r; k++) b = (b * (s + k)) / k;
  return b;
}

/** t(l, s): the fewest advanced steps that reverse l steps with s ≥ 1 snapshots (see the module comment). */
export function revolveCost(l: number, s: number): number {
  if (l <= 1) return 0;
  if (s < 1) return Infinity;
  if (s === 1) return (l * (l - 1)) / 2;
  let r = 0;
  let b = 1;
  while (b < l) {
    r++;
    b = (b * (s + r)) / r;
  }
  return r * l - binomialReach(s + 1, r - 1);
}

/**
 * An optimal first split j of reversing l ≥ 2 steps with s ≥ 2 snapshots: j minimises
 * g(j) = j + t(l−j, s−1) + t(j, s). t(·, s) is convex in l (its slope r grows with l), so g is convex and
 * a binary search on its forward difference finds the minimum in O(log l) evaluations.
 */
export function revolveSplit(l: number, s: number): number {
  const g = (j: number) => j + revolveCost(l - j, s - 1) + revolveCost(j, s);
  let lo = 1;
  let hi = l - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (g(mid + 1) - g(mid) >= 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Where the forward solve of N steps stores its snapshots under a budget of c (y_0 included): the chain of
 * first splits, each stored state reversing the rest of the range with one snapshot fewer. Returns the
 * positions with their snapshot budgets, starting with (0, c).
 */
export function revolveChain(N: number, c: number): { pos: number; budget: number }[] {
  const chain = [{ pos: 0, budget: c }];
  let p = 0;
  let s = c;
  while (N - p > 1 && s > 1) {
    p += revolveSplit(N - p, s);
    s--;
    chain.push({ pos: p, budget: s });
  }
  return chain;
}
