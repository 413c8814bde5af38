/**
 * Node only, for createDevice's automatic choice: asks Dawn for its adapter in a short-lived child process.
 * Dawn's native code writes driver warnings straight to file descriptor 2 when it creates an adapter (lavapipe
 * gives two "artificially reduced" lines), which JavaScript cannot silence; probing in a child keeps them out of
 * the user's terminal when the adapter then goes unused. Elsewhere (browsers, or no child processes) it answers
 * `undefined` and the caller probes in-process. The Node built-in is reached through `globalThis.process` so a
 * browser bundle never sees a `node:` import.
 */
import { describeAdapter } from './adapter.js';

/** What the probe saw: an adapter with its description, none, or `undefined` when it could not ask. */
export type ProbeResult = { found: true; description: string } | { found: false; why: string } | undefined;

interface ChildProcessModule {
  execFile(
    file: string,
    args: string[],
    options: { timeout: number; encoding: 'utf8'; env?: Record<string, string | undefined> },
    callback: (error: Error | null, stdout: string, stderr: string) => void,
  ): unknown;
}

interface NodeProcess {
  execPath: string;
  env: Record<string, string | undefined>;
  getBuiltinModule?(id: string): unknown;
}

const CHILD = `
let m;
try { m = await import(process.argv[1]); } catch (e) { console.log(JSON.stringify({ noDawn: String(e && e.message || e) })); process.exit(0); }
const a = await m.create([]).requestAdapter(process.argv[2] ? { powerPreference: process.argv[2] } : undefined);
const i = a && a.info;
console.log(JSON.stringify(a ? { info: { vendor: i.vendor, architecture: i.architecture, description: i.description } } : { none: true }));
process.exit(0);
`;

let cached: Promise<ProbeResult> | undefined;

/** Probes once per process (the adapter set does not change while it runs). */
export function probeAdapterQuietly(powerPreference?: GPUPowerPreference): Promise<ProbeResult> {
  cached ??= probe(powerPreference);
  return cached;
}

async function probe(powerPreference?: GPUPowerPreference): Promise<ProbeResult> {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const cp = proc?.getBuiltinModule?.('node:child_process') as ChildProcessModule | undefined;
  if (!proc || !cp) return undefined;
  // Resolve `webgpu` from here, so the child finds the copy this package would load.
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  let spec = 'webgpu';
  try {
    if (resolve) spec = resolve('webgpu');
  } catch {
    return { found: false, why: 'the optional peer dependency `webgpu` (Dawn) is not installed' };
  }
  const out = await new Promise<string | undefined>((done) => {
    cp.execFile(
      proc.execPath,
      ['--input-type=module', '-e', CHILD, spec, powerPreference ?? ''],
      { timeout: 30_000, encoding: 'utf8' },
      (error, stdout) => done(error ? undefined : stdout),
    );
  });
  const line = out?.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    const r = JSON.parse(line) as { info?: GPUAdapterInfo; none?: true; noDawn?: string };
    if (r.info) return { found: true, description: describeAdapter(r.info) };
    if (r.none) return { found: false, why: 'no WebGPU adapter found' };
    return undefined; // the child could not load Dawn: let the in-process attempt say why
  } catch {
    return undefined;
  }
}
