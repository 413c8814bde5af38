/** Minimal SVG/XML string building; no DOM so the module stays dependency-free and runs in plain Node. */

// Characters that XML 1.0 forbids outright; escaping cannot save them, so they are dropped.
// With the `u` flag lone surrogates are seen as code points in D800–DFFF and removed as well.
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for use in XML character data and in double- or single-quoted attribute values. */
export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Pixel coordinate with two decimals: sub-pixel precision a renderer can use, without 17-digit noise. */
export function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

export type Attrs = Record<string, string | number | undefined>;

/** One element; `undefined` attributes are omitted and `children` is already-serialised markup. */
export function el(name: string, attrs: Attrs, children?: string): string {
  let s = `<${name}`;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    s += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return children === undefined ? `${s}/>` : `${s}>${children}</${name}>`;
}
