/** Every symbol the public packages export carries TSDoc (scripts/check-tsdoc.mjs lists any that do not). */
import { it, expect } from 'vitest';
import { undocumented } from '../../scripts/check-tsdoc.mjs';

it('every export of @sympode/tensor, @sympode/symplectic, @sympode/flows and @sympode/plot is documented', () => {
  expect(undocumented(['packages/tensor/src/index.ts', 'packages/symplectic/src/index.ts', 'packages/flows/src/index.ts', 'packages/plot/src/index.ts'])).toEqual([]);
});
