/**
 * FFJORD's toy 2-D densities (lib/toy_data.py, with scikit-learn's make_moons and make_circles), generated
 * procedurally from our own seeded RNG: the same definitions, not the same numbers as NumPy's. Where FFJORD
 * returns a multiple of the class count (pinwheel: 5, 2spirals: 2), we return exactly n points.
 */
import { InvalidArgumentError, Rng, type Device, type Tensor } from '@sympode/tensor';

/** The toy datasets, by FFJORD's names. */
export const TOY_DATASETS = ['8gaussians', 'pinwheel', 'checkerboard', '2spirals', 'moons', 'circles', 'rings'] as const;

/** The name of a toy dataset. */
export type ToyDataset = (typeof TOY_DATASETS)[number];

/** A toy dataset name that is not one of {@link TOY_DATASETS}. */
export class UnknownDatasetError extends InvalidArgumentError {}

type Pts = Float64Array;

/** Fisher–Yates shuffle of the rows of an [n, 2] array. */
function shuffleRows(x: Pts, rng: Rng): void {
  const n = x.length / 2;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    for (const c of [0, 1]) [x[2 * i + c], x[2 * j + c]] = [x[2 * j + c], x[2 * i + c]];
  }
}

function addNoise(x: Pts, rng: Rng, std: number): void {
  for (let i = 0; i < x.length; i++) x[i] += std * rng.normal();
}

/** NumPy's linspace(a, b, n, endpoint). */
function linspace(a: number, b: number, n: number, endpoint: boolean): number[] {
  const d = endpoint ? n - 1 : n;
  return Array.from({ length: n }, (_, k) => (d > 0 ? a + ((b - a) * k) / d : a));
}

const randint = (rng: Rng, k: number) => Math.floor(rng.uniform() * k);

function eightGaussians(n: number, rng: Rng): Pts {
  const r = 1 / Math.SQRT2;
  const centers = [[1, 0], [-1, 0], [0, 1], [0, -1], [r, r], [r, -r], [-r, r], [-r, -r]];
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const px = rng.normal() * 0.5, py = rng.normal() * 0.5;
    const c = centers[randint(rng, 8)];
    x[2 * i] = (px + 4 * c[0]) / 1.414;
    x[2 * i + 1] = (py + 4 * c[1]) / 1.414;
  }
  return x;
}

function pinwheel(n: number, rng: Rng): Pts {
  const classes = 5, rate = 0.25;
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const f0 = rng.normal() * 0.3 + 1, f1 = rng.normal() * 0.1;
    const angle = (2 * Math.PI * (i % classes)) / classes + rate * Math.exp(f0);
    const c = Math.cos(angle), s = Math.sin(angle);
    // features · [[cos, −sin], [sin, cos]] (FFJORD's einsum "ti,tij->tj"), times 2.
    x[2 * i] = 2 * (f0 * c + f1 * s);
    x[2 * i + 1] = 2 * (-f0 * s + f1 * c);
  }
  shuffleRows(x, rng);
  return x;
}

function checkerboard(n: number, rng: Rng): Pts {
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x1 = rng.uniform() * 4 - 2;
    const x2 = rng.uniform() - randint(rng, 2) * 2;
    const parity = ((Math.floor(x1) % 2) + 2) % 2; // Python's floor(x1) % 2
    x[2 * i] = 2 * x1;
    x[2 * i + 1] = 2 * (x2 + parity);
  }
  return x;
}

function twoSpirals(n: number, rng: Rng): Pts {
  // FFJORD draws one arm and negates it for the other.
  const half = Math.ceil(n / 2);
  const arm = new Float64Array(2 * half);
  for (let i = 0; i < half; i++) {
    const r = ((Math.sqrt(rng.uniform()) * 540 * 2 * Math.PI) / 360);
    arm[2 * i] = -Math.cos(r) * r + rng.uniform() * 0.5;
    arm[2 * i + 1] = Math.sin(r) * r + rng.uniform() * 0.5;
  }
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const src = i < half ? i : i - half;
    const sign = i < half ? 1 : -1;
    for (const c of [0, 1]) x[2 * i + c] = (sign * arm[2 * src + c]) / 3 + rng.normal() * 0.1;
  }
  return x;
}

/** scikit-learn's make_moons(n, noise = 0.1), then FFJORD's ·2 + (−1, −0.2). */
function moons(n: number, rng: Rng): Pts {
  const nOut = Math.floor(n / 2), nIn = n - nOut;
  const x = new Float64Array(2 * n);
  linspace(0, Math.PI, nOut, true).forEach((a, i) => ((x[2 * i] = Math.cos(a)), (x[2 * i + 1] = Math.sin(a))));
  linspace(0, Math.PI, nIn, true).forEach((a, i) => ((x[2 * (nOut + i)] = 1 - Math.cos(a)), (x[2 * (nOut + i) + 1] = 1 - Math.sin(a) - 0.5)));
  shuffleRows(x, rng);
  addNoise(x, rng, 0.1);
  for (let i = 0; i < n; i++) ((x[2 * i] = 2 * x[2 * i] - 1), (x[2 * i + 1] = 2 * x[2 * i + 1] - 0.2));
  return x;
}

/** scikit-learn's make_circles(n, factor = 0.5, noise = 0.08), then FFJORD's ·3. */
function circles(n: number, rng: Rng): Pts {
  const nOut = Math.floor(n / 2), nIn = n - nOut;
  const x = new Float64Array(2 * n);
  linspace(0, 2 * Math.PI, nOut, false).forEach((a, i) => ((x[2 * i] = Math.cos(a)), (x[2 * i + 1] = Math.sin(a))));
  linspace(0, 2 * Math.PI, nIn, false).forEach((a, i) => ((x[2 * (nOut + i)] = 0.5 * Math.cos(a)), (x[2 * (nOut + i) + 1] = 0.5 * Math.sin(a))));
  shuffleRows(x, rng);
  addNoise(x, rng, 0.08);
  for (let i = 0; i < x.length; i++) x[i] *= 3;
  return x;
}

/** Four concentric rings of radii 3, 2.25, 1.5, 0.75 (FFJORD: n/4 points each, the rest on the innermost). */
function rings(n: number, rng: Rng): Pts {
  const q = Math.floor(n / 4);
  const counts = [q, q, q, n - 3 * q];
  const radii = [1, 0.75, 0.5, 0.25];
  const x = new Float64Array(2 * n);
  let i = 0;
  counts.forEach((c, r) => {
    for (const a of linspace(0, 2 * Math.PI, c, false)) {
      x[2 * i] = 3 * radii[r] * Math.cos(a);
      x[2 * i + 1] = 3 * radii[r] * Math.sin(a);
      i++;
    }
  });
  shuffleRows(x, rng);
  addNoise(x, rng, 0.08);
  return x;
}

const GENERATORS: Record<ToyDataset, (n: number, rng: Rng) => Pts> = {
  '8gaussians': eightGaussians, pinwheel, checkerboard, '2spirals': twoSpirals, moons, circles, rings,
};

/**
 * n points of a toy density, row-major [n, 2], from `seed` (the same seed gives the same points).
 * @throws UnknownDatasetError for a name not in {@link TOY_DATASETS}
 */
export function toyData(name: ToyDataset, n: number, seed: number): Float64Array {
  const gen = (GENERATORS as Record<string, ((n: number, rng: Rng) => Pts) | undefined>)[name];
  if (!gen || !Object.hasOwn(GENERATORS, name)) throw new UnknownDatasetError(`unknown toy dataset '${String(name)}'; known: ${TOY_DATASETS.join(', ')}`);
  if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`toyData: n must be a positive integer, got ${n}`);
  return gen(n, new Rng(seed));
}

/** {@link toyData} as a tensor [n, 2] on `device`. */
export function toyBatch(device: Device, name: ToyDataset, n: number, seed: number): Tensor {
  return device.tensor(toyData(name, n, seed), [n, 2]);
}
