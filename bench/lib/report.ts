/** Output writers: number formatting, Markdown tables, CSV. */

export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return 'n/a';
  const a = Math.abs(b);
  if (a >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (a >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(2)} MiB`;
  if (a >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtRatio(r: number, digits = 2): string {
  return Number.isFinite(r) ? `${r.toFixed(digits)}×` : 'n/a';
}

export function fmtNum(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

/** A GitHub-flavoured Markdown table. */
export function mdTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], align?: readonly ('l' | 'r')[]): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** CSV with a header from the union of the rows' keys (in first-seen order); values quoted when needed. */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}
