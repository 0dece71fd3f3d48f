// Drives a running `errcat serve` console in headless Chromium.
// Usage: node console.mjs BASE_URL ERROR_ID REQUEST_ID SCREENSHOT_DIR [TOKEN]
// Prints one line per check (`ok …` / `FAIL …`) and a closing
// `N passed, N failed` line; exits 1 if any check failed.
import { assert, check, finish, launch } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [base, errorId, requestId, shots, token] = process.argv.slice(2);
if (!base || !errorId || !requestId || !shots) {
  console.error('usage: node console.mjs BASE_URL ERROR_ID REQUEST_ID SCREENSHOT_DIR [TOKEN]');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });

const { page, close } = await launch('console');
const problems = [];
page.on('pageerror', (e) => problems.push(String(e)));
page.on('console', (m) => {
  // A failed load is reported below with its address.
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
});
// Every 4xx/5xx but the one deliberate unknown-id lookup is a problem.
page.on('response', (r) => {
  if (r.status() >= 400 && !r.url().includes('/console/lookup?id=%3Cno')) problems.push(`${r.status()} ${r.url()}`);
});
// Nothing but the console itself may be requested (no CDN, no fonts).
const foreign = [];
page.on('request', (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });

const rows = () => page.$$eval('table.errors tbody tr', (trs) => trs.map((tr) => ({
  code: tr.querySelector('a.code') && tr.querySelector('a.code').textContent,
  id: tr.querySelector('a.id') && tr.querySelector('a.id').textContent,
})));
let code = null;

try {
  await check('the console opens (with the token, which leaves the address bar)', async () => {
    const res = await page.goto(base + '/console' + (token ? '?token=' + encodeURIComponent(token) : ''));
    assert(res.status() === 200, 'status ' + res.status());
    assert(page.url() === base + '/console', 'url is ' + page.url());
    assert(await page.isVisible('#lookup-id'), 'no lookup box');
    const nav = await page.$$eval('header nav a', (as) => as.map((a) => a.textContent));
    assert(JSON.stringify(nav) === JSON.stringify(['Lookup', 'Recent', 'Chart', 'Reference']), nav.join(','));
    const display = await page.$eval('header.top', (h) => getComputedStyle(h).display);
    assert(display === 'flex', 'the stylesheet did not apply (header display ' + display + ')');
  });

  await check('an error id shows its record with a link to the reference', async () => {
    await page.fill('#lookup-id', errorId);
    await Promise.all([page.waitForNavigation(), page.press('#lookup-id', 'Enter')]);
    assert(page.url().startsWith(base + '/console/lookup?id='), 'url ' + page.url());
    const link = await page.$('article.record h1 a.code');
    assert(link, 'no code link in the heading');
    code = (await link.textContent()).trim();
    const href = await link.getAttribute('href');
    assert(href === '/errors#' + encodeURIComponent(code), 'href ' + href);
    const text = await page.textContent('article.record');
    assert(text.includes(errorId), 'the record does not show its error id');
    assert(await page.inputValue('#lookup-id') === errorId, 'lookup box lost the id');
    const injected = await page.evaluate(() => document.querySelectorAll('script, img, iframe').length);
    assert(injected === 0, injected + ' script/img/iframe elements on the page');
  });
  await page.screenshot({ path: path.join(shots, 'lookup.png'), fullPage: true });

  await check('the code link opens the reference at its entry', async () => {
    await Promise.all([page.waitForNavigation(), page.click('article.record h1 a.code')]);
    assert(page.url() === base + '/errors#' + code, 'url ' + page.url());
    await page.waitForTimeout(150);
    const where = await page.evaluate((c) => {
      const el = document.getElementById(c);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, h: window.innerHeight, y: window.scrollY, target: document.querySelector(':target') === el };
    }, code);
    assert(where, 'no element with id ' + code);
    assert(where.target, ':target is not the entry');
    assert(where.top >= -5 && where.top < where.h / 2, 'entry not scrolled into view: ' + JSON.stringify(where));
  });
  await page.screenshot({ path: path.join(shots, 'reference.png') });

  await check('a request id lists all its errors', async () => {
    await page.goto(base + '/console');
    await page.fill('#lookup-id', requestId);
    await Promise.all([page.waitForNavigation(), page.click('form.lookup button')]);
    const h1 = await page.textContent('main h1');
    assert(h1.includes(requestId), 'heading ' + h1);
    const n = await page.$$eval('article.record', (a) => a.length);
    const r = await rows();
    assert(n >= 1 && n === r.length, `${n} records, ${r.length} rows`);
    assert(r.some((x) => x.id === errorId), 'the error id is not among them');
  });
  await page.screenshot({ path: path.join(shots, 'request.png'), fullPage: true });

  await check('an unknown id is a not-found page', async () => {
    const res = await page.goto(base + '/console/lookup?id=' + encodeURIComponent('<no such id>'));
    assert(res.status() === 404, 'status ' + res.status());
    assert((await page.textContent('main')).includes('<no such id>'), 'the id is not shown as text');
  });

  await check('the chart draws bars with height, axis labels and a legend', async () => {
    await page.goto(base + '/console');
    await Promise.all([page.waitForNavigation(), page.click('header nav >> text=Chart')]);
    const info = await page.evaluate(() => {
      const svg = document.querySelector('svg.chart');
      if (!svg) return null;
      const bars = Array.from(svg.querySelectorAll('rect.bar'));
      return {
        bars: bars.length,
        flat: bars.filter((b) => !(b.getBBox().height > 0 && b.getBoundingClientRect().height > 0)).length,
        legend: svg.querySelectorAll('.legend-item').length,
        x: svg.querySelectorAll('.xlabel').length,
        y: svg.querySelectorAll('.ylabel').length,
        width: svg.getBoundingClientRect().width,
      };
    });
    assert(info, 'no svg.chart');
    assert(info.bars > 0 && info.flat === 0, JSON.stringify(info));
    assert(info.legend > 0 && info.x > 1 && info.y > 1, JSON.stringify(info));
    assert(info.width > 900, 'chart is narrow: ' + info.width);
  });
  await page.screenshot({ path: path.join(shots, 'chart.png'), fullPage: true });

  await check('recent errors list newest first and filter by code', async () => {
    await Promise.all([page.waitForNavigation(), page.click('header nav >> text=Recent')]);
    const all = await rows();
    assert(all.length > 0, 'no rows');
    const times = await page.$$eval('table.errors td.time', (tds) => tds.map((t) => t.textContent));
    assert(times.every((t, i) => i === 0 || times[i - 1] >= t), 'not newest first');
    await page.screenshot({ path: path.join(shots, 'recent.png'), fullPage: true });
    await page.fill('input[name=code]', code);
    await Promise.all([page.waitForNavigation(), page.click('form.filters button')]);
    assert(page.url().includes('code=' + encodeURIComponent(code)), 'url ' + page.url());
    const some = await rows();
    assert(some.length > 0 && some.every((r) => r.code === code), JSON.stringify(some.slice(0, 3)));
    assert(await page.inputValue('input[name=code]') === code, 'the filter is not kept in the form');
  });
  await page.screenshot({ path: path.join(shots, 'recent-filtered.png'), fullPage: true });

  await check('no script errors, CSP violations or foreign requests', async () => {
    assert(problems.length === 0, problems.join('; '));
    assert(foreign.length === 0, 'requested ' + foreign.join(', '));
  });
} finally {
  await close();
}

finish();
