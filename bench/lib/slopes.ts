/** Least-squares slopes of the peak, measured and predicted: per accepted step (N sweep) and per hidden layer (L sweep). */
import type { Device } from '@sympode/tensor';
import type { Grid } from './grid.js';
import { fitLine } from './stats.js';
import type { BenchRow, SlopeRow } from './types.js';

/** N-sweep slopes on every device, L-sweep slopes on the primary one, for each gradient method with ≥ 2 points. */
export function peakSlopes(rows: readonly BenchRow[], devices: readonly Device[], primary: Device, grid: Grid): SlopeRow[] {
  const slopes: SlopeRow[] = [];
  for (const dev of devices) {
    for (const g of grid.gradients) {
      const rs = rows.filter((r) => r.section === 'N-sweep' && r.backend === dev.backend.description && r.gradient === g);
      if (rs.length >= 2) {
        const m = fitLine(rs.map((r) => r.steps), rs.map((r) => r.peakBytes));
        const p = fitLine(rs.map((r) => r.steps), rs.map((r) => r.predictedBytes));
        slopes.push({ backend: dev.backend.description, gradient: g, variable: 'N', measured: m.slope, predicted: p.slope, r2: m.r2 });
      }
    }
  }
  for (const g of grid.gradients) {
    const rs = rows.filter((r) => r.section === 'L-sweep' && r.gradient === g);
    if (rs.length >= 2) {
      const m = fitLine(rs.map((r) => r.L), rs.map((r) => r.peakBytes));
      const p = fitLine(rs.map((r) => r.L), rs.map((r) => r.predictedBytes));
      slopes.push({ backend: primary.backend.description, gradient: g, variable: 'L', measured: m.slope, predicted: p.slope, r2: m.r2 });
    }
  }
  return slopes;
}
