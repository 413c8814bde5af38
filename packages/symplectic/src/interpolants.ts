/**
 * Dense output: every tableau's interpolant, as weights over the step's own stages. Inside an accepted step
 * (t, h, y) with stage derivatives k_0..k_{s−1}, the solution at t + θh (0 < θ < 1) is
 *   y(θ) = y + h Σ_i w_i(θ) k_i,
 * one more linear combination of the stages, exactly like y1 = y + h Σ_i b_i k_i (w(1) = b). So every
 * gradient method differentiates it like a step: its cotangent enters the stage adjoints with weights h·w_i(θ)
 * and the step's start state with weight 1.
 *
 * Per tableau (torchdiffeq's choices where torchdiffeq has the method, `rk_common.py` / `interp.py`):
 * - dopri8: the continuous extension torchdiffeq's `dopri8.py` evaluates at θ = 1/2 for its c_mid, used at
 *   every θ: fifth order (measured; the quartic fit through it was fourth order: 1.8e-6 → 3.4e-8 on the
 *   docs' linear problem), the order diffrax's Dopri8 has too; more needs extra f per step (DOP853's): not here.
 * - dopri5, adaptive_heun, fehlberg2: torchdiffeq's quartic fit (`_interp_fit`) through y, y1, the
 *   midpoint estimate y_mid = y + h Σ c_mid_i k_i and the derivatives f0 = k_0, f1 = k_{s−1}. The fit is
 *   linear in those, so its weights are fixed polynomials in θ (below); c_mid is torchdiffeq's. dopri5's c_mid
 *   is Shampine's fifth-order midpoint, so the fit is fourth order. For adaptive_heun and fehlberg2
 *   torchdiffeq's y_mid = y + (h/2)·k (k at or near t + h/2) is only O(h²) locally, and their k_{s−1} is not
 *   f(t1, y1) (they are not FSAL): the fit is first order (local error O(h²), measured), as in torchdiffeq.
 * - bosh3: cubic Hermite through y, y1, f0 = k_0 and f1 = k_3 = f(t1, y1) (FSAL), third order, its classical
 *   dense output. (torchdiffeq fits the quartic with c_mid = [0, 1/2, 0, 0], whose y_mid has the same O(h²)
 *   local error as above: first order, measured; we do not copy that.)
 * - tsit5: its own continuous extension (Tsitouras 2011, the b_i(θ) polynomials torchdiffeq's tsit5.py
 *   evaluates at θ = 1/2 for its c_mid): fourth order, used directly at every θ.
 * - euler, midpoint, rk4, rk38 (fixed step): the continuous extensions of the tableaus themselves (Hairer,
 *   Nørsett & Wanner I, §II.6), of order 1, 2, 3, 3: euler w = θ; midpoint w = (θ − θ², θ²); rk4
 *   w = (θ − 3θ²/2 + 2θ³/3, θ² − 2θ³/3, θ² − 2θ³/3, −θ²/2 + 2θ³/3); rk38 solved from the order-3
 *   conditions: w = (θ − 15θ²/8 + θ³, 15θ²/8 − 3θ³/2, 3θ²/8, θ³/2 − 3θ²/8). (torchdiffeq's fixed-grid
 *   solvers interpolate linearly, order 2, unless asked for cubic Hermite, which needs f at y1.)
 * - heun2, heun3, ralston: second-order continuous extensions (Σw = θ, Σw·c = θ²/2, w(1) = b).
 */
import { InvalidArgumentError } from '@sympode/tensor';
import { TABLEAUS, type Tableau } from './tableaus.js';

/** How a tableau interpolates inside a step (see the module comment). */
export type Interpolant =
  /** torchdiffeq's quartic fit through y, y1, y + h Σ mid_i k_i, k_0 and k_{s−1}. */
  | { readonly kind: 'fit'; readonly mid: readonly number[]; readonly order: number }
  /** Cubic Hermite through y, y1, k_0 and k_{s−1} = f(t1, y1) (FSAL tableaus). */
  | { readonly kind: 'hermite'; readonly order: number }
  /** Dedicated stage weights w_i(θ). */
  | { readonly kind: 'weights'; readonly weights: (theta: number) => number[]; readonly order: number };

// dopri8's continuous extension as torchdiffeq's `dopri8.py` lists it (to find its c_mid at θ = 1/2): per
// nonzero stage, the coefficients of θ^5..θ^0 of p_i, with w_i(θ) = θ·p_i(θ).
const DOPRI8_DENSE: Readonly<Record<number, readonly number[]>> = {
  0: [-6.3448349392860401388, 22.1396504998094068976, -30.0610568289666450593, 19.999006933368397061, -6.6910181737837595697, 1],
  5: [-39.6107919852202505218, 116.4422149550342161651, -121.4999627731334642623, 52.227353279294552405, -7.6142658045872677172, 0],
  6: [20.3761213808791436958, -67.1451318825957197185, 83.1721004639847717481, -46.8919164181093621583, 10.7281392630428866124, 0],
  7: [7.3347098826795362023, -16.5672243527496524646, 9.5724507555993664382, -0.1890893225010595467, 0.5526637063753648783, 0],
  8: [32.8801774352459155182, -89.9916014847245016028, 87.8406057677205645007, -35.7075975946222072821, 4.2186562625665153803, 0],
  9: [-10.1588990526426760954, 22.6237489648532849093, -17.4152107770762969005, 6.273644808324035216, -0.6627209125361597559, 0],
  10: [-12.54012680987825612, 32.2362340167355370113, -28.5903289514790976966, 10.3160881272450748458, -1.2636789001135462218, 0],
  11: [29.5553001484516038033, -82.1020315488359848644, 81.6630950584341412934, -34.7650769866611817349, 5.410603789859042223, 0],
  12: [-41.7923486424390588923, 116.2662185791119533462, -114.937529137700941817, 47.7457971078225540396, -7.0321379067945741781, 0],
  13: [20.3006925822100825485, -53.9020777466385396792, 50.2558364226176017553, -19.0082099341608028453, 2.3537586759714983486, 0],
};

function dopri8Raw(x: number): number[] {
  const w = new Array<number>(14).fill(0);
  for (const [i, c] of Object.entries(DOPRI8_DENSE)) w[Number(i)] = x * (((((c[0] * x + c[1]) * x + c[2]) * x + c[3]) * x + c[4]) * x + c[5]);
  return w;
}

// The listed coefficients carry ~20 digits, but w(1) misses b by up to 1e-12; θ⁶·(b − w(1)) closes that
// gap (w(1) = b exactly, so outputs at a step's end equal the step) and changes no other digit that matters.
const DOPRI8_GAP = dopri8Raw(1).map((w1, i) => TABLEAUS.dopri8.b[i]! - w1);
function dopri8Weights(x: number): number[] {
  const x6 = x ** 6;
  return dopri8Raw(x).map((w, i) => w + x6 * DOPRI8_GAP[i]!);
}
/** Tsitouras' continuous extension b_i(θ) (the factored form torchdiffeq's tsit5.py writes). */
function tsit5Weights(x: number): number[] {
  return [
    -1.0530884977290216 * x * (x - 1.329989018975412) * (x * x - 1.4364028541716351 * x + 0.7139816917074209),
    0.1017 * x * x * (x * x - 2.1966568338249754 * x + 1.2949852507374631),
    2.490627285651252793 * x * x * (x * x - 2.38535645472061657 * x + 1.57803468208092486),
    -16.54810288924490272 * (x - 1.21712927295533244) * (x - 0.61620406037800089) * x * x,
    47.37952196281928122 * (x - 1.203071208372362603) * (x - 0.658047292653547382) * x * x,
    -34.87065786149660974 * (x - 1.2) * (x - 2 / 3) * x * x,
    2.5 * (x - 1) * (x - 0.6) * x * x,
  ];
}

const INTERPOLANTS: Readonly<Record<string, Interpolant>> = Object.freeze({
  euler: { kind: 'weights', order: 1, weights: (x: number) => [x] },
  midpoint: { kind: 'weights', order: 2, weights: (x: number) => [x - x * x, x * x] },
  rk4: {
    kind: 'weights', order: 3,
    weights: (x: number) => {
      const x2 = x * x;
      const x3 = x2 * x;
      const mid = x2 - (2 / 3) * x3;
      return [x - 1.5 * x2 + (2 / 3) * x3, mid, mid, -0.5 * x2 + (2 / 3) * x3];
    },
  },
  rk38: {
    kind: 'weights', order: 3,
    weights: (x: number) => {
      const x2 = x * x;
      const x3 = x2 * x;
      return [x - (15 / 8) * x2 + x3, (15 / 8) * x2 - 1.5 * x3, (3 / 8) * x2, 0.5 * x3 - (3 / 8) * x2];
    },
  },
  // Its k_{s−1} is f at the Euler predictor, O(h) off f(t1, y1): as torchdiffeq has it, the fit is first order.
  adaptive_heun: { kind: 'fit', order: 1, mid: [0.5, 0] },
  fehlberg2: { kind: 'fit', order: 1, mid: [0, 0.5, 0] },
  bosh3: { kind: 'hermite', order: 3 },
  dopri5: {
    kind: 'fit', order: 4,
    mid: [
      6025192743 / 30085553152 / 2, 0, 51252292925 / 65400821598 / 2, -2691868925 / 45128329728 / 2,
      187940372067 / 1594534317056 / 2, -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2,
    ],
  },
  dopri8: { kind: 'weights', order: 5, weights: dopri8Weights },
  tsit5: { kind: 'weights', order: 4, weights: tsit5Weights },
  // Second-order continuous extensions (Σw = θ, Σw·c = θ²/2, w(1) = b); heun3's keeps w_1 = 0 like its b.
  heun2: { kind: 'weights', order: 2, weights: (x: number) => [x - (x * x) / 2, (x * x) / 2] },
  heun3: { kind: 'weights', order: 2, weights: (x: number) => [x - 0.75 * x * x, 0, 0.75 * x * x] },
  ralston: { kind: 'weights', order: 2, weights: (x: number) => [x - 0.75 * x * x, 0.75 * x * x] },
});

/** The interpolant of a built-in tableau (see the module comment). */
export function interpolantOf(tab: Tableau): Interpolant {
  const it = INTERPOLANTS[tab.name];
  if (!it) throw new InvalidArgumentError(`tableau '${tab.name}' has no interpolant: pass outputs: 'step'`);
  return it;
}

/**
 * The stage weights w(θ) of the dense output at t + θh: y(θ) = y + h Σ_i w_i(θ) k_i (length s).
 * The quartic fit p(θ) = y + (y1 − y)·P(θ) + (y_mid − y)·M(θ) + h k_0·F0(θ) + h k_{s−1}·F1(θ), with
 * P = −5θ² + 14θ³ − 8θ⁴, M = 16θ² − 32θ³ + 16θ⁴, F0 = θ − 4θ² + 5θ³ − 2θ⁴, F1 = θ² − 3θ³ + 2θ⁴ (the
 * Hermite–Birkhoff basis of p(0), p(1), p(1/2), p′(0), p′(1)), gives w = P·b + M·mid + F0·e_0 + F1·e_{s−1}.
 * The cubic Hermite likewise: w = (3θ² − 2θ³)·b + (θ − 2θ² + θ³)·e_0 + (θ³ − θ²)·e_{s−1}.
 */
export function denseWeights(tab: Tableau, theta: number): number[] {
  const it = interpolantOf(tab);
  if (it.kind === 'weights') return it.weights(theta);
  const x = theta;
  const x2 = x * x;
  const x3 = x2 * x;
  const s = tab.b.length;
  if (it.kind === 'hermite') {
    const w = tab.b.map((b) => (3 * x2 - 2 * x3) * b);
    w[0] += x - 2 * x2 + x3;
    w[s - 1] += x3 - x2;
    return w;
  }
  const x4 = x3 * x;
  const P = -5 * x2 + 14 * x3 - 8 * x4;
  const M = 16 * x2 - 32 * x3 + 16 * x4;
  const w = tab.b.map((b, i) => P * b + M * it.mid[i]);
  w[0] += x - 4 * x2 + 5 * x3 - 2 * x4;
  w[s - 1] += x2 - 3 * x3 + 2 * x4;
  return w;
}

/** θ of output time tk inside the step (t, h): computed the same way by the forward and every backward. */
export function thetaOf(t: number, h: number, tk: number): number {
  return (tk - t) / h;
}
