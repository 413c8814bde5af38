// npm run test:report: writes the HTML memory report (`sympode memory --html`) for a tiny problem, opens the file in
// headless chromium (scripts/browser.mjs) and checks what it renders:
//   one panel per gradient method of the registry, in its order; every memory label in the legend; a non-empty
//   stacked area (path) per label of each method; phase slices above each timeline; a hover over the chart names the
//   event's op; wheel and drag zoom the time axis, double-click resets it; nothing is fetched; no page errors.
// A screenshot goes to out/test-report/memory-report.png; SYMPODE_SCREENSHOT_DOCS=1 also writes docs/memory-report.png
// (the README's), from the default problem (`npm start -- memory --html`) instead of the tiny one.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './browser.mjs';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'out/test-report');
const docs = process.env.SYMPODE_SCREENSHOT_DOCS === '1';
const LIMIT_MS = 120_000;
const LABELS = ['parameters', 'checkpoints', 'stages', 'network', 'adjoint', 'gradients'];

const fail = (msg) => {
  console.error(`test:report: FAIL: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
};
const check = (ok, msg) => {
  if (!ok) fail(msg);
  console.log(`  ok  ${msg}`);
};

const cli = join(root, 'packages/cli/dist/main.js');
if (!existsSync(cli)) fail('packages/cli/dist/main.js is missing: run npm run build first');
const { GRADIENT_METHODS } = await import(pathToFileURL(join(root, 'packages/symplectic/dist/index.js')).href);

const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
const tiny = ['--batch-size', '4', '--batch-time', '5', '--rtol', '1e-5', '--atol', '1e-7'];
execFileSync(process.execPath, [cli, 'memory', '--html', '--backend', 'cpu', '--out', out, ...(docs ? [] : tiny)], { stdio: ['ignore', 'ignore', 'inherit'] });
const file = join(out, 'memory-report.html');
check(existsSync(file), `sympode memory --html wrote ${file} (${seconds()} s)`);

const { browser, args } = await launchChromium({ width: 1280, height: 900 });
const timer = setTimeout(() => {
  console.error(`test:report: FAIL: over ${LIMIT_MS / 1000} s`);
  browser.process()?.kill('SIGKILL');
  process.exit(1);
}, LIMIT_MS);
const pageErrors = [];
const fetched = [];
try {
  console.log(`test:report: ${await browser.version()} ${args.join(' ')}`);
  const page = await browser.newPage();
  page.setDefaultTimeout(LIMIT_MS);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) fetched.push(r.url());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="1"]');

  const methods = await page.$$eval('section.panel', (ps) => ps.map((p) => p.dataset.method));
  check(methods.join() === GRADIENT_METHODS.join(), `one panel per gradient method, in the registry's order: ${methods.join(', ')}`);
  const legend = await page.$$eval('#legend .key', (ks) => ks.map((k) => k.textContent));
  check(LABELS.every((l) => legend.includes(l)), `the legend lists the memory labels: ${legend.join(', ')}`);

  for (const m of methods) {
    const panel = await page.evaluate((method) => {
      const node = document.querySelector(`section.panel[data-method="${method}"]`);
      const data = JSON.parse(document.getElementById('sympode-data').textContent).timelines.find((t) => t.method === method);
      return {
        labels: data.labels,
        areas: [...node.querySelectorAll('path.area')].map((p) => ({ label: p.dataset.label, d: p.getAttribute('d') ?? '' })),
        phases: [...node.querySelectorAll('rect.phase')].map((r) => r.dataset.name),
        yTicks: [...node.querySelectorAll('text.ytick')].map((t) => t.textContent),
      };
    }, m);
    const empty = panel.labels.filter((l) => !panel.areas.some((a) => a.label === l && /^M[\d.]+ [\d.]+H/.test(a.d)));
    check(panel.labels.length >= 4 && empty.length === 0, `${m}: a non-empty stacked area per label (${panel.labels.join(', ')})`);
    check(
      ['forward', 'backward', 'forward solve'].every((p) => panel.phases.includes(p)) && panel.phases.some((p) => /^step \d+$/.test(p))
        && (m === 'backprop' || panel.phases.some((p) => p.startsWith('backward sweep'))),
      `${m}: ${panel.phases.length} phase slices (forward, backward, forward solve, steps${m === 'backprop' ? '' : ', backward sweep'})`,
    );
    check(panel.yTicks.length >= 3 && panel.yTicks.slice(1).every((t) => / (KiB|MiB)$/.test(t)), `${m}: byte ticks in one unit (${panel.yTicks.join(', ')})`);
  }

  // Hover over the middle of the first panel's chart: the tooltip names the event's op.
  const first = methods[0];
  const box = await page.evaluate((method) => {
    const r = document.querySelector(`section.panel[data-method="${method}"] rect.frame`).getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height };
  }, first);
  await page.mouse.move(box.x + box.w * 0.3, box.y + box.h * 0.5);
  await page.mouse.move(box.x + box.w * 0.5, box.y + box.h * 0.6, { steps: 4 });
  const tip = await page.$eval('#tooltip', (t) => ({ hidden: t.hidden, text: t.innerText }));
  const ops = await page.evaluate((method) => JSON.parse(document.getElementById('sympode-data').textContent).timelines.find((t) => t.method === method).strings, first);
  const head = /^(alloc|free) (\S+) \[[\dx]*\] [\d.]+ (B|KiB|MiB)/.exec(tip.text);
  check(!tip.hidden && head !== null && ops.includes(head[2]) && /label: \w+/.test(tip.text) && /phase: /.test(tip.text), `hover shows the event: ${JSON.stringify(tip.text)}`);

  // Zoom: the wheel narrows the time axis around the mouse, a drag zooms to its range, double-click resets.
  const full = await page.evaluate((m) => window.sympodeReport.view(m), first);
  await page.mouse.wheel({ deltaY: -400 });
  await new Promise((r) => setTimeout(r, 100));
  const wheeled = await page.evaluate((m) => window.sympodeReport.view(m), first);
  check(wheeled[1] - wheeled[0] < 0.7 * (full[1] - full[0]), `wheel zooms in: ${fmt(full)} → ${fmt(wheeled)} ms`);
  await page.mouse.click(box.x + box.w * 0.5, box.y + box.h * 0.5, { count: 2 });
  const reset = await page.evaluate((m) => window.sympodeReport.view(m), first);
  check(Math.abs(reset[1] - full[1]) < 1e-9 && reset[0] === 0, `double-click resets: ${fmt(reset)} ms`);
  await page.mouse.move(box.x + box.w * 0.2, box.y + box.h * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.w * 0.4, box.y + box.h * 0.5, { steps: 5 });
  await page.mouse.up();
  const dragged = await page.evaluate((m) => window.sympodeReport.view(m), first);
  const want = [full[1] * 0.2, full[1] * 0.4];
  check(Math.abs(dragged[0] - want[0]) < 0.02 * full[1] && Math.abs(dragged[1] - want[1]) < 0.02 * full[1], `drag zooms to its range: ${fmt(dragged)} ms (≈ ${fmt(want)})`);
  await page.evaluate((m) => window.sympodeReport.reset(m), first);

  // One byte scale for every panel: the smallest panel's axis goes up to the largest peak.
  const ticksOf = (m) => page.$$eval(`section.panel[data-method="${m}"] text.ytick`, (ts) => ts.map((t) => t.textContent));
  const own = await ticksOf(first);
  await page.click('#shared-y');
  const sharedTicks = await ticksOf(first);
  check(sharedTicks.at(-1) === (await ticksOf('backprop')).at(-1) && sharedTicks.at(-1) !== own.at(-1), `same byte scale: ${first}'s axis ${own.at(-1)} → ${sharedTicks.at(-1)}`);
  await page.click('#shared-y');

  check(fetched.length === 0, `self-contained: nothing fetched${fetched.length ? ` (${fetched.join(', ')})` : ''}`);
  check(pageErrors.length === 0, `no uncaught errors in the page${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);

  // Screenshot with a hover tooltip showing.
  await page.mouse.move(box.x + box.w * 0.45, box.y + box.h * 0.55);
  mkdirSync(out, { recursive: true });
  const shot = join(out, 'memory-report.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`test:report: screenshot ${shot}`);
  if (docs) {
    copyFileSync(shot, join(root, 'docs/memory-report.png'));
    console.log('test:report: and docs/memory-report.png');
  }
  console.log(`test:report: passed in ${seconds()} s`);
} catch (e) {
  if (!process.exitCode) console.error(`test:report: FAIL: ${e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  await browser.close();
}

function fmt([a, b]) {
  return `[${a.toFixed(2)}, ${b.toFixed(2)}]`;
}
