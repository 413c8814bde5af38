/** Bad input gets a clear, typed error, never a silent NaN or a corrupted result. */
import { describe, it, expect, beforeAll } from 'vitest';
import {
  concat, createDevice, InvalidArgumentError, nn, NonFiniteError, optim, ShapeError, type Device,
} from '@sympode/tensor';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

describe('clear errors', () => {
  it('shape mismatch in matmul names both shapes', () => {
    const a = dev.zeros([2, 3]), b = dev.zeros([4, 5]);
    expect(() => a.matmul(b)).toThrow(ShapeError);
    expect(() => a.matmul(b)).toThrow(/\[2, 3\] · \[4, 5\].*3 vs 4/);
    expect(() => dev.zeros([2, 3, 4]).matmul(dev.zeros([3, 4, 2]))).toThrow(/batch sizes differ/);
    expect(() => dev.zeros([2]).matmul(dev.zeros([2, 2]))).toThrow(/2-D or 3-D/);
  });
  it('broadcast mismatch names the dimension', () => {
    expect(() => dev.zeros([2, 3]).add(dev.zeros([4]))).toThrow(/\[2, 3\] and \[4\] cannot be broadcast.*dimension 1: 3 vs 4/);
    expect(() => dev.zeros([2, 3]).broadcastTo([3, 3])).toThrow(ShapeError);
    expect(() => concat([dev.zeros([2, 3]), dev.zeros([2, 4])], 0)).toThrow(ShapeError);
  });
  it('reshape to a wrong size', () => {
    expect(() => dev.zeros([2, 3]).reshape([4, 2])).toThrow(/\[2, 3\] \(6 elements\) cannot become \[4, 2\]/);
    expect(() => dev.zeros([2, 3]).reshape([4, -1])).toThrow(/cannot infer/);
  });
  it('axes and slices out of range', () => {
    expect(() => dev.zeros([2, 3]).sum(2)).toThrow(/axis 2 is out of range/);
    expect(() => dev.zeros([2, 3]).narrow(1, 2, 2)).toThrow(/does not fit/);
    expect(() => dev.zeros([2, 3]).transpose([0, 0])).toThrow(/not a permutation/);
  });
  it('unknown backend, dtype, activation; float64 on webgpu', async () => {
    await expect(createDevice({ backend: 'tpu' as 'cpu' })).rejects.toThrow(InvalidArgumentError);
    await expect(createDevice({ backend: 'tpu' as 'cpu' })).rejects.toThrow(/unknown backend 'tpu'/);
    await expect(createDevice({ backend: 'cpu', dtype: 'int8' as 'float32' })).rejects.toThrow(/unknown dtype/);
    await expect(createDevice({ backend: 'webgpu', dtype: 'float64' })).rejects.toThrow(/'float32' only/);
    expect(() => new nn.MLP(dev, [2, 2], 'gelu' as 'tanh')).toThrow(/unknown activation 'gelu'/);
  });
  it('NaN is rejected where forbidden: tensor data, fill values, scalar operands, learning rates', () => {
    expect(() => dev.tensor([1, NaN])).toThrow(NonFiniteError);
    expect(() => dev.tensor([1, Infinity])).toThrow(/element \[1\] is Infinity/);
    expect(dev.tensor([1, NaN], undefined, { allowNonFinite: true }).size).toBe(2);
    expect(() => dev.full([2], NaN)).toThrow(NonFiniteError);
    expect(() => dev.zeros([2]).mul(NaN)).toThrow(NonFiniteError);
    const p = dev.zeros([2], { requiresGrad: true });
    expect(() => new optim.Adam([p], { lr: NaN })).toThrow(InvalidArgumentError);
    expect(() => new optim.SGD([p], { lr: -1 })).toThrow(/positive finite/);
  });
  it('ragged nested arrays and wrong data length', () => {
    expect(() => dev.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => dev.tensor([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2, 2\]/);
  });
  it('tensors of different devices do not mix', async () => {
    const other = await createDevice({ backend: 'cpu' });
    expect(() => dev.zeros([2]).add(other.zeros([2]))).toThrow(/different devices/);
  });
});

describe('createDevice()', () => {
  it('with no backend picks a hardware webgpu adapter, else cpu float64, and says why', async () => {
    const notes: string[] = [];
    const d = await createDevice({ log: (m) => notes.push(m) });
    expect(notes).toHaveLength(1);
    if (d.kind === 'webgpu') {
      expect(notes[0]).toMatch(/using webgpu/);
      expect(d.backend.emulated).toBe(false);
      expect(d.dtype).toBe('float32');
    } else {
      expect(notes[0]).toMatch(/using cpu \(float64\): (no WebGPU adapter found|the only WebGPU adapter is a software one)/);
      expect(d.dtype).toBe('float64');
      // On CI the adapter is lavapipe: software, so cpu, and the note says how to get webgpu anyway.
      if (process.env.SYMPODE_REQUIRE_WEBGPU === '1') expect(notes[0]).toMatch(/pass \{ backend: 'webgpu' \}/);
    }
    d.destroy();
  });
});
