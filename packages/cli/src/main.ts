#!/usr/bin/env node
/** sympode command line. */
import { demo } from './demo.js';

const USAGE = `usage: sympode <command> [options]

commands:
  demo     train a 2-layer MLP on a toy regression; print loss and memory stats

options:
  --backend webgpu|cpu   compute backend (default: webgpu if an adapter exists, else cpu)
  --iters N              iterations (default 300)
  --seed N               random seed (default 0)
  --help                 this text
`;

async function main(argv: string[]): Promise<number> {
  const [cmd = 'demo', ...rest] = argv;
  if (cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return 0;
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const k = rest[i];
    if (k === '--help') {
      console.log(USAGE);
      return 0;
    }
    if (!k.startsWith('--') || i + 1 >= rest.length) {
      console.error(`sympode: unexpected argument '${k}'\n\n${USAGE}`);
      return 2;
    }
    flags.set(k.slice(2), rest[++i]);
  }
  if (cmd !== 'demo') {
    console.error(`sympode: unknown command '${cmd}'\n\n${USAGE}`);
    return 2;
  }
  const backend = flags.get('backend');
  if (backend !== undefined && backend !== 'cpu' && backend !== 'webgpu') {
    console.error(`sympode: --backend must be webgpu or cpu, got '${backend}'`);
    return 2;
  }
  await demo({ backend, iters: Number(flags.get('iters') ?? 300), seed: Number(flags.get('seed') ?? 0) });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `sympode: ${e.message}` : e);
    process.exit(1);
  },
);
