// Headless Chromium for the browser tests (test-browser.mjs, test-report.mjs): the system's chromium driven by
// puppeteer-core (nothing is downloaded; scripts/setup-browser.sh installs Debian's package), with one set of flags.
// Environment: SYMPODE_CHROMIUM (default /usr/bin/chromium), SYMPODE_BROWSER_FLAGS (replaces the WebGPU flags).
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

export const chromium = process.env.SYMPODE_CHROMIUM || '/usr/bin/chromium';

/**
 * The launch flags:
 * --enable-unsafe-webgpu: WebGPU on Linux, where Chromium does not enable it by default.
 * --use-webgpu-adapter=swiftshader: Chromium's bundled software Vulkan (libvk_swiftshader.so), so the adapter
 *   exists without a GPU or a system Vulkan driver, and the test does not depend on which one is installed.
 * --no-sandbox: Chromium's sandbox refuses to run as root (containers, CI).
 * SYMPODE_BROWSER_FLAGS replaces the first two (e.g. '--enable-unsafe-webgpu' alone on a machine with a GPU).
 */
export function launchArgs(width, height) {
  const webgpuFlags = process.env.SYMPODE_BROWSER_FLAGS?.split(/\s+/).filter(Boolean) ?? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
  const args = [...webgpuFlags, `--window-size=${width},${height}`];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}

/** Launches headless chromium with `launchArgs` and a `width` × `height` viewport; throws when chromium is missing. */
export async function launchChromium({ width = 1200, height = 900, deviceScaleFactor = 1 } = {}) {
  if (!existsSync(chromium)) throw new Error(`no chromium at ${chromium}: run bash scripts/setup-browser.sh (or set SYMPODE_CHROMIUM)`);
  const args = launchArgs(width, height);
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args, defaultViewport: { width, height, deviceScaleFactor } });
  return { browser, args };
}
