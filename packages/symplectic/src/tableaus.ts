/**
 * Butcher tableaus of the explicit Runge–Kutta methods, as plain data.
 *
 * Coefficients are copied from torchdiffeq (`torchdiffeq/_impl/*.py`, rtqichen/torchdiffeq master), so that
 * a torchdiffeq-style step-size controller driven by these tableaus takes the same steps. Where torchdiffeq
 * writes fractions they are written as the same fractions here (evaluated the same way in float64); where it
 * writes decimals they are copied digit for digit. The error weights `e` are torchdiffeq's `c_error`
 * (= b − b̂, propagated minus embedded) except for tsit5, see {@link TSIT5}.
 *
 * Conventions: s stages; `a[i]` holds row i of the strictly lower-triangular matrix (length i),
 * `b`, `c` and `e` have length s.
 */

import { SympodeError } from '@sympode/tensor';
import { HEUN2, HEUN3, RALSTON } from './tableaus-second-order.js';

/** An explicit Runge–Kutta method given by its Butcher tableau (see the module comment for conventions). */
export interface Tableau {
  readonly name: string;
  /** Strictly lower-triangular stage matrix, a[i] has length i (row i's coefficients for stages 0..i-1). */
  readonly a: readonly (readonly number[])[];
  /** Weights of the propagated solution. */
  readonly b: readonly number[];
  /** Nodes. */
  readonly c: readonly number[];
  /** Error weights b - b̂ (same length as b) for adaptive methods; undefined for fixed-step ones. */
  readonly e?: readonly number[];
  /**
   * Order used by the step-size controller: torchdiffeq's `order` (dopri5: 5, bosh3: 3, adaptive_heun: 2,
   * fehlberg2: 2, dopri8: 8, tsit5: 5); for fixed-step methods their classical order.
   */
  readonly order: number;
  /** First-same-as-last: the last stage equals f at the step's end (c_s = 1 and a[s-1] = b). */
  readonly fsal: boolean;
  readonly adaptive: boolean;
}

/** Names of the built-in tableaus (torchdiffeq's method names, plus `rk38` and `tsit5`). */
export type TableauName =
  | 'euler'
  | 'midpoint'
  | 'rk4'
  | 'rk38'
  | 'adaptive_heun'
  | 'fehlberg2'
  | 'bosh3'
  | 'dopri5'
  | 'dopri8'
  | 'tsit5'
  | 'heun2'
  | 'heun3'
  | 'ralston';

function freeze(t: Tableau): Tableau {
  for (const row of t.a) Object.freeze(row);
  Object.freeze(t.a);
  Object.freeze(t.b);
  Object.freeze(t.c);
  if (t.e !== undefined) Object.freeze(t.e);
  return Object.freeze(t);
}

/** Forward Euler (torchdiffeq `euler`). Order 1. */
const EULER: Tableau = freeze({
  name: 'euler',
  a: [[]],
  b: [1],
  c: [0],
  order: 1,
  fsal: false,
  adaptive: false,
});

/** Explicit midpoint rule (torchdiffeq `midpoint`: y1 = y0 + h f(t0 + h/2, y0 + h/2 f(t0, y0))). Order 2. */
const MIDPOINT: Tableau = freeze({
  name: 'midpoint',
  a: [[], [1 / 2]],
  b: [0, 1],
  c: [0, 1 / 2],
  order: 2,
  fsal: false,
  adaptive: false,
});

/**
 * Classical Runge–Kutta method (weights 1/6, 1/3, 1/3, 1/6). Order 4.
 * NB: torchdiffeq's `rk4` method actually runs the 3/8 rule (`rk4_alt_step_func`), i.e. our {@link RK38};
 * this tableau corresponds to torchdiffeq's `rk4_step_func`.
 */
const RK4: Tableau = freeze({
  name: 'rk4',
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  c: [0, 1 / 2, 1 / 2, 1],
  order: 4,
  fsal: false,
  adaptive: false,
});

/** Kutta's 3/8 rule (torchdiffeq `rk4_alt_step_func`, which is what torchdiffeq's `rk4` runs). Order 4. */
const RK38: Tableau = freeze({
  name: 'rk38',
  a: [[], [1 / 3], [-1 / 3, 1], [1, -1, 1]],
  b: [1 / 8, 3 / 8, 3 / 8, 1 / 8],
  c: [0, 1 / 3, 2 / 3, 1],
  order: 4,
  fsal: false,
  adaptive: false,
});

/**
 * Heun's method with an embedded first-order estimate (torchdiffeq `adaptive_heun.py`). Propagates the
 * second-order trapezoidal weights; e = torchdiffeq's c_error = [1/2, −1/2], i.e. b̂ = [0, 1] (first order;
 * the negative of Euler's b − b̂, which makes no difference to the RMS error). Not FSAL: the last stage is
 * evaluated at the Euler predictor, not at y1 (torchdiffeq nevertheless reuses it as the next step's first
 * stage; see the solver).
 */
const ADAPTIVE_HEUN: Tableau = freeze({
  name: 'adaptive_heun',
  a: [[], [1]],
  b: [0.5, 0.5],
  c: [0, 1],
  e: [0.5, -0.5],
  order: 2,
  fsal: false,
  adaptive: true,
});

/**
 * Fehlberg's RK1(2) pair with local extrapolation (torchdiffeq `fehlberg2.py`): propagates the second-order
 * weights b = [1/512, 255/256, 1/512]; the embedded b̂ = b − e = [1/256, 255/256, 0] is first order.
 * Not FSAL: the third stage is at the first-order solution, not at y1.
 */
const FEHLBERG2: Tableau = freeze({
  name: 'fehlberg2',
  a: [[], [1 / 2], [1 / 256, 255 / 256]],
  b: [1 / 512, 255 / 256, 1 / 512],
  c: [0, 1 / 2, 1.0],
  e: [-1 / 512, 0, 1 / 512],
  order: 2,
  fsal: false,
  adaptive: true,
});

const BOSH3_B = [2 / 9, 1 / 3, 4 / 9] as const;
/**
 * Bogacki–Shampine 3(2) pair (torchdiffeq `bosh3.py`). FSAL; b̂ = [7/24, 1/4, 1/3, 1/8] (order 2).
 */
const BOSH3: Tableau = freeze({
  name: 'bosh3',
  a: [[], [1 / 2], [0, 3 / 4], [...BOSH3_B]],
  b: [...BOSH3_B, 0],
  c: [0, 1 / 2, 3 / 4, 1],
  e: [2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8],
  order: 3,
  fsal: true,
  adaptive: true,
});

const DOPRI5_B = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84] as const;
/**
 * Dormand–Prince 5(4) pair, DOPRI5 (torchdiffeq `dopri5.py`, `_DORMAND_PRINCE_SHAMPINE_TABLEAU`). FSAL.
 * The embedded weights are the Shampine variant torchdiffeq uses (hence its table's name):
 * b̂ = [1951/21600, 0, 22642/50085, 451/720, −12231/42400, 649/6300, 1/60] (order 4), not Dormand–Prince's
 * original b̂ = [5179/57600, 0, 7571/16695, 393/640, −92097/339200, 187/2100, 1/40].
 */
const DOPRI5: Tableau = freeze({
  name: 'dopri5',
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [...DOPRI5_B],
  ],
  b: [...DOPRI5_B, 0],
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  e: [
    35 / 384 - 1951 / 21600,
    0,
    500 / 1113 - 22642 / 50085,
    125 / 192 - 451 / 720,
    -2187 / 6784 - -12231 / 42400,
    11 / 84 - 649 / 6300,
    -1 / 60,
  ],
  order: 5,
  fsal: true,
  adaptive: true,
});

const DOPRI8_B = [
  14005451 / 335480064, 0, 0, 0, 0, -59238493 / 1068277825, 181606767 / 758867731, 561292985 / 797845732,
  -1041891430 / 1371343529, 760417239 / 1151165299, 118820643 / 751138087, -528747749 / 2220607170, 1 / 4,
] as const;
/**
 * Dormand–Prince 8(7) pair, RK8(7)13M (Prince & Dormand 1981), as in torchdiffeq `dopri8.py` (current
 * version, which writes the rational approximations as fractions): 13 stages plus the FSAL stage, s = 14.
 * The error weights are torchdiffeq's single `C_err` = b − b̂ with the seventh-order b̂
 * (b̂_13 = 0, b̂_14 = 0).
 */
const DOPRI8: Tableau = freeze({
  name: 'dopri8',
  a: [
    [],
    [1 / 18],
    [1 / 48, 1 / 16],
    [1 / 32, 0, 3 / 32],
    [5 / 16, 0, -75 / 64, 75 / 64],
    [3 / 80, 0, 0, 3 / 16, 3 / 20],
    [29443841 / 614563906, 0, 0, 77736538 / 692538347, -28693883 / 1125000000, 23124283 / 1800000000],
    [
      16016141 / 946692911, 0, 0, 61564180 / 158732637, 22789713 / 633445777, 545815736 / 2771057229,
      -180193667 / 1043307555,
    ],
    [
      39632708 / 573591083, 0, 0, -433636366 / 683701615, -421739975 / 2616292301, 100302831 / 723423059,
      790204164 / 839813087, 800635310 / 3783071287,
    ],
    [
      246121993 / 1340847787, 0, 0, -37695042795 / 15268766246, -309121744 / 1061227803, -12992083 / 490766935,
      6005943493 / 2108947869, 393006217 / 1396673457, 123872331 / 1001029789,
    ],
    [
      -1028468189 / 846180014, 0, 0, 8478235783 / 508512852, 1311729495 / 1432422823, -10304129995 / 1701304382,
      -48777925059 / 3047939560, 15336726248 / 1032824649, -45442868181 / 3398467696, 3065993473 / 597172653,
    ],
    [
      185892177 / 718116043, 0, 0, -3185094517 / 667107341, -477755414 / 1098053517, -703635378 / 230739211,
      5731566787 / 1027545527, 5232866602 / 850066563, -4093664535 / 808688257, 3962137247 / 1805957418,
      65686358 / 487910083,
    ],
    [
      403863854 / 491063109, 0, 0, -5068492393 / 434740067, -411421997 / 543043805, 652783627 / 914296604,
      11173962825 / 925320556, -13158990841 / 6184727034, 3936647629 / 1978049680, -160528059 / 685178525,
      248638103 / 1413531060, 0,
    ],
    [...DOPRI8_B],
  ],
  b: [...DOPRI8_B, 0],
  c: [
    0, 1 / 18, 1 / 12, 1 / 8, 5 / 16, 3 / 8, 59 / 400, 93 / 200, 5490023248 / 9719169821, 13 / 20,
    1201146811 / 1299019798, 1, 1, 1,
  ],
  e: [
    14005451 / 335480064 - 13451932 / 455176623,
    0,
    0,
    0,
    0,
    -59238493 / 1068277825 - -808719846 / 976000145,
    181606767 / 758867731 - 1757004468 / 5645159321,
    561292985 / 797845732 - 656045339 / 265891186,
    -1041891430 / 1371343529 - -3867574721 / 1518517206,
    760417239 / 1151165299 - 465885868 / 322736535,
    118820643 / 751138087 - 53011238 / 667516719,
    -528747749 / 2220607170 - 2 / 45,
    1 / 4,
    0,
  ],
  order: 8,
  fsal: true,
  adaptive: true,
});

const TSIT5_B = [
  0.9646076681806522951816731316512876333711995238157997181903319145764851595234062815396e-1,
  1 / 100,
  0.4798896504144995747752495322905965199130404621990332488332634944254542060153074523509,
  1.379008574103741893192274821856872770756462643091360525934940067397245698027561293331,
  -3.290069515436080679901047585711363850115683290894936158531296799594813811049925401677,
  2.324710524099773982415355918398765796109060233222962411944060046314465391054716027841,
] as const;
/**
 * Tsitouras 5(4) pair (Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first column
 * simplifying assumption", Comput. Math. Appl. 62 (2011) 770–775). a and c are copied digit for digit from
 * torchdiffeq's current `tsit5.py` (itself from OrdinaryDiffEq.jl). This tableau propagates the
 * fifth-order FSAL weights b = a[6] (b_7 = 0). torchdiffeq's current `tsit5.py` instead propagates the
 * fourth-order weights (its `c_sol` = b̂ here) with `c_error` = c_sol − b; we store e = b − b̂ =
 * −(torchdiffeq's c_error), which has the same magnitude, so the RMS error ratio is the same for the same
 * stages. (torchdiffeq ≤ 0.1 had a different tsit5.py whose error weights were b minus the paper's listed
 * error coefficients: not an error estimate.)
 */
const TSIT5: Tableau = freeze({
  name: 'tsit5',
  a: [
    [],
    [161 / 1000],
    [
      -0.8480655492356988544426874250230774675121177393430391537369234245294192976164141156943e-2,
      0.3354806554923569885444268742502307746751211773934303915373692342452941929761641411569,
    ],
    [
      2.897153057105493432130432594192938764924887287701866490314866693455023795137503079289,
      -6.359448489975074843148159912383825625952700647415626703305928850207288721235210244366,
      4.362295432869581411017727318190886861027813359713760212991062156752264926097707165077,
    ],
    [
      5.325864828439256604428877920840511317836476253097040101202360397727981648835607691791,
      -11.74888356406282787774717033978577296188744178259862899288666928009020615663593781589,
      7.495539342889836208304604784564358155658679161518186721010132816213648793440552049753,
      -0.9249506636175524925650207933207191611349983406029535244034750452930469056411389539635e-1,
    ],
    [
      5.861455442946420028659251486982647890394337666164814434818157239052507339770711679748,
      -12.92096931784710929170611868178335939541780751955743459166312250439928519268343184452,
      8.159367898576158643180400794539253485181918321135053305748355423955009222648673734986,
      -0.7158497328140099722453054252582973869127213147363544882721139659546372402303777878835e-1,
      -0.2826905039406838290900305721271224146717633626879770007617876201276764571291579142206e-1,
    ],
    [...TSIT5_B],
  ],
  b: [...TSIT5_B, 0],
  c: [
    0,
    161 / 1000,
    327 / 1000,
    9 / 10,
    0.9800255409045096857298102862870245954942137979563024768854764293221195950761080302604,
    1,
    1,
  ],
  e: [
    1.780011052225771443378550607539534775944678804333659557637450799792588061629796e-3,
    8.164344596567469032236360633546862401862537590159047610940604670770447527463931e-4,
    -7.880878010261996010314727672526304238628733777103128603258129604952959142646516e-3,
    1.44711007173262907537165147972635116720922712343167677619514233896760819649515e-1,
    -5.823571654525552250199376106520421794260781239567387797673045438803694038950012e-1,
    4.580821059291869466616365188325542974428047279788398179474684434732070620889539e-1,
    -1 / 66,
  ],
  order: 5,
  fsal: true,
  adaptive: true,
});

/** All built-in tableaus by name. Deeply frozen. */
export const TABLEAUS: Readonly<Record<TableauName, Tableau>> = Object.freeze({
  euler: EULER,
  midpoint: MIDPOINT,
  rk4: RK4,
  rk38: RK38,
  adaptive_heun: ADAPTIVE_HEUN,
  fehlberg2: FEHLBERG2,
  bosh3: BOSH3,
  dopri5: DOPRI5,
  dopri8: DOPRI8,
  tsit5: TSIT5,
  heun2: freeze(HEUN2),
  heun3: freeze(HEUN3),
  ralston: freeze(RALSTON),
});

/** The names accepted by {@link getTableau}. */
export const TABLEAU_NAMES: readonly TableauName[] = Object.freeze(Object.keys(TABLEAUS) as TableauName[]);

/** Whether `name` names a built-in tableau. */
export function isTableauName(name: string): name is TableauName {
  return Object.prototype.hasOwnProperty.call(TABLEAUS, name);
}

/** Thrown by {@link getTableau} for a name that is not a built-in method. */
export class UnknownMethodError extends SympodeError {
  /** The name that was asked for. */
  readonly method: string;
  /** The names that would have been accepted. */
  readonly known: readonly TableauName[];

  constructor(method: string) {
    super(`Unknown Runge–Kutta method '${method}'; known methods: ${TABLEAU_NAMES.join(', ')} (and the reversible solver 'reversible_heun')`);
    this.method = method;
    this.known = TABLEAU_NAMES;
  }
}

/** The tableau called `name`; throws {@link UnknownMethodError} (listing the known names) for any other name. */
export function getTableau(name: string): Tableau {
  if (!isTableauName(name)) throw new UnknownMethodError(name);
  return TABLEAUS[name];
}
