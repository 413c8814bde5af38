/** bench/RESULTS.md is shared: the ODE grid's report keeps the named sections other harnesses (the soak) wrote. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { extractSections, writeReport, writeSection } from '../../bench/lib/sections.js';

describe('bench report sections', () => {
  it('writeReport replaces the report and keeps the other harnesses\' sections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sympode-sections-'));
    const path = join(dir, 'RESULTS.md');
    try {
      writeFileSync(path, '# Old report\n\nold grid\n');
      await writeSection(path, 'soak', '## Soak\n\nflat');
      await writeSection(path, 'other', '## Other\n\nx');
      await writeReport(path, '# New report\n\nnew grid\n');
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith('# New report\n\nnew grid\n')).toBe(true);
      expect(text).not.toContain('old grid');
      expect(extractSections(text)).toEqual([
        '<!-- section:soak -->\n## Soak\n\nflat\n<!-- /section:soak -->',
        '<!-- section:other -->\n## Other\n\nx\n<!-- /section:other -->',
      ]);
      // Written again, nothing is duplicated; a section the new report holds itself wins.
      await writeReport(path, '# Newer\n\n<!-- section:other -->\n## Other\n\ny\n<!-- /section:other -->\n');
      const again = readFileSync(path, 'utf8');
      expect(extractSections(again).map((s) => s.split('\n')[0])).toEqual(['<!-- section:other -->', '<!-- section:soak -->']);
      expect(again).toContain('\ny\n');
      expect(again).not.toContain('\nx\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writeReport on a new file writes the report as is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sympode-sections-'));
    try {
      await writeReport(join(dir, 'R.md'), '# Report\n');
      expect(readFileSync(join(dir, 'R.md'), 'utf8')).toBe('# Report\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
