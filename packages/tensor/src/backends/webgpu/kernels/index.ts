/** Every kernel declaration, by WGSL file (test/tensor/webgpu-uniforms.test.ts checks each against its WGSL source). */
import type { Kernel } from './kernel.js';
import { BINARY_MAIN, ELEMENTWISE, FILL, FILL_MAIN, UNARY_MAIN, WHERE_MAIN } from './elementwise.js';
import { REDUCE_FILE, REDUCE_LOOP, REDUCE_TREE } from './reduce.js';
import { MATMUL, MATMUL_REGS, MATMUL_THIN, MATMUL_TILED } from './matmul.js';
import { COPY, COPY_MAIN } from './copy.js';
import { RK, RK_COMBINE, RK_ERROR_FINAL, RK_ERROR_SUM } from './rk.js';
import { COMBINE, COMBINE_TERMS } from './combine.js';
import { ACT_GRAD, LINEAR, LINEAR_FWD, LINEAR_FWD_REGS, LINEAR_WGRAD, LINEAR_WGRAD_REGS } from './linear.js';

/** The declared files (Params layout and binding table each). */
export const KERNEL_FILES = [ELEMENTWISE, FILL, REDUCE_FILE, MATMUL, COPY, RK, COMBINE, LINEAR] as const;

/** Every declared entry point. */
export const KERNELS: readonly Kernel[] = [
  UNARY_MAIN, BINARY_MAIN, WHERE_MAIN, FILL_MAIN,
  REDUCE_LOOP, REDUCE_TREE,
  MATMUL_TILED, MATMUL_THIN, MATMUL_REGS,
  COPY_MAIN,
  RK_COMBINE, RK_ERROR_SUM, RK_ERROR_FINAL,
  COMBINE_TERMS,
  LINEAR_FWD, ACT_GRAD, LINEAR_WGRAD, LINEAR_FWD_REGS, LINEAR_WGRAD_REGS,
] as unknown as readonly Kernel[];
