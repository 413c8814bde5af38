/**
 * Every WGSL kernel against its host-side declaration (packages/tensor/src/backends/webgpu/kernels/*.ts): the
 * `struct Params` fields (names, types, order and byte offsets, the offsets computed here independently by
 * WGSL's uniform layout rules), the storage bindings (numbers, access, names), the entry points and the
 * placeholders. Needs no GPU: the declarations and the .wgsl files cannot drift apart unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_FILES, KERNELS } from '../../packages/tensor/src/backends/webgpu/kernels/index.js';
import { SLOT_BYTES } from '../../packages/tensor/src/backends/webgpu/queue.js';

const dir = join(import.meta.dirname, '..', '..', 'kernels');
const wgsl = (file: string) => readFileSync(join(dir, `${file}.wgsl`), 'utf8');
const strip = (src: string) => src.replace(/\/\/[^\n]*/g, '');

/** WGSL uniform rules for the types kernels use: [align, size]. */
function alignSize(type: string): [number, number] {
  if (/^(u32|i32|f32)$/.test(type)) return [4, 4];
  if (/^vec4<(u32|i32|f32)>$/.test(type)) return [16, 16];
  const a = /^array<vec4<(u32|i32|f32)>,\s*(\d+)>$/.exec(type);
  if (a) return [16, 16 * Number(a[2])];
  throw new Error(`type ${type} not handled by this test`);
}

/** The fields of `struct Params` with offsets by WGSL's rules. */
function parseParams(src: string): { fields: Array<{ name: string; type: string; offset: number }>; size: number } {
  const m = /struct\s+Params\s*\{([^}]*)\}/.exec(strip(src));
  if (!m) throw new Error('no struct Params');
  const fields: Array<{ name: string; type: string; offset: number }> = [];
  let offset = 0;
  let maxAlign = 4;
  for (const raw of m[1].split(/,\s*\n/)) {
    const line = raw.trim().replace(/,$/, '');
    if (!line) continue;
    const f = /^(\w+)\s*:\s*(.+)$/.exec(line);
    if (!f) throw new Error(`cannot parse field '${line}'`);
    const type = f[2].replace(/\s+/g, ' ').trim();
    const [align, size] = alignSize(type);
    maxAlign = Math.max(maxAlign, align);
    offset = Math.ceil(offset / align) * align;
    fields.push({ name: f[1], type, offset });
    offset += size;
  }
  return { fields, size: Math.ceil(offset / 16) * 16 };
}

function parseBindings(src: string): Map<number, { space: string; name: string }> {
  const out = new Map<number, { space: string; name: string }>();
  for (const m of strip(src).matchAll(/@group\(0\)\s*@binding\((\d+)\)\s*var<([^>]+)>\s*(\w+)/g)) {
    out.set(Number(m[1]), { space: m[2].replace(/\s+/g, ''), name: m[3] });
  }
  return out;
}

const entriesOf = (src: string) => [...strip(src).matchAll(/@compute[^;{]*?fn\s+(\w+)\s*\(/g)].map((m) => m[1]);
const placeholdersOf = (src: string) => [...new Set([...src.matchAll(/\/\*([A-Z][A-Z0-9_]*)\*\//g)].map((m) => m[1]))].sort();

describe('WGSL kernels match their declarations', () => {
  it('declares every kernels/*.wgsl file and every entry point in it', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5)).sort();
    expect(KERNEL_FILES.map((k) => k.file).sort()).toEqual(files);
    for (const file of files) {
      const declared = KERNELS.filter((k) => k.file === file).map((k) => k.entry).sort();
      expect(declared, file).toEqual(entriesOf(wgsl(file)).sort());
    }
  });

  for (const decl of KERNEL_FILES) {
    it(`${decl.file}.wgsl: struct Params = declared fields (names, types, order, offsets)`, () => {
      const parsed = parseParams(wgsl(decl.file));
      const declared = decl.params.fields.map((f) => ({ name: f.name, type: f.type, offset: f.offset }));
      expect(declared).toEqual(parsed.fields);
      expect(decl.params.size).toBe(parsed.size);
      expect(decl.params.size).toBeLessThanOrEqual(SLOT_BYTES);
    });

    it(`${decl.file}.wgsl: binding 0 is the uniform P; storage bindings match the declared table`, () => {
      const bindings = parseBindings(wgsl(decl.file));
      expect(bindings.get(0)).toEqual({ space: 'uniform', name: 'P' });
      const declared = Object.entries(decl.bindingTable as Record<string, readonly [number, 'rw' | 'r']>);
      expect(declared.length).toBe(bindings.size - 1);
      for (const [name, [binding, access]] of declared) {
        expect(bindings.get(binding), `${name}`).toEqual({ space: access === 'rw' ? 'storage,read_write' : 'storage,read', name });
      }
    });
  }

  for (const k of KERNELS) {
    it(`${k.file}.wgsl:${k.entry}: placeholders and bindings`, () => {
      const src = wgsl(k.file);
      expect([...k.placeholders].sort()).toEqual(placeholdersOf(src));
      expect(new Set(k.storage.map((s) => s.binding)).size).toBe(k.storage.length);
      expect(new RegExp(`@compute[^;{]*?fn\\s+${k.entry}\\s*\\(`).test(strip(src)), 'entry point').toBe(true);
    });
  }
});
