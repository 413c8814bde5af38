/** The CLI's flags (issue 21 #7): values kept whole, ranges named, no flag swallowed as a value. */
import { describe, it, expect } from 'vitest';
import { parseCommand, UsageError, type FlagSpec } from '../../packages/cli/src/args.js';
import { main } from '../../packages/cli/src/main.js';

const spec = {
  out: { kind: 'path', default: 'out' },
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, maxWhy: 'seeds are 32-bit', default: 0 },
  lr: { kind: 'number', min: 0, default: 0.01 },
  'batch-time': { kind: 'int', min: 2, max: 1000, maxWhy: 'the spiral has 1000 points', default: 10 },
  html: { kind: 'boolean', default: false },
} satisfies FlagSpec;

const bad = (argv: string[], msg: RegExp) => expect(() => parseCommand(argv, spec)).toThrow(msg);

describe('cli flags', () => {
  it('keeps a value with = in it whole, and reads switches', () => {
    const { flags, given } = parseCommand(['--out=runs/lr=0.01', '--seed', '7', '--html'], spec);
    expect(flags).toEqual({ out: 'runs/lr=0.01', seed: 7, lr: 0.01, 'batch-time': 10, html: true });
    expect([...given].sort()).toEqual(['html', 'out', 'seed']);
    expect(parseCommand(['--out', 'a b', '--lr', '1e-3'], spec).flags).toMatchObject({ out: 'a b', lr: 0.001 });
  });

  it('rejects what used to be misread, each with one clear UsageError', () => {
    bad(['--seed', '4294967296'], /≤ 4294967295 \(seeds are 32-bit\)/);
    for (const f of ['--seed', '--lr', '--out']) bad([f, ''], /needs a value, got an empty one/);
    bad(['--batch-time', '1001'], /≤ 1000 \(the spiral has 1000 points\)/);
    bad(['--html=yes'], /is a switch and takes no value/);
    bad(['--out', '-h'], /--out needs a value, got the flag '-h'/);
    bad(['--out', '--seed', '2'], /--out needs a value, got the flag '--seed'/);
    bad(['--seed', '0x10'], /must be an integer, got '0x10'/);
    bad(['--seed', '1', '--seed', '2'], /given twice/);
    bad(['--sed', '1'], /unknown flag --sed/);
    bad(['stray'], /unexpected argument 'stray'/);
    expect(() => parseCommand(['--lr', 'x'], spec)).toThrow(UsageError);
  });

  it('`--out -h` is an error, not help (exit 2 before anything runs)', async () => {
    await expect(main(['train', '--out', '-h'])).rejects.toThrow(UsageError);
    await expect(main(['memory', '--html=yes'])).rejects.toThrow(/switch/);
  });
});
