/**
 * Uniform layouts computed from field declarations. A kernel file declares its `struct Params` once, here, as
 * an ordered record of field name → WGSL type; the byte offsets follow WGSL's uniform address-space rules
 * (scalars align to 4, vec4 and arrays of vec4 to 16, the struct's size rounds up to 16), and the host writes
 * values by field name. test/tensor/webgpu-uniforms.test.ts parses every WGSL `struct Params` and checks it against
 * these declarations (names, types, order, offsets), so the two cannot drift.
 */

/** A WGSL scalar type a uniform field may hold. */
export type Scalar = 'u32' | 'i32' | 'f32';

/** The uniform field types the kernels use: scalars, vec4 and arrays of vec4 (uniform arrays need a 16-byte stride). */
export type FieldType = Scalar | `vec4<${Scalar}>` | `array<vec4<${Scalar}>, ${number}>`;

/** A struct declaration: field name → type, in WGSL order. */
export type Fields = Readonly<Record<string, FieldType>>;

/** What the host writes into a field: a number for a scalar, up to `count` numbers for a vector or array. */
export type FieldValue<T extends FieldType> = T extends Scalar ? number : readonly number[];

/** Values by field name; omitted fields (padding, unused strides) are written as zeros. */
export type ParamValues<F extends Fields> = { readonly [K in keyof F]?: FieldValue<F[K]> };

/** One field's place in the struct. */
export interface FieldLayout {
  readonly name: string;
  readonly type: FieldType;
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  /** Byte alignment (4 or 16). */
  readonly align: number;
  /** Bytes the field occupies. */
  readonly size: number;
  readonly scalar: Scalar;
  /** Scalars it holds (1, 4, or 4 × the array length). */
  readonly count: number;
}

/** A struct's computed layout. */
export interface UniformLayout<F extends Fields = Fields> {
  readonly fields: readonly FieldLayout[];
  /** Struct size in bytes (a multiple of 16). */
  readonly size: number;
  /** Phantom: the declaration the layout came from (for typed values). */
  readonly declared?: F;
}

const ARRAY = /^array<vec4<(u32|i32|f32)>, (\d+)>$/;
const VEC4 = /^vec4<(u32|i32|f32)>$/;

/** Alignment, size, scalar type and scalar count of one uniform field type. */
export function fieldShape(type: string): { align: number; size: number; scalar: Scalar; count: number } {
  if (type === 'u32' || type === 'i32' || type === 'f32') return { align: 4, size: 4, scalar: type, count: 1 };
  const v = VEC4.exec(type);
  if (v) return { align: 16, size: 16, scalar: v[1] as Scalar, count: 4 };
  const a = ARRAY.exec(type);
  if (a) return { align: 16, size: 16 * Number(a[2]), scalar: a[1] as Scalar, count: 4 * Number(a[2]) };
  throw new Error(`sympode: unsupported uniform field type '${type}'`);
}

const roundUp = (n: number, k: number) => Math.ceil(n / k) * k;

/** Lays a struct out by WGSL's uniform rules. */
export function uniformLayout<F extends Fields>(fields: F): UniformLayout<F> {
  const out: FieldLayout[] = [];
  let offset = 0;
  for (const [name, type] of Object.entries(fields)) {
    const s = fieldShape(type);
    offset = roundUp(offset, s.align);
    out.push({ name, type, offset, ...s });
    offset += s.size;
  }
  return { fields: out, size: roundUp(Math.max(offset, 16), 16) };
}

/** Typed views of one host-side buffer of uniform slots. */
export interface UniformViews {
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f32: Float32Array;
}

/**
 * Writes `values` into the (already zeroed) slot starting at byte `base`. Vector and array values fill the
 * field's scalars in order; a value longer than the field is a host bug and throws.
 */
export function writeUniforms<F extends Fields>(
  layout: UniformLayout<F>, values: ParamValues<F>, views: UniformViews, base: number,
): void {
  const vals = values as Readonly<Record<string, number | readonly number[] | undefined>>;
  const fields = layout.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const v = vals[f.name];
    if (v === undefined) continue;
    const arr = f.scalar === 'f32' ? views.f32 : f.scalar === 'i32' ? views.i32 : views.u32;
    const w = (base + f.offset) >> 2;
    if (typeof v === 'number') {
      arr[w] = v;
      continue;
    }
    if (v.length > f.count) throw new Error(`sympode: ${v.length} values for uniform field ${f.name} of ${f.count}`);
    for (let k = 0; k < v.length; k++) arr[w + k] = v[k];
  }
}
