/**
 * The page: trains the spiral Neural ODE in the browser (WebGPU, else the cpu backend with a note), draws the
 * loss and the phase portrait, shows live bytes by label and each gradient method's peak, and exposes
 * `window.sympode` for scripts (scripts/test-browser.mjs drives it). Query: ?backend=cpu forces the cpu backend,
 * ?gpu=device hands sympode a GPUDevice made by the page, ?autostart=0 waits for the Start button (or the hook).
 */
import { cpuProduct, sameBits } from './cpu-check.js';
import { GRADIENT_METHODS, GRADIENTS, type GradientMethodName } from '@sympode/symplectic';
import { barRows, COLORS, drawLoss, drawPhase, drawTimeline, formatBytes, LABEL_COLORS } from './charts.js';
import { Trainer, type GradientCheck, type StepRecord } from './trainer.js';

/** What the page runs on, for people and for the test hook. */
export interface PageInfo {
  backend: 'webgpu' | 'cpu';
  dtype: string;
  description: string;
  /** Why the page is not on WebGPU, when it is not. */
  fallback: string | null;
  methods: GradientMethodName[];
}

/** `window.sympode`: a small hook for scripts (the browser test), so nothing scrapes the page's text. */
export interface SympodeHook {
  ready: Promise<PageInfo>;
  trainSteps(n: number, method?: GradientMethodName): Promise<StepRecord[]>;
  trajectoryLoss(): Promise<number>;
  gradientCheck(method?: GradientMethodName): Promise<GradientCheck>;
  history(): StepRecord[];
  stop(): void;
  /** The cpu backend's WebAssembly product in this page against the JS loop (float64, 300×200×100). */
  wasmCheck(): Promise<{ simd: boolean; threads: number; wasmCalls: number; sameBits: boolean }>;
  /** The same in a Web Worker of the page, on two threads (Web Workers of the backend's own, when isolated). */
  threadsCheck(): Promise<{ crossOriginIsolated: boolean; threads: number; note: string; wasmCalls: number; sameBits: boolean } | { error: string }>;
}

declare global {
  interface Window {
    sympode: SympodeHook;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const methodSelect = $<HTMLSelectElement>('method');
const runButton = $<HTMLButtonElement>('run');
const status = $('status');

for (const name of GRADIENT_METHODS) {
  const option = new Option(name, name);
  option.title = GRADIENTS[name].description;
  methodSelect.add(option);
}
const method = (): GradientMethodName => methodSelect.value as GradientMethodName;
methodSelect.addEventListener('change', () => {
  $('method-note').textContent = GRADIENTS[method()].description;
});
$('method-note').textContent = GRADIENTS[method()].description;

/** Browsers have one global autograd context: device work runs strictly one call after another. */
let tail: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = tail.then(fn, fn);
  tail = next.catch(() => undefined);
  return next;
}

async function start(): Promise<{ trainer: Trainer; info: PageInfo }> {
  let fallback: string | null = null;
  let trainer: Trainer | null = null;
  if (params.get('backend') === 'cpu') fallback = 'the cpu backend was asked for (?backend=cpu)';
  else if (!('gpu' in navigator) || !navigator.gpu) fallback = 'this browser has no WebGPU (navigator.gpu is missing)';
  else {
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) fallback = 'navigator.gpu gave no adapter (WebGPU disabled, or no supported GPU)';
    else {
      try {
        // ?gpu=device: the page makes its own GPUDevice (default limits) and hands it in, as an app sharing
        // its device with a renderer would; otherwise it hands in the adapter and sympode requests the device.
        const handIn = params.get('gpu') === 'device' ? { device: await adapter.requestDevice() } : { adapter };
        trainer = await Trainer.create('webgpu', handIn);
      } catch (e) {
        fallback = `the WebGPU adapter gave no device: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  trainer ??= await Trainer.create('cpu');
  if (fallback) {
    const note = $('note');
    note.textContent = `Running on the cpu backend (float64, in JavaScript): ${fallback}.`;
    note.hidden = false;
  }
  $('backend').textContent = trainer.description;
  const info: PageInfo = {
    backend: trainer.dev.kind, dtype: trainer.dev.dtype, description: trainer.dev.backend.description, fallback,
    methods: [...GRADIENT_METHODS],
  };
  return { trainer, info };
}

const started = start();
let running = false;
let learned: Float64Array | null = null;
/** The latest iteration's peak for each method: what switching the method changes. */
const peaks = new Map<GradientMethodName, StepRecord>();

function render(trainer: Trainer): void {
  const h = trainer.history;
  drawLoss($('loss'), h.map((r) => ({ iter: r.iter, loss: r.loss, method: r.method })));
  drawPhase($('phase'), trainer.trueY, learned);
  const last = h[h.length - 1];
  $('iter').textContent = last
    ? `iteration ${last.iter}: loss ${last.loss.toFixed(4)}, ${last.steps} dopri5 steps, ${last.ms.toFixed(0)} ms`
    : 'not started';
  const rows = GRADIENT_METHODS.filter((m) => peaks.has(m)).map((m) => ({ label: m, bytes: peaks.get(m)!.peakBytes, color: COLORS[m] }));
  $('peaks').innerHTML = rows.length ? barRows(rows) : '<tr><td>run an iteration</td></tr>';
  if (last) {
    const labels = Object.entries(last.peakByLabel).filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1]);
    $('peak-labels').innerHTML = barRows(labels.map(([label, bytes]) => ({ label, bytes, color: COLORS[last.method] })));
    $('peak-caption').textContent = `peak of iteration ${last.iter} (${last.method}) by label, above what was live before it`;
    drawTimeline($('timeline'), last.timeline);
    $('timeline-caption').textContent = `live bytes by label during iteration ${last.iter} (${last.method}; allocation trace)`;
  }
}

/** Live bytes by label, redrawn every frame: they change while a solve or a backward runs. */
function watchMemory(trainer: Trainer): void {
  const tick = () => {
    const s = trainer.memory();
    const rows = Object.entries(s.byLabel).filter(([, v]) => v.liveBytes > 0 || v.peakBytes > 0).sort((a, b) => a[0].localeCompare(b[0]));
    $('live').innerHTML = barRows(rows.map(([label, v]) => ({ label, bytes: v.liveBytes, color: LABEL_COLORS[label] })), s.peakBytes);
    $('live-total').textContent = `live ${formatBytes(s.liveBytes)} · peak ${formatBytes(s.peakBytes)} · ${s.liveTensors} tensors · pool ${formatBytes(s.reservedBytes)}`;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function trainOne(trainer: Trainer, m: GradientMethodName): Promise<StepRecord> {
  const r = await serial(() => trainer.step(m));
  peaks.set(m, r);
  if (r.iter % 10 === 0) learned = await serial(() => trainer.trajectory());
  render(trainer);
  return r;
}

async function loop(trainer: Trainer): Promise<void> {
  while (running) {
    try {
      await trainOne(trainer, method());
    } catch (e) {
      running = false;
      runButton.textContent = 'Start';
      status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
      console.error(e);
    }
    await new Promise((r) => setTimeout(r, 0));
  }
}

let looping: Promise<void> | null = null;
function setRunning(trainer: Trainer, on: boolean): void {
  if (on === running) return;
  running = on;
  runButton.textContent = on ? 'Pause' : 'Start';
  // A loop paused mid-iteration sees `running` again when it resumes: never start a second one.
  if (on) looping ??= loop(trainer).finally(() => (looping = null));
}

window.sympode = {
  ready: started.then(({ info }) => info),
  async trainSteps(n, m) {
    const { trainer } = await started;
    const out: StepRecord[] = [];
    for (let i = 0; i < n; i++) out.push(await trainOne(trainer, m ?? method()));
    return out;
  },
  async trajectoryLoss() {
    const { trainer } = await started;
    learned = await serial(() => trainer.trajectory());
    render(trainer);
    return trainer.trajectoryLoss(learned);
  },
  async gradientCheck(m) {
    const { trainer } = await started;
    const r = await serial(() => trainer.gradientCheck(m ?? method()));
    $('gradcheck').textContent =
      `${r.method}: ${r.entries} gradient entries on ${r.backend} vs cpu float64: max relative error ${r.maxRelError.toExponential(2)} ` +
      `(normwise; elementwise ${r.maxElementRelError.toExponential(2)}); loss ${r.loss.toPrecision(7)} vs ${r.loss64.toPrecision(7)}`;
    return r;
  },
  history: () => [],
  stop: () => undefined,
  async wasmCheck() {
    const js = await cpuProduct({ wasm: false }, [300, 200, 100]);
    const w = await cpuProduct({}, [300, 200, 100]);
    return { simd: w.simd, threads: w.threads, wasmCalls: w.wasmCalls, sameBits: sameBits(js.c, w.c) };
  },
  threadsCheck() {
    const worker = new Worker(new URL('./cpu-threads-worker.ts', import.meta.url), { type: 'module' });
    return new Promise((resolve) => {
      worker.onmessage = (e) => {
        resolve(e.data);
        worker.terminate();
      };
      worker.onerror = (e) => resolve({ error: e.message || 'the worker failed to load' });
      worker.postMessage('run');
    });
  },
};

started.then(
  async ({ trainer }) => {
    window.sympode.history = () => trainer.history;
    window.sympode.stop = () => setRunning(trainer, false);
    runButton.disabled = false;
    runButton.addEventListener('click', () => setRunning(trainer, !running));
    $('reset').addEventListener('click', () =>
      void serial(async () => {
        trainer.reset();
        peaks.clear();
        learned = null;
        render(trainer);
      }),
    );
    $<HTMLButtonElement>('check').addEventListener('click', () => void window.sympode.gradientCheck().catch((e) => {
      $('gradcheck').textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
    }));
    watchMemory(trainer);
    render(trainer);
    status.textContent = 'ready';
    if (params.get('autostart') !== '0') setRunning(trainer, true);
  },
  (e: unknown) => {
    status.textContent = `could not start: ${e instanceof Error ? e.message : String(e)}`;
    console.error(e);
  },
);
