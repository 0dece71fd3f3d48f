// Drives the console of a running `errcat serve` whose log holds more errors
// in a window than a grouping reads (tests/serve_cli.rs seeds it): the note
// that says from when the groups count, the count line, a 390 px phone.
// Usage: node grouping.mjs BASE_URL SCREENSHOT_DIR
// Prints one line per check (`ok …` / `FAIL …`) and a closing
// `N passed, N failed` line; exits 1 if any check failed.
import { assert, check, finish, launch } from './harness.mjs';
import { assertFitsPhone, assertQuiet, watch } from './pages.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node grouping.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });

const { page, close } = await launch('grouping');
const seen = watch(page, base);
const shot = (name) => page.screenshot({ path: path.join(shots, name), fullPage: false });
const go = async (url) => {
  const res = await page.goto(base + url);
  assert(res.status() === 200, `${url}: status ${res.status()}`);
};
const text = (sel) => page.$eval(sel, (e) => e.textContent.trim()).catch(() => null);

try {
  await check('a window larger than a grouping reads says from when its groups count', async () => {
    await go('/console/recent?since=7d');
    const note = await text('#grouping-cut');
    assert(note && /^Grouped from the errors since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+ d ago\) only: /.test(note), 'note: ' + note);
    assert(await page.isVisible('#grouping-cut'), 'the note is not visible');
    const count = await text('p.count');
    assert(/^10,000 errors in 15\d groups, most recently seen first\. The 100 seen last are shown\.$/.test(count), 'count: ' + count);
    const rows = await page.$$eval('table.groups tbody tr', (trs) => trs.length);
    assert(rows === 100, rows + ' group rows');
    await shot('grouping-cut.png');
  });

  await check('a window the grouping reads whole has no such note', async () => {
    await go('/console/recent');
    assert(!(await page.$('#grouping-cut')), 'a note on the last 24 hours');
    const count = await text('p.count');
    assert(/^\d+ errors? in \d+ groups?/.test(count || ''), 'count: ' + count);
  });

  await check('the note fits a 390 px phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await go('/console/recent?since=7d');
    await assertFitsPhone(page, '/console/recent?since=7d');
    const box = await page.$eval('#grouping-cut', (e) => e.getBoundingClientRect().width);
    assert(box <= 390, 'note ' + box + ' px wide');
    await shot('phone-grouping-cut.png');
  });

  await check('no script errors, dialogs, failed loads or foreign requests', async () => {
    assertQuiet(seen);
  });
} finally {
  await close();
}

finish();
