/**
 * The gradient methods as the benches run them: every registered method, and the symplectic adjoint once more
 * with odeint's `stages: 'keep'` (the forward stores the stage derivatives its backward would recompute).
 */
import { GRADIENT_METHODS, type GradientMethodName, type StageMode } from '@sympode/symplectic';

/** A gradient method with, for the symplectic adjoint's variant, `stages: 'keep'`. */
export interface MethodVariant {
  gradient: GradientMethodName;
  stages?: StageMode;
}

/** The registry's methods in its order, the stored-stages variant right after the symplectic adjoint. */
export const METHOD_VARIANTS: readonly MethodVariant[] = GRADIENT_METHODS.flatMap((gradient): MethodVariant[] =>
  gradient === 'symplectic-adjoint' ? [{ gradient }, { gradient, stages: 'keep' }] : [{ gradient }]);

/** The name a variant goes by on the command line and in JSON ('symplectic-adjoint+keep'). */
export function variantName(m: MethodVariant): string {
  return m.stages === 'keep' ? `${m.gradient}+keep` : m.gradient;
}

/** The variant in a markdown table cell. */
export function variantLabel(m: MethodVariant): string {
  return m.stages === 'keep' ? `\`${m.gradient}\`, stages \`'keep'\`` : `\`${m.gradient}\``;
}

/** odeint options selecting the variant. */
export function variantOptions(m: MethodVariant): { gradient: GradientMethodName; stages?: StageMode } {
  return m.stages ? { gradient: m.gradient, stages: m.stages } : { gradient: m.gradient };
}
