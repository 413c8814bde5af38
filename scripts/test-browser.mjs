// npm run test:browser: serves the built page (web/dist), opens it in headless chromium with WebGPU
// (SwiftShader's software adapter when there is no GPU), and drives it through its window.sympode hook:
//   (a) the page runs on WebGPU (no adapter is a failure, not a skip);
//   (b) the loss falls over ITERS training iterations (symplectic adjoint);
//   (c) the WebGPU gradient on a fixed batch matches the float64 cpu backend's, run in the same page;
//   (d) a screenshot goes to web/out/browser.png (SYMPODE_SCREENSHOT=docs/browser.png refreshes the README's);
//   and the same gradient check on a GPUDevice the page makes itself and hands in (createDevice({ device })).
// Environment: SYMPODE_CHROMIUM and SYMPODE_BROWSER_FLAGS (see scripts/browser.mjs, which launches chromium),
// SYMPODE_BROWSER_ITERS (default 30), SYMPODE_SCREENSHOT (default web/out/browser.png; empty: none).
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { chromium, launchChromium } from './browser.mjs';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'web/dist');
const iters = Number(process.env.SYMPODE_BROWSER_ITERS || 30);
const screenshot = process.env.SYMPODE_SCREENSHOT ?? join(root, 'web/out/browser.png');
/**
 * float32 against float64 on bit-identical inputs and the same fixed rk4 steps: only rounding differs. Unit
 * roundoff 2^-24 ≈ 6e-8, amplified by the few hundred dependent float32 operations on a gradient's path
 * (9 steps × 4 stages of forward recompute and VJP through a 2→50→2 MLP, sums over 50 hidden units and 20
 * batch rows): ~1e-5 at worst, ~1e-6 typically. 1e-4 leaves a 10× margin over that, while a wrong gradient
 * (a missed stage, a wrong coefficient or transpose) is off by 1e-2 or more.
 */
const TOLERANCE = 1e-4;
const LIMIT_MS = 170_000;

const fail = (msg) => {
  console.error(`test:browser: FAIL: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
};
const check = (ok, msg) => {
  if (!ok) fail(msg);
  console.log(`  ok  ${msg}`);
};

if (!existsSync(join(dist, 'index.html'))) fail('web/dist/index.html is missing: run npm run web:build first');
if (!existsSync(chromium)) fail(`no chromium at ${chromium}: run bash scripts/setup-browser.sh (or set SYMPODE_CHROMIUM)`);

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^([/\\])+/, '');
  const file = join(dist, path === '' ? 'index.html' : path);
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  // Cross-origin isolated, as `npm run web` serves it (web/vite.config.ts): shared memory for the cpu threads.
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
  });
  createReadStream(file).pipe(res);
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${server.address().port}/?autostart=0`;

const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
const { browser, args } = await launchChromium({ width: 1200, height: 900 });
const timer = setTimeout(() => {
  console.error(`test:browser: FAIL: over ${LIMIT_MS / 1000} s`);
  browser.process()?.kill('SIGKILL');
  process.exit(1);
}, LIMIT_MS);
const pageErrors = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(LIMIT_MS);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') console.log(`  [page ${m.type()}] ${m.text()}`);
  });
  console.log(`test:browser: ${(await browser.version())} ${args.join(' ')}`);
  await page.goto(url);
  const info = await page.evaluate(() => window.sympode.ready);
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}`.trim() : null;
  });
  console.log(`test:browser: page ready in ${seconds()} s on ${info.backend} (${info.dtype}): ${info.description}; adapter: ${adapter}`);
  // (a)
  check(adapter !== null, `navigator.gpu gives an adapter (${adapter})`);
  check(info.backend === 'webgpu' && info.fallback === null, `the page trains on webgpu (${info.backend}${info.fallback ? `: ${info.fallback}` : ''})`);
  const options = await page.$$eval('#method option', (os) => os.map((o) => o.value));
  check(
    options.join() === info.methods.join() && ['symplectic-adjoint', 'checkpoint', 'backprop', 'adjoint'].every((m) => options.includes(m)),
    `the method selector lists the registry: ${options.join(', ')}`,
  );

  // (c) every method; the check uses fresh models of its own, so it may run before training.
  let tc = performance.now();
  const checks = [];
  for (const m of [...info.methods].reverse()) {
    const gc = await page.evaluate((name) => window.sympode.gradientCheck(name), m);
    checks.push(gc);
    console.log(`test:browser: gradient check ${m}: ${JSON.stringify(gc)}`);
  }
  console.log(`test:browser: gradient checks took ${((performance.now() - tc) / 1000).toFixed(1)} s`);
  for (const gc of checks) {
    check(
      gc.maxRelError <= TOLERANCE,
      `${gc.method}: webgpu gradient matches cpu float64, max relative error ${gc.maxRelError.toExponential(2)} ≤ ${TOLERANCE} (${gc.entries} entries)`,
    );
  }

  // The cpu backend's WebAssembly SIMD product in the page (one thread: no cross-origin isolation here).
  const wc = await page.evaluate(() => window.sympode.wasmCheck());
  check(wc.simd && wc.wasmCalls === 1 && wc.sameBits, `the cpu backend's WebAssembly product runs in the page and equals the JS loop bit for bit (${JSON.stringify(wc)})`);

  // Two threads in a Web Worker of the (cross-origin isolated) page: the backend's own Web Workers.
  const tw = await page.evaluate(() => window.sympode.threadsCheck());
  check(!tw.error && tw.crossOriginIsolated && tw.threads === 2 && tw.sameBits, `in a Web Worker the cpu backend runs 2 threads and equals the JS loop bit for bit (${JSON.stringify(tw)})`);

  // (b)
  tc = performance.now();
  const before = await page.evaluate(() => window.sympode.trajectoryLoss());
  const records = await page.evaluate((n) => window.sympode.trainSteps(n, 'symplectic-adjoint'), iters);
  const after = await page.evaluate(() => window.sympode.trajectoryLoss());
  const losses = records.map((r) => r.loss);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const head = mean(losses.slice(0, 5)), tail = mean(losses.slice(-5));
  console.log(
    `test:browser: ${iters} iterations in ${((performance.now() - tc) / 1000).toFixed(1)} s ` +
      `(${mean(records.map((r) => r.ms)).toFixed(0)} ms each, ${mean(records.map((r) => r.steps)).toFixed(1)} dopri5 steps); ` +
      `batch loss ${losses[0].toFixed(4)} → ${losses.at(-1).toFixed(4)}; peak ${records.at(-1).peakBytes} B`,
  );
  check(tail < 0.8 * head, `batch loss falls: mean of the first 5 ${head.toFixed(4)} → last 5 ${tail.toFixed(4)}`);
  check(after < before, `whole-trajectory loss falls: ${before.toFixed(4)} → ${after.toFixed(4)}`);
  check(pageErrors.length === 0, `no uncaught errors in the page${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);

  // One iteration with each other method: the page's peak table shows what switching changes.
  const peaks = { 'symplectic-adjoint': records.at(-1).peakBytes };
  for (const m of info.methods.filter((m) => m !== 'symplectic-adjoint')) {
    peaks[m] = (await page.evaluate((name) => window.sympode.trainSteps(1, name), m))[0].peakBytes;
  }
  // End on the default method, so the screenshot shows the symplectic adjoint's iteration.
  await page.evaluate(() => window.sympode.trainSteps(1, 'symplectic-adjoint'));
  console.log(`test:browser: peak bytes of one iteration: ${JSON.stringify(peaks)}`);
  check(peaks.backprop > peaks['symplectic-adjoint'], `backprop's peak (${peaks.backprop} B) is above the symplectic adjoint's (${peaks['symplectic-adjoint']} B)`);

  // (d)
  if (screenshot) {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`test:browser: screenshot ${screenshot}`);
  }

  // The page's own GPUDevice (default limits) handed to createDevice({ device }), as the README shows.
  const own = await browser.newPage();
  own.on('pageerror', (e) => pageErrors.push(String(e)));
  await own.goto(url + '&gpu=device');
  const ownInfo = await own.evaluate(() => window.sympode.ready);
  const ownCheck = await own.evaluate(() => window.sympode.gradientCheck('symplectic-adjoint'));
  check(
    ownInfo.backend === 'webgpu' && ownCheck.maxRelError <= TOLERANCE && pageErrors.length === 0,
    `on a GPUDevice made by the page (?gpu=device): gradient matches cpu float64, max relative error ${ownCheck.maxRelError.toExponential(2)}`,
  );
  console.log(`test:browser: passed in ${seconds()} s`);
} catch (e) {
  if (!process.exitCode) console.error(`test:browser: FAIL: ${e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  await browser.close();
  server.close();
}
