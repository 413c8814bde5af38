/**
 * The seminorm inside the solver (`IntegrateOptions.normPrefix`): what it accepts, and the recording stepper's
 * refusal (cpu float64).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, InvalidArgumentError, type Device, type Tensor } from '@sympode/tensor';
import { Field } from '../../packages/symplectic/src/field.js';
import { GraphStepper } from '../../packages/symplectic/src/graph-stepper.js';
import { integrate, type IntegrateOptions } from '../../packages/symplectic/src/integrate.js';
import { NoGraphStepper } from '../../packages/symplectic/src/no-graph-stepper.js';
import { IntegralController } from '../../packages/symplectic/src/controller.js';
import { getTableau } from '../../packages/symplectic/src/tableaus.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

describe('the seminorm inside the solver (integrate)', () => {
  const opts = (extra: Partial<IntegrateOptions>): IntegrateOptions => ({ rtol: 1e-6, atol: 1e-8, maxSteps: 1000, controller: new IntegralController(), ...extra });
  const decay = (_t: number, y: Tensor) => y.neg();

  it('normPrefix must be a whole number of leading elements, and only with the batch norm', async () => {
    const y0 = dev.tensor([1, 2, 3, 4]);
    const stepper = new NoGraphStepper(new Field(dev, decay, [4], { nfe: 0 }), getTableau('dopri5'));
    const stats = () => ({ acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] });
    for (const normPrefix of [0, 5, 1.5, NaN]) {
      await expect(integrate(stepper, y0, [0, 1], opts({ normPrefix }), stats())).rejects.toThrow(/normPrefix must be an integer from 1 to the state's size \(4\)/);
    }
    const e = await integrate(stepper, y0, [0, 1], opts({ normPrefix: 2, norm: 'per-sample' }), stats()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/does not combine with norm 'per-sample'/);
    stepper.dispose();
    y0.dispose();
  });

  it('the recording stepper refuses a seminorm instead of ignoring it', async () => {
    const y0 = dev.tensor([1, 2, 3, 4]);
    const stepper = new GraphStepper(new Field(dev, decay, [4], { nfe: 0 }), getTableau('dopri5'));
    const e = await dev.tidy(() => integrate(stepper, y0, [0, 1], opts({ normPrefix: 2 }), { acceptedSteps: 0, rejectedSteps: 0, stepEndTimes: [] })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/the recording stepper does not support a seminorm \(normPrefix\)/);
    stepper.dispose();
    y0.dispose();
  });
});
