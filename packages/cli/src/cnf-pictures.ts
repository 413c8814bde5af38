/**
 * The pictures of `sympode cnf`: the data density (a histogram of many data points), the model density
 * (exp log p on a grid) and the model's samples, side by side over one window; the samples alone; the loss.
 */
import { join } from 'node:path';
import { type Device } from '@sympode/tensor';
import { CNF, toyData, type ToyDataset } from '@sympode/flows';
import { lineChart, panelsChart, writeChart } from '@sympode/plot';

/** The window every picture shows: FFJORD's toy plots use [−4, 4]². */
export const WINDOW = [-4, 4, -4, 4] as const;

/** Cell centres of a g × g grid over {@link WINDOW}, row-major [g², 2] with j (y) the slow index. */
export function gridPoints(g: number): Float64Array {
  const [x0, x1, y0, y1] = WINDOW;
  const pts = new Float64Array(2 * g * g);
  for (let j = 0; j < g; j++) {
    for (let i = 0; i < g; i++) {
      pts[2 * (j * g + i)] = x0 + ((i + 0.5) * (x1 - x0)) / g;
      pts[2 * (j * g + i) + 1] = y0 + ((j + 0.5) * (y1 - y0)) / g;
    }
  }
  return pts;
}

/** The data density on a g × g grid: a normalised histogram of n points (values per unit area). */
export function dataDensity(data: ArrayLike<number>, g: number): Float64Array {
  const [x0, x1, y0, y1] = WINDOW;
  const h = new Float64Array(g * g);
  const n = data.length / 2;
  const cell = ((x1 - x0) / g) * ((y1 - y0) / g);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(((data[2 * k]! - x0) / (x1 - x0)) * g);
    const j = Math.floor(((data[2 * k + 1]! - y0) / (y1 - y0)) * g);
    if (i >= 0 && i < g && j >= 0 && j < g) h[j * g + i] += 1 / (n * cell);
  }
  return h;
}

/** p(x) of the flow at the g × g grid's cell centres, in chunks of `chunk` points, without gradients. */
export async function modelDensity(dev: Device, cnf: CNF, g: number, chunk = 1024): Promise<Float64Array> {
  const pts = gridPoints(g);
  const out = new Float64Array(g * g);
  for (let s = 0; s < g * g; s += chunk) {
    const n = Math.min(chunk, g * g - s);
    const lp = await dev.tidy(() => dev.noGrad(async () => {
      const x = dev.tensor(pts.subarray(2 * s, 2 * (s + n)), [n, 2]);
      return Float64Array.from(await (await cnf.logProb(x)).data());
    }));
    for (let k = 0; k < n; k++) out[s + k] = Math.exp(lp[k]!);
  }
  return out;
}

/** n samples of the flow (seeded), row-major [n, 2]. */
export async function flowSamples(dev: Device, cnf: CNF, n: number, seed: number): Promise<Float64Array> {
  return dev.tidy(() => dev.noGrad(async () => Float64Array.from(await (await cnf.sample(n, { seed })).data())));
}

/** What {@link writeCnfPictures} needs. */
export interface CnfPictureInput {
  out: string;
  data: ToyDataset;
  seed: number;
  grid: number;
  samples: number;
  /** Line of text under the title: the run's settings. */
  caption: string;
  losses: { iter: number; loss: number }[];
}

/** Writes density.{svg,png} (data | model | samples), samples.{svg,png} and loss.{svg,png}; returns the paths. */
export async function writeCnfPictures(dev: Device, cnf: CNF, o: CnfPictureInput): Promise<string[]> {
  const g = o.grid;
  const model = await modelDensity(dev, cnf, g);
  const samples = await flowSamples(dev, cnf, o.samples, o.seed + 7);
  const dataPts = toyData(o.data, 100_000, o.seed + 99);
  const xs = (a: Float64Array) => a.filter((_, i) => i % 2 === 0);
  const ys = (a: Float64Array) => a.filter((_, i) => i % 2 === 1);
  const density = await writeChart(join(o.out, 'density'), panelsChart({
    title: `${o.data}: ${o.caption}`,
    extent: WINDOW,
    panels: [
      { kind: 'heat', title: 'data density (histogram)', values: dataDensity(dataPts, g), nx: g, ny: g },
      { kind: 'heat', title: 'model density exp log p(x)', values: model, nx: g, ny: g },
      { kind: 'points', title: `${o.samples} model samples`, x: xs(samples), y: ys(samples) },
    ],
  }));
  const scatter = await writeChart(join(o.out, 'samples'), panelsChart({
    title: `${o.data}: data vs model samples`,
    extent: WINDOW,
    panels: [
      { kind: 'points', title: `${o.samples} data points`, x: xs(dataPts.subarray(0, 2 * o.samples)), y: ys(dataPts.subarray(0, 2 * o.samples)), color: '#000000' },
      { kind: 'points', title: `${o.samples} model samples`, x: xs(samples), y: ys(samples) },
    ],
  }));
  const loss = await writeChart(join(o.out, 'loss'), lineChart({
    title: `${o.data}: training loss (negative log-likelihood, nats)`, xLabel: 'iteration', yLabel: 'nats',
    series: [{ name: 'batch NLL', x: o.losses.map((r) => r.iter), y: o.losses.map((r) => r.loss) }],
  }));
  return [density.svg, density.png, scatter.svg, scatter.png, loss.svg, loss.png];
}
