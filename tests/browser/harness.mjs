// What every browser test here shares: named checks that print `ok …` /
// `FAIL …`, and Debian's Chromium launched headless with a throwaway profile.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const tally = { passed: 0, failed: 0 };

export async function check(name, fn) {
  try {
    await fn();
    tally.passed++;
    console.log(`ok    ${name}`);
  } catch (e) {
    tally.failed++;
    console.log(`FAIL  ${name}: ${e && e.message ? e.message : e}`);
  }
}

export function assert(cond, msg) { if (!cond) throw new Error(msg); }

// A headless Chromium (the CHROMIUM environment variable, else
// /usr/bin/chromium) at 1280x900; `close()` also removes the profile.
// `options` go to the browser context (`{ javaScriptEnabled: false }`).
export async function launch(name, options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `errcat-${name}-chromium-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
    ...options,
  });
  const page = context.pages()[0] || await context.newPage();
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

// Prints the closing `N passed, N failed` line and exits 1 if any failed.
export function finish() {
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed ? 1 : 0);
}
