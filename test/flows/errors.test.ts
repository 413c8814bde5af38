/** Bad input to the flows package gets a typed error naming what was wrong. */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, InvalidArgumentError, ShapeError, type Device } from '@sympode/tensor';
import { CNF, cnfField, ConcatSquashNet } from '@sympode/flows';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

describe('flows: clear errors', () => {
  it('CNF construction', () => {
    expect(() => CNF.ffjord(dev, 0)).toThrow(InvalidArgumentError);
    expect(() => new CNF(dev, 2, [])).toThrow(/at least one block/);
    expect(() => CNF.ffjord(dev, 2, { T: -1, hidden: [4] })).toThrow(/T must be a positive number/);
    expect(() => CNF.ffjord(dev, 2, { blocks: 1.5, hidden: [4] })).toThrow(/blocks must be a positive integer/);
    expect(() => new ConcatSquashNet(dev, [2, 4, 3])).toThrow(/maps D to D/);
    expect(() => CNF.ffjord(dev, 2, { seed: NaN, hidden: [4] })).toThrow(/CNF\.ffjord: seed must be a finite number, got NaN/);
    const net = new ConcatSquashNet(dev, [2, 4, 2], { seed: 0 });
    expect(() => new CNF(dev, 2, [net], { seed: NaN })).toThrow(/CNF: seed must be a finite number, got NaN/);
    net.dispose();
  });

  it('a bad CNF.ffjord option frees the nets it made for it', () => {
    const before = dev.memory.stats().liveBytes;
    expect(() => CNF.ffjord(dev, 2, { T: -1, hidden: [4] })).toThrow(/T must be a positive number/);
    expect(dev.memory.stats().liveBytes).toBe(before);
  });

  it('encode, sample and the field', async () => {
    const cnf = CNF.ffjord(dev, 2, { hidden: [4], seed: 1, trace: 'hutchinson' });
    await expect(cnf.encode(dev.zeros([3, 3]))).rejects.toThrow(ShapeError);
    await expect(cnf.encode(dev.zeros([3, 2]), { noise: [[1, 2, 3]] })).rejects.toThrow(/noise ε has 3 values; the batch needs 3×2/);
    await expect(cnf.encode(dev.zeros([3, 2]), { noise: [] })).rejects.toThrow(/noise for 0 blocks/);
    await expect(cnf.sample(0)).rejects.toThrow(/n must be a positive integer/);
    expect(() => cnfField(cnf.nets[0], { dim: 2, trace: 'hutchinson' })).toThrow(/needs the noise/);
    expect(() => cnfField(cnf.nets[0], { dim: 2, trace: 'approximate' as 'exact' })).toThrow(/'exact' or 'hutchinson'/);
    await expect(Promise.resolve().then(() => cnfField(cnf.nets[0], { dim: 2 })(0, dev.zeros([3, 2])))).rejects.toThrow(/must be \[B, 3\]/);
    cnf.dispose();
  });
});
