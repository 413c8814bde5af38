/**
 * Named sections of a Markdown report that several harnesses share (bench/RESULTS.md): each harness
 * replaces only its own section, between `<!-- section:NAME -->` and `<!-- /section:NAME -->`, so a run
 * of one does not erase the figures of another.
 */
import { readFile, writeFile } from 'node:fs/promises';

const open = (name: string) => `<!-- section:${name} -->`;
const close = (name: string) => `<!-- /section:${name} -->`;

/** Every named section of `text`, in order, markers included. */
export function extractSections(text: string): string[] {
  return [...text.matchAll(/<!-- section:([\w-]+) -->[\s\S]*?<!-- \/section:\1 -->/g)].map((m) => m[0]);
}

/** Replaces (or appends) section `name` of the file at `path` with `markdown`. */
export async function writeSection(path: string, name: string, markdown: string): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const block = `${open(name)}\n${markdown.trim()}\n${close(name)}`;
  const re = new RegExp(`${open(name)}[\\s\\S]*?${close(name).replace(/\//g, '\\/')}`);
  const next = re.test(text) ? text.replace(re, block) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(path, next);
}

/**
 * Writes a harness's whole report to `path`, keeping the named sections the file already holds that
 * `markdown` does not (other harnesses' figures), appended after it in their order.
 */
export async function writeReport(path: string, markdown: string): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const own = new Set(extractSections(markdown).map(sectionName));
  const kept = extractSections(text).filter((s) => !own.has(sectionName(s)));
  await writeFile(path, kept.length ? `${markdown.trimEnd()}\n\n${kept.join('\n\n')}\n` : markdown);
}

function sectionName(block: string): string {
  return /<!-- section:([\w-]+) -->/.exec(block)![1];
}
