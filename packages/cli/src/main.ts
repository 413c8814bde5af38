#!/usr/bin/env node
/** sympode command line: `train` (default), `cnf`, `memory`, `demo`. */
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { parseCommand, parseFlags, UsageError, type FlagSpec } from './args.js';
import { CheckpointError, OutputError } from './errors.js';
import { prepareOut } from './outputs.js';
import { checkpointDir, readCheckpoint } from './checkpoint.js';
import { gracefulStop, installSignalHandlers, SIGNAL_EXIT, stopSignalOf } from './signals.js';
import { demo } from './demo.js';
import { MEMORY_MAX_EVENTS, memoryReport, METHODS } from './memory-report.js';
import { train } from './train.js';
import { trainCnf } from './cnf.js';
import { TOY_DATASETS, type ToyDataset } from '@sympode/flows';
import type { StageMode } from '@sympode/symplectic';
import type { BackendChoice } from './device.js';

const common = {
  backend: { kind: 'string', choices: ['auto', 'webgpu', 'cpu'], default: 'auto' },
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, maxWhy: 'seeds are 32-bit', default: 0 },
  out: { kind: 'path', default: 'out' },
  'batch-size': { kind: 'int', min: 1, default: 20 },
  'batch-time': { kind: 'int', min: 2, max: 1000, maxWhy: 'the spiral has 1000 points', default: 10 },
  rtol: { kind: 'number', min: 0, default: 1e-7 },
  atol: { kind: 'number', min: 0, default: 1e-9 },
} satisfies FlagSpec;

const trainSpec = {
  ...common,
  gradient: { kind: 'string', choices: METHODS, default: 'symplectic-adjoint' },
  iters: { kind: 'int', min: 1, default: 600 },
  lr: { kind: 'number', min: 0, default: 0.002 },
  'eval-every': { kind: 'int', min: 1, default: 50 },
} satisfies FlagSpec;

const memorySpec = {
  ...common,
  'max-events': { kind: 'int', min: 1, default: MEMORY_MAX_EVENTS },
  html: { kind: 'boolean', default: false },
} satisfies FlagSpec;

const cnfSpec = {
  data: { kind: 'string', choices: TOY_DATASETS, default: 'pinwheel' },
  gradient: { kind: 'string', choices: METHODS, default: 'symplectic-adjoint' },
  stages: { kind: 'string', choices: ['recompute', 'keep'], default: 'recompute' },
  backend: { kind: 'string', choices: ['cpu', 'auto', 'webgpu'], default: 'cpu' },
  dtype: { kind: 'string', choices: ['float64', 'float32'], default: 'float64' },
  blocks: { kind: 'int', min: 1, default: 1 },
  width: { kind: 'int', min: 1, default: 32 },
  depth: { kind: 'int', min: 1, default: 3 },
  tol: { kind: 'number', min: 0, default: 1e-4 },
  trace: { kind: 'string', choices: ['exact', 'hutchinson'], default: 'exact' },
  iters: { kind: 'int', min: 1, default: 1000 },
  lr: { kind: 'number', min: 0, default: 5e-3 },
  batch: { kind: 'int', min: 1, default: 128 },
  seed: common.seed,
  out: { kind: 'path', default: 'out/cnf' },
  grid: { kind: 'int', min: 2, default: 100 },
  samples: { kind: 'int', min: 1, default: 2000 },
  'time-limit': { kind: 'number', min: 0, default: 0 },
  'save-every': { kind: 'int', min: 0, default: 100 },
  resume: { kind: 'path', default: '' },
} satisfies FlagSpec;

const demoSpec = { backend: common.backend, seed: common.seed, iters: { kind: 'int', min: 1, default: 300 } } satisfies FlagSpec;

const SPECS: Record<string, FlagSpec> = { train: trainSpec, cnf: cnfSpec, memory: memorySpec, demo: demoSpec };

const HELP: Record<string, string> = {
  main: `usage: sympode <command> [options]      (npm start -- <command> [options])

commands:
  train    learn the spiral dynamics with a Neural ODE (default command)
  cnf      train a continuous normalizing flow (FFJORD) on a 2-D toy density
  memory   one forward+backward with each gradient method: peak bytes by label, timeline chart, traces
  demo     train a plain MLP on a toy regression (tensor library only)

Run 'sympode <command> --help' for its options.`,
  train: `usage: sympode train [options]

Learns dy/dt = (y³)A (torchdiffeq's spiral) with an MLP 2→50→2 on y³, dopri5, Adam, random windows.

  --gradient M     ${METHODS.join(' | ')} (default ${METHODS[0]})
  --backend B      auto (default: a hardware WebGPU adapter if any, else cpu) | webgpu | cpu
  --iters N        training iterations (default 600)
  --lr X           Adam learning rate (default 0.002)
  --batch-size N   windows per batch (default 20)
  --batch-time N   points per window (default 10)
  --rtol X --atol X  solver tolerances (default 1e-7, 1e-9)
  --eval-every N   whole-trajectory loss every N iterations (default 50)
  --seed N         seed (default 0); runs on the cpu backend are reproducible to the last digit
  --out DIR        output folder (default out): metrics.csv, trajectory.csv, params.json, phase.{svg,png},
                   loss.{svg,png}

examples:
  npm start
  npm start -- train --gradient backprop --iters 100 --backend cpu --out out/backprop`,
  cnf: `usage: sympode cnf [options]

Trains a continuous normalizing flow (FFJORD's concat-squash CNF, exact trace, dopri5, Adam) on a 2-D toy
density by maximum likelihood; the loss is the batch negative log-likelihood in nats.

  --data D         ${TOY_DATASETS.join(' | ')} (default pinwheel)
  --gradient M     ${METHODS.join(' | ')} (default symplectic-adjoint)
  --stages S       recompute (default) | keep: the symplectic adjoint stores each step's stage derivatives
                   (5 states per dopri5 step) instead of re-evaluating f for them in backward: same gradient,
                   fewer evaluations
  --backend B      cpu (default) | auto | webgpu
  --dtype T        float64 (default) | float32   (cpu backend; webgpu is float32)
  --blocks N       stacked CNF blocks (default 1)
  --width N        hidden width (default 32; FFJORD: 64)
  --depth N        hidden layers (default 3)
  --tol X          dopri5 rtol = atol (default 1e-4; FFJORD's toy setting is 1e-5)
  --trace T        exact (default) | hutchinson
  --iters N        training iterations (default 1000)
  --lr X           Adam learning rate (default 0.005)
  --batch N        data points per iteration (default 128; FFJORD: 512)
  --seed N         seed (default 0); runs on the cpu backend are reproducible to the last digit
  --out DIR        output folder (default out/cnf): metrics.csv, params.json,
                   density.{svg,png} (data | model density | samples), samples.{svg,png}, loss.{svg,png}
  --grid N         density grid of N×N cells over [-4, 4]² (default 100)
  --samples N      samples drawn for the pictures (default 2000)
  --time-limit S   stop training after S seconds (default 0: no limit)
  --save-every N   checkpoint every N iterations (default 100; 0: none) in DIR/checkpoint/: state.json
                   (parameters, Adam state, random streams, metrics so far; replaced atomically) and
                   metrics.csv (a row appended per iteration). SIGINT/SIGTERM saves one after the current
                   iteration and exits with 130/143 (a second signal quits at once). The folder goes once the
                   run's outputs are written; a new run will not start over an unfinished run's checkpoint.
  --resume DIR     continue the run saved in DIR (its --out) to the same numbers as an uninterrupted run; its
                   options come from the checkpoint (flags given must match, except --iters, --time-limit,
                   --save-every, --grid, --samples)

examples:
  npm start -- cnf --data pinwheel
  npm start -- cnf --data 8gaussians --iters 300 --out out/8gaussians
  npm start -- cnf --data checkerboard --gradient backprop --width 64 --batch 512 --lr 0.001
  npm start -- cnf --resume out/cnf          # after Ctrl-C, a crash or a full disk`,
  memory: `usage: sympode memory [options]

One forward+backward of the spiral model with each gradient method; prints peak bytes by label and writes
memory.md, memory-timeline.{svg,png,csv} (live bytes by label, one panel per method) and trace-<method>.json
(Chrome trace events, streamed: open in https://ui.perfetto.dev).

  --html           also write memory-report.html: one self-contained page, zoomable timelines per method
                   (wheel or drag on the time axis), phases above, hover for each allocation's op and shape
  --max-events N   events each method's trace keeps, the newest (default ${MEMORY_MAX_EVENTS})
  --backend B  --seed N  --out DIR  --batch-size N  --batch-time N  --rtol X  --atol X   (as for train)

examples:
  npm start -- memory --backend cpu --out out/memory
  npm start -- memory --html           # then open out/memory-report.html`,
  demo: `usage: sympode demo [--backend B] [--iters N] [--seed N]`,
};

const backendOf = (b: string) => b as BackendChoice;

/**
 * cnf's flags; with --resume the options the checkpoint recorded fill in the flags not given (checked as flags
 * are: a value that fails is a corrupt checkpoint), and --out is the resumed folder.
 */
function cnfFlags(argv: readonly string[]) {
  const { flags, given } = parseCommand(argv, cnfSpec);
  if (!given.has('resume')) return flags;
  if (given.has('out') && resolve(flags.out) !== resolve(flags.resume)) {
    throw new UsageError(`--resume continues the run in its own folder: drop --out, or give --out ${flags.resume}`);
  }
  const path = join(checkpointDir(flags.resume), 'state.json');
  const saved = Object.entries(readCheckpoint(path, 'cnf').options).filter(([k]) => k in cnfSpec && !given.has(k) && k !== 'resume' && k !== 'out');
  let fromCheckpoint: Partial<typeof flags>;
  try {
    fromCheckpoint = parseCommand(saved.map(([k, v]) => `--${k}=${String(v)}`), cnfSpec).flags;
  } catch (e) {
    throw new CheckpointError(`the checkpoint '${path}' is corrupt: ${(e as Error).message}`, { cause: e });
  }
  return { ...flags, ...Object.fromEntries(saved.map(([k]) => [k, fromCheckpoint[k as keyof typeof flags]])), out: flags.resume };
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...restArgs] = argv;
  const cmd = first === undefined || first.startsWith('--') ? 'train' : first;
  const rest = first === undefined || first.startsWith('--') ? argv : restArgs;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(HELP.main);
    return 0;
  }
  if (!(cmd in HELP) || cmd === 'main') throw new UsageError(`unknown command '${cmd}'\n\n${HELP.main}`);
  // `--out -h` is a missing value (the parser says so), not a request for help; a switch takes no value.
  const takesValue = (a: string | undefined) => a !== undefined && a.startsWith('--') && !a.includes('=') && SPECS[cmd]?.[a.slice(2)]?.kind !== 'boolean';
  if (rest.some((a, i) => (a === '--help' || a === '-h') && !takesValue(rest[i - 1]))) {
    console.log(HELP[cmd]);
    return 0;
  }
  if (cmd === 'train') {
    const f = parseFlags(rest, trainSpec);
    prepareOut(f.out);
    await train({
      backend: backendOf(f.backend), gradient: f.gradient as (typeof METHODS)[number], iters: f.iters, seed: f.seed, out: f.out,
      lr: f.lr, batchSize: f['batch-size'], batchTime: f['batch-time'], rtol: f.rtol, atol: f.atol, evalEvery: f['eval-every'],
    });
  } else if (cmd === 'cnf') {
    const f = cnfFlags(rest);
    const resume = f.resume !== '';
    prepareOut(f.out);
    const stop = f['save-every'] > 0 || resume ? gracefulStop() : null;
    try {
      const r = await trainCnf({
        data: f.data as ToyDataset, gradient: f.gradient as (typeof METHODS)[number], stages: f.stages as StageMode, backend: backendOf(f.backend),
        dtype: f.dtype as 'float64' | 'float32', blocks: f.blocks, width: f.width, depth: f.depth, tol: f.tol,
        trace: f.trace as 'exact' | 'hutchinson', iters: f.iters, lr: f.lr, batch: f.batch, seed: f.seed, out: f.out,
        grid: f.grid, samples: f.samples, timeLimit: f['time-limit'], saveEvery: f['save-every'], resume, signal: stop?.signal,
      });
      if (r.stopped && stop) return SIGNAL_EXIT[stopSignalOf(stop.signal)];
    } finally {
      stop?.release();
    }
  } else if (cmd === 'memory') {
    const f = parseFlags(rest, memorySpec);
    const html = f.html;
    prepareOut(f.out);
    await memoryReport({
      backend: backendOf(f.backend), seed: f.seed, out: f.out, batchSize: f['batch-size'], batchTime: f['batch-time'], rtol: f.rtol, atol: f.atol,
      html, maxEvents: f['max-events'],
    });
  } else {
    const f = parseFlags(rest, demoSpec);
    await demo({ backend: backendOf(f.backend), iters: f.iters, seed: f.seed });
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  installSignalHandlers();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        console.error(`sympode: ${e.message}`);
        process.exit(2);
      }
      if (e instanceof OutputError || e instanceof CheckpointError) {
        console.error(`sympode: ${e.message}`);
        process.exit(1);
      }
      console.error(e instanceof Error ? `sympode: ${e.name}: ${e.message}` : e);
      process.exit(1);
    },
  );
}
