/**
 * @sympode/flows: continuous normalizing flows (FFJORD's CNF with exact or Hutchinson trace, RNODE's kinetic
 * and Jacobian-Frobenius regularizers, FFJORD's toy densities) on the public APIs of @sympode/tensor and
 * @sympode/symplectic, trained with any of odeint's gradient methods (the symplectic adjoint by default).
 */
export { CNF, standardNormalLogProb } from './cnf.js';
export type { CNFOptions, CnfSolverOptions, EncodeOptions, FlowResult, FfjordOptions } from './cnf.js';
export { cnfField, augmentedLayout } from './cnf-field.js';
export type { CnfFieldOptions, TraceEstimator, Regularizers, AugmentedLayout } from './cnf-field.js';
export { valueAndVjps } from './inner-vjp.js';
export type { ValueAndVjps } from './inner-vjp.js';
export { ConcatSquashLinear, ConcatSquashNet } from './concat-squash.js';
export type { TimeNet, ConcatSquashOptions, ConcatSquashNetOptions } from './concat-squash.js';
export { TOY_DATASETS, toyData, toyBatch, UnknownDatasetError } from './toy-data.js';
export type { ToyDataset } from './toy-data.js';
