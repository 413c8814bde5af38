/**
 * @sympode/physics: the symplectic adjoint paper's physical systems, KdV and Cahn–Hilliard on a periodic
 * grid, simulated as the reference code does (DVDM, seeded like NumPy) for learning their energy.
 */
export { NumpyRandomState } from './mt19937.js';
export type { DvdmSystem, PhysicsSystemName } from './system.js';
export { kdvSystem, type KdvOptions } from './kdv.js';
export { cahnHilliardSystem, type CahnHilliardOptions } from './cahn-hilliard.js';
export { dvdmStep, dvdmIntegrate, type DvdmOptions } from './dvdm.js';
export { makeDataset, initialConditions, type PhysicsDataset, type DatasetOptions } from './datasets.js';
export { applyStencil, central, second, squaredGradient, integral, type Stencil } from './periodic-grid.js';
export { EnergyNet, orthogonal, type EnergyNetOptions } from './energy-net.js';
export { energyField } from './energy-field.js';
export { roll, stencil } from './periodic-tensor.js';
export { trainEnergyModel, windowLoss, type PhysicsTrainOptions } from './train.js';
