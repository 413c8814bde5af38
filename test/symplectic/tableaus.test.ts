import { describe, it, expect } from 'vitest';
import {
  TABLEAUS,
  TABLEAU_NAMES,
  getTableau,
  UnknownMethodError,
  type Tableau,
  type TableauName,
} from '../../packages/symplectic/src/tableaus.js';

// ---------------------------------------------------------------------------------------------------------
// Rooted trees and the order conditions Σ_i w_i Φ_i(t) = 1/γ(t) (Butcher). A tree is the multiset of its
// root's subtrees, stored as a non-increasing list of indices into the list of all trees generated so far.
// ---------------------------------------------------------------------------------------------------------
interface RootedTree {
  readonly order: number;
  readonly children: readonly number[];
  /** Density γ(t) = |t| Π γ(children). */
  readonly gamma: number;
}

function rootedTrees(maxOrder: number): RootedTree[] {
  const trees: RootedTree[] = [{ order: 1, children: [], gamma: 1 }];
  for (let n = 2; n <= maxOrder; n++) {
    const fresh: RootedTree[] = [];
    // Non-increasing index sequences whose orders sum to `rest`.
    const grow = (rest: number, maxIdx: number, prefix: number[]): void => {
      for (let idx = maxIdx; idx >= 0; idx--) {
        const t = trees[idx]!;
        if (t.order > rest) continue;
        prefix.push(idx);
        if (t.order === rest) {
          const gamma = prefix.reduce((g, i) => g * trees[i]!.gamma, n);
          fresh.push({ order: n, children: prefix.slice(), gamma });
        } else {
          grow(rest - t.order, idx, prefix);
        }
        prefix.pop();
      }
    };
    grow(n - 1, trees.length - 1, []);
    trees.push(...fresh);
  }
  return trees;
}

const TREES = rootedTrees(9);

/** Dense s×s stage matrix. */
function denseA(tab: Tableau): number[][] {
  const s = tab.b.length;
  return tab.a.map((row) => Array.from({ length: s }, (_, j) => (j < row.length ? row[j]! : 0)));
}

/**
 * For every tree t (up to `maxOrder`) the residual Σ_i w_i Φ_i(t) − 1/γ(t), where Φ_i(•) = 1 and
 * Φ_i(t) = Π_{u child of t} (A Φ(u))_i.
 */
function orderResiduals(tab: Tableau, w: readonly number[], maxOrder: number): { tree: number; order: number; r: number }[] {
  const A = denseA(tab);
  const s = w.length;
  const phi: number[][] = [];
  const aPhi: number[][] = [];
  const out: { tree: number; order: number; r: number }[] = [];
  for (let k = 0; k < TREES.length; k++) {
    const t = TREES[k]!;
    if (t.order > maxOrder) break;
    const p = new Array<number>(s).fill(1);
    for (const ch of t.children) for (let i = 0; i < s; i++) p[i]! *= aPhi[ch]![i]!;
    phi.push(p);
    aPhi.push(A.map((row) => row.reduce((acc, aij, j) => acc + aij * p[j]!, 0)));
    const sum = w.reduce((acc, wi, i) => acc + wi * p[i]!, 0);
    out.push({ tree: k, order: t.order, r: sum - 1 / t.gamma });
  }
  return out;
}

function maxResidual(res: { order: number; r: number }[], order: number): number {
  return Math.max(0, ...res.filter((x) => x.order === order).map((x) => Math.abs(x.r)));
}

// ---------------------------------------------------------------------------------------------------------
// A plain float64 fixed-step explicit RK integrator.
// ---------------------------------------------------------------------------------------------------------
type Rhs = (t: number, y: readonly number[]) => number[];

function integrate(tab: Tableau, f: Rhs, y0: readonly number[], T: number, n: number): number[] {
  const h = T / n;
  const s = tab.b.length;
  let y = y0.slice();
  for (let step = 0; step < n; step++) {
    const t = step * h;
    const k: number[][] = [];
    for (let i = 0; i < s; i++) {
      const row = tab.a[i]!;
      const yi = y.map((v, d) => row.reduce((acc, aij, j) => acc + h * aij * k[j]![d]!, v));
      k.push(f(t + tab.c[i]! * h, yi));
    }
    y = y.map((v, d) => v + h * tab.b.reduce((acc, bi, i) => acc + bi * k[i]![d]!, 0));
  }
  return y;
}

/** y' = y cos t, y(0) = 1: y(t) = exp(sin t). Step counts chosen so the error is asymptotic and above roundoff. */
const CONVERGENCE: Record<TableauName, { T: number; steps: number[] }> = {
  euler: { T: 1, steps: [8, 16, 32, 64] },
  midpoint: { T: 1, steps: [16, 32, 64, 128] },
  rk4: { T: 1, steps: [4, 8, 16, 32] },
  rk38: { T: 1, steps: [16, 32, 64, 128] },
  adaptive_heun: { T: 1, steps: [4, 8, 16, 32] },
  fehlberg2: { T: 1, steps: [16, 32, 64, 128] },
  bosh3: { T: 1, steps: [4, 8, 16, 32] },
  dopri5: { T: 1, steps: [4, 8, 16, 32] },
  tsit5: { T: 3, steps: [32, 64, 128] },
  dopri8: { T: 1, steps: [2, 4, 8] },
  heun2: { T: 1, steps: [8, 16, 32, 64] },
  heun3: { T: 1, steps: [8, 16, 32, 64] },
  ralston: { T: 1, steps: [8, 16, 32, 64] },
};

/** Classical order of b (= the controller order for all built-ins) and of the embedded b̂ = b − e. */
const EXPECTED: Record<TableauName, { order: number; embedded?: number; stages: number; fsal: boolean }> = {
  euler: { order: 1, stages: 1, fsal: false },
  midpoint: { order: 2, stages: 2, fsal: false },
  rk4: { order: 4, stages: 4, fsal: false },
  rk38: { order: 4, stages: 4, fsal: false },
  adaptive_heun: { order: 2, embedded: 1, stages: 2, fsal: false },
  fehlberg2: { order: 2, embedded: 1, stages: 3, fsal: false },
  bosh3: { order: 3, embedded: 2, stages: 4, fsal: true },
  dopri5: { order: 5, embedded: 4, stages: 7, fsal: true },
  dopri8: { order: 8, embedded: 7, stages: 14, fsal: true },
  tsit5: { order: 5, embedded: 4, stages: 7, fsal: true },
  heun2: { order: 2, stages: 2, fsal: false },
  heun3: { order: 3, stages: 3, fsal: false },
  ralston: { order: 2, embedded: 1, stages: 2, fsal: false },
};

/** Order conditions are checked through min(order, CHECK_THROUGH) (plus order+1 must fail when ≤ 9). */
const CHECK_THROUGH = 8;

describe('rooted trees', () => {
  it('counts 1, 1, 2, 4, 9, 20, 48, 115, 286 trees of orders 1..9', () => {
    const counts = Array.from({ length: 9 }, (_, i) => TREES.filter((t) => t.order === i + 1).length);
    expect(counts).toEqual([1, 1, 2, 4, 9, 20, 48, 115, 286]);
  });
});

describe('tableaus', () => {
  it('has exactly the expected names', () => {
    expect([...TABLEAU_NAMES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const name of Object.keys(EXPECTED) as TableauName[]) {
    const tab = TABLEAUS[name];
    const exp = EXPECTED[name];

    describe(name, () => {
      it('has a consistent shape', () => {
        const s = exp.stages;
        expect(tab.name).toBe(name);
        expect(getTableau(name)).toBe(tab);
        expect(tab.b).toHaveLength(s);
        expect(tab.c).toHaveLength(s);
        expect(tab.a).toHaveLength(s);
        tab.a.forEach((row, i) => expect(row).toHaveLength(i));
        expect(tab.order).toBe(exp.order);
        expect(tab.adaptive).toBe(exp.embedded !== undefined);
        expect(tab.e !== undefined).toBe(tab.adaptive);
        if (tab.e !== undefined) expect(tab.e).toHaveLength(s);
        expect(tab.c[0]).toBe(0);
        for (const v of [...tab.a.flat(), ...tab.b, ...tab.c, ...(tab.e ?? [])]) expect(Number.isFinite(v)).toBe(true);
        expect(Object.isFrozen(tab) && Object.isFrozen(tab.a) && Object.isFrozen(tab.b)).toBe(true);
      });

      it('satisfies the row-sum condition c_i = Σ_j a_ij', () => {
        tab.a.forEach((row, i) => {
          const sum = row.reduce((acc, v) => acc + v, 0);
          expect(Math.abs(sum - tab.c[i]!)).toBeLessThanOrEqual(1e-14);
        });
      });

      it('has an fsal flag consistent with the data', () => {
        const s = tab.b.length;
        const last = tab.a[s - 1]!;
        const isFsal = tab.c[s - 1] === 1 && tab.b[s - 1] === 0 && last.every((v, j) => v === tab.b[j]);
        expect(tab.fsal).toBe(isFsal);
        expect(tab.fsal).toBe(exp.fsal);
      });

      it(`b has classical order exactly ${exp.order}`, () => {
        const upTo = Math.min(exp.order, CHECK_THROUGH);
        const res = orderResiduals(tab, tab.b, Math.min(exp.order + 1, 9));
        for (let q = 1; q <= upTo; q++) expect(maxResidual(res, q), `order ${q}`).toBeLessThan(1e-12);
        if (exp.order + 1 <= 9) expect(maxResidual(res, exp.order + 1)).toBeGreaterThan(1e-6);
      });

      if (exp.embedded !== undefined) {
        const embedded = exp.embedded;
        it(`the embedded b̂ = b − e has order exactly ${embedded}`, () => {
          const bHat = tab.b.map((bi, i) => bi - tab.e![i]!);
          const res = orderResiduals(tab, bHat, embedded + 1);
          for (let q = 1; q <= embedded; q++) expect(maxResidual(res, q), `order ${q}`).toBeLessThan(1e-12);
          expect(maxResidual(res, embedded + 1)).toBeGreaterThan(1e-6);
        });
      }

      it(`converges with observed order ${exp.order} on y' = y cos t`, () => {
        const { T, steps } = CONVERGENCE[name];
        const exact = Math.exp(Math.sin(T));
        const errs = steps.map((n) => Math.abs(integrate(tab, (t, y) => [y[0]! * Math.cos(t)], [1], T, n)[0]! - exact));
        for (const e of errs) expect(e).toBeGreaterThan(1e-13); // still above roundoff
        for (let i = 1; i < errs.length; i++) {
          const observed = Math.log2(errs[i - 1]! / errs[i]!);
          expect(Math.abs(observed - exp.order), `observed ${observed.toFixed(3)} at n=${steps[i]}`).toBeLessThan(0.3);
        }
      });
    });
  }
});

describe('specific coefficients', () => {
  it("rk38 is torchdiffeq's rk4 (rk4_alt_step_func), rk4 the classical method", () => {
    expect(TABLEAUS.rk38.b).toEqual([1 / 8, 3 / 8, 3 / 8, 1 / 8]);
    expect(TABLEAUS.rk38.a).toEqual([[], [1 / 3], [-1 / 3, 1], [1, -1, 1]]);
    expect(TABLEAUS.rk4.b).toEqual([1 / 6, 1 / 3, 1 / 3, 1 / 6]);
  });

  it("dopri5's error weights are torchdiffeq's c_error (Shampine's b̂)", () => {
    expect(TABLEAUS.dopri5.e![0]).toBe(35 / 384 - 1951 / 21600);
    expect(TABLEAUS.dopri5.e![6]).toBe(-1 / 60);
  });

  it("tsit5's embedded weights equal torchdiffeq's c_sol (its propagated fourth-order weights)", () => {
    const cSol = [
      0.9468075576583945807478876255758922856117527357724631226139574065785592789071067303271e-1,
      0.9183565540343253096776363936645313759813746240984095238905939532922955247253608687270e-2,
      0.4877705284247615707855642599631228241516691959761363774365216240304071651579571959813,
      1.234297566930478985655109673884237654035539930748192848315425833500484878378061439761,
      -2.707712349983525454881109975059321670689605166938197378763992255714444407154902012702,
      1.866628418170587035753719399566211498666255505244122593996591602841258328965767580089,
      1 / 66,
    ];
    const t = TABLEAUS.tsit5;
    t.b.forEach((bi, i) => expect(Math.abs(bi - t.e![i]! - cSol[i]!)).toBeLessThan(1e-15));
  });
});

describe('getTableau', () => {
  it('returns each built-in tableau by name', () => {
    for (const name of TABLEAU_NAMES) expect(getTableau(name).name).toBe(name);
  });

  it('throws UnknownMethodError naming the known methods', () => {
    let caught: unknown;
    try {
      getTableau('nope');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnknownMethodError);
    expect(caught).toBeInstanceOf(Error);
    const err = caught as UnknownMethodError;
    expect(err.name).toBe('UnknownMethodError');
    expect(err.method).toBe('nope');
    expect(err.message).toContain('nope');
    for (const name of TABLEAU_NAMES) expect(err.message).toContain(name);
    expect(() => getTableau('toString')).toThrow(UnknownMethodError);
    expect(() => getTableau('__proto__')).toThrow(UnknownMethodError);
  });
});
