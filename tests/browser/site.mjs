// Drives a generated errcat docs site in headless Chromium.
// Usage: node site.mjs SEED_SITE_DIR BIG_SITE_DIR SCREENSHOT_DIR SEED_003_SITE_DIR
// Prints one line per check, metrics as `METRICS {json}`, and a closing
// `N passed, N failed` line; exits 1 if any check failed.
import { assert, check, finish, launch } from './harness.mjs';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [seedDir, bigDir, shots, saasDir] = process.argv.slice(2);
if (!seedDir || !bigDir || !shots || !saasDir) {
  console.error('usage: node site.mjs SEED_SITE_DIR BIG_SITE_DIR SCREENSHOT_DIR SEED_003_SITE_DIR');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
// The seed site is served over HTTP on loopback, as a docs host (or
// `errcat demo`) serves it; the big one is opened as a file, as someone
// reading a generated site offline does. (Chromium's storage for file://
// pages is not reliably kept across reloads, which the theme check needs.)
const server = http.createServer((req, res) => {
  const file = req.url.split('?')[0];
  if (file === '/favicon.ico') {
    // The browser asks for it on its own; the site has none.
    res.writeHead(204).end();
    return;
  }
  if (file !== '/' && file !== '/index.html') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(fs.readFileSync(path.join(seedDir, 'index.html')));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const seedOrigin = `http://127.0.0.1:${server.address().port}`;
const seedUrl = `${seedOrigin}/index.html`;
const bigUrl = pathToFileURL(path.join(bigDir, 'index.html')).href;

const metrics = {};
const { page, close } = await launch('site');
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
// The site must work offline: any network request is a failure.
const requests = [];
page.on('request', (r) => {
  const url = r.url();
  if (!url.startsWith('file:') && !url.startsWith(seedOrigin + '/')) requests.push(url);
});

const visibleCodes = () => page.evaluate(() =>
  Array.from(document.querySelectorAll('article.err')).filter((a) => !a.hidden).map((a) => a.id));
async function search(text) {
  await page.fill('#ec-q', text);
  await page.waitForTimeout(30);
}

try {
  // ---- the seed site ----
  await page.goto(seedUrl);
  await check('seed: loads without script errors or network requests', async () => {
    assert(pageErrors.length === 0, pageErrors.join('; '));
    assert(requests.length === 0, 'requested ' + requests.join(', '));
    const n = await page.evaluate(() => window.errcatSearch && window.errcatSearch.size);
    assert(n > 0, 'search index is empty');
  });
  await page.screenshot({ path: path.join(shots, 'seed-light.png') });

  await check('seed: Ctrl+K focuses the search box', async () => {
    await page.click('h1 span');
    await page.keyboard.press('Control+k');
    assert(await page.evaluate(() => document.activeElement.id) === 'ec-q', 'focus is not on #q');
  });
  await check('seed: / focuses the search box without typing a slash', async () => {
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('/');
    const st = await page.evaluate(() => [document.activeElement.id, document.getElementById('ec-q').value]);
    assert(st[0] === 'ec-q' && st[1] === '', JSON.stringify(st));
  });
  const all = await visibleCodes();
  await check('seed: typing filters the list and highlights the match', async () => {
    await page.keyboard.type('permission');
    await page.waitForTimeout(30);
    const v = await visibleCodes();
    assert(v.length > 0 && v.length < all.length, `visible ${v.length} of ${all.length}`);
    assert(v.includes('AUTH-403'), 'AUTH-403 not shown: ' + v);
    const marks = await page.evaluate(() => Array.from(document.querySelectorAll('#AUTH-403 mark')).map((m) => m.textContent));
    assert(marks.some((m) => m.toLowerCase() === 'permission'), 'no highlight: ' + marks);
  });
  await page.screenshot({ path: path.join(shots, 'seed-search.png') });
  await check('seed: search is typo-tolerant (authentcation → AUTH-401)', async () => {
    await search('authentcation');
    const v = await visibleCodes();
    assert(v.includes('AUTH-401'), 'visible: ' + v);
  });
  await check('seed: search matches codes and numeric parts (429)', async () => {
    await search('429');
    const v = await visibleCodes();
    assert(v.length === 1 && v[0] === 'TOOLIMITED-429', 'visible: ' + v);
  });
  await check('seed: search matches statuses and reason phrases (404, Too Many Requests, not found)', async () => {
    await search('404');
    let v = await visibleCodes();
    assert(v.length === 1 && v[0] === 'NOTFOUND-404', '404: ' + v);
    await search('Too Many Requests');
    v = await visibleCodes();
    assert(v.length === 1 && v[0] === 'TOOLIMITED-429', 'Too Many Requests: ' + v);
    await search('not found');
    v = await visibleCodes();
    assert(v.includes('NOTFOUND-404'), 'not found: ' + v);
    const marks = await page.evaluate(() => Array.from(document.querySelectorAll('#NOTFOUND-404 .st mark')).map((m) => m.textContent.toLowerCase()));
    assert(marks.includes('not') && marks.includes('found'), 'status badge not highlighted: ' + marks);
  });
  await check('seed: search matches causes and resolution text', async () => {
    await search('idempotency');
    const v = await visibleCodes();
    assert(v.length === 1 && v[0] === 'CONFLICT-409', 'visible: ' + v);
  });
  await check('seed: nonsense shows the empty state', async () => {
    await search('qqzxv wwxyq');
    const st = await page.evaluate(() => {
      const e = document.getElementById('ec-empty');
      return [e.hidden, e.textContent, document.querySelectorAll('article.err:not([hidden])').length];
    });
    assert(st[0] === false && st[1] === 'No errors found matching your search.' && st[2] === 0, JSON.stringify(st));
  });
  await page.screenshot({ path: path.join(shots, 'seed-empty.png') });
  await check('seed: status and category filters', async () => {
    await search('');
    await page.selectOption('#ec-fs', '404');
    let v = await visibleCodes();
    assert(v.length === 1 && v[0] === 'NOTFOUND-404', 'status 404: ' + v);
    await page.selectOption('#ec-fs', '');
    await page.selectOption('#ec-fc', 'AUTH');
    v = await visibleCodes();
    assert(v.length === 2 && v.includes('AUTH-401') && v.includes('AUTH-403'), 'AUTH: ' + v);
    await page.selectOption('#ec-fc', '');
    v = await visibleCodes();
    assert(v.length === all.length, 'reset: ' + v.length);
  });
  await check('seed: arrow keys move from the search box through the results', async () => {
    await search('a');
    await page.focus('#ec-q');
    await page.keyboard.press('ArrowDown');
    const first = await page.evaluate(() => document.activeElement.closest('article') && document.activeElement.closest('article').id);
    await page.keyboard.press('ArrowDown');
    const second = await page.evaluate(() => document.activeElement.closest('article') && document.activeElement.closest('article').id);
    const v = await visibleCodes();
    assert(first === v[0] && second === v[1], `${first}, ${second} vs ${v.slice(0, 2)}`);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert(await page.evaluate(() => document.activeElement.id) === 'ec-q', 'ArrowUp from the first result does not return to the box');
    await page.keyboard.press('Escape');
  });
  await check('seed: a deep link scrolls to its error', async () => {
    await page.goto(seedUrl + '#CONFLICT-409');
    await page.waitForTimeout(200);
    const st = await page.evaluate(() => {
      const r = document.getElementById('CONFLICT-409').getBoundingClientRect();
      return { top: r.top, y: window.scrollY, h: window.innerHeight };
    });
    assert(st.y > 0 && st.top >= 0 && st.top < st.h / 2, JSON.stringify(st));
  });
  await page.screenshot({ path: path.join(shots, 'seed-deeplink.png') });
  await check('seed: the copy button puts the deep link in the address', async () => {
    await page.click('#AUTH-401 button.copy');
    assert((await page.evaluate(() => location.hash)) === '#AUTH-401', 'hash not set');
  });
  await check('seed: dark mode switches', async () => {
    await page.goto(seedUrl);
    const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.click('#ec-theme');
    const after = await page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor]);
    assert(before === 'rgb(255, 255, 255)' && after[0] === 'dark' && after[1] === 'rgb(13, 17, 23)', JSON.stringify([before, after]));
    await page.screenshot({ path: path.join(shots, 'seed-dark.png') });
    const stored = await page.evaluate(() => localStorage.getItem('errcat-theme'));
    await page.reload();
    const kept = await page.evaluate(() => [document.documentElement.dataset.theme, localStorage.getItem('errcat-theme')]);
    assert(kept[0] === 'dark', 'theme not kept across reloads: ' + JSON.stringify({ stored, after: kept }));
    await page.click('#ec-theme');
  });
  await check('seed: the system dark preference is followed', async () => {
    await page.evaluate(() => { try { localStorage.removeItem('errcat-theme'); } catch (e) { /* ignore */ } });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(bg === 'rgb(13, 17, 23)', bg);
    await page.emulateMedia({ colorScheme: 'light' });
  });
  await check('seed: readable on a phone (no sideways scrolling)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    const st = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert(st[0] <= st[1] + 1, JSON.stringify(st));
    await page.screenshot({ path: path.join(shots, 'seed-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
  await check('seed: no script errors during the session', async () => {
    assert(pageErrors.length === 0, pageErrors.join('; '));
  });

  // ---- seed 003: the seed page's sections ----
  await page.goto(pathToFileURL(path.join(saasDir, 'index.html')).href);
  await check('seed 003: every section of the seed page, in its order, visible', async () => {
    const h = await page.evaluate(() => Array.from(document.querySelectorAll('main h2, main .ov h3'))
      .filter((e) => e.offsetParent !== null).map((e) => e.textContent.trim()));
    const want = ['Error Codes', 'Error Format', 'Error Categories', 'Common Error Codes',
      'Validation Errors (400)', 'Authentication Errors (401)', 'Authorization Errors (403)',
      'Not Found Errors (404)', 'Conflict Errors (409)', 'Rate Limit Errors (429)',
      'Internal Errors (500)', 'Troubleshooting'];
    assert(JSON.stringify(h.slice(0, want.length)) === JSON.stringify(want), JSON.stringify(h));
    const ex = await page.evaluate(() => document.querySelector('#ec-format pre').textContent);
    assert(ex.includes('"statusCode": 400') && ex.includes('"path": "events.0.type"'), ex);
  });
  await page.screenshot({ path: path.join(shots, 'saas-desktop.png') });
  for (const id of ['ec-categories', 'ec-overview', 'guide-troubleshooting']) {
    await page.evaluate((id) => document.getElementById(id).scrollIntoView(), id);
    await page.screenshot({ path: path.join(shots, `saas-desktop-${id}.png`) });
  }
  await check('seed 003: search 429 shows the 429 errors only', async () => {
    await search('429');
    const v = await visibleCodes();
    assert(v.length === 1 && v[0] === 'RATE_LIMITED', '429: ' + v);
    const overview = await page.evaluate(() => document.getElementById('ec-overview').offsetParent === null);
    assert(overview, 'the overview is still shown while searching');
    await page.screenshot({ path: path.join(shots, 'saas-search-429.png') });
    await search('not found');
    const nf = await visibleCodes();
    for (const c of ['NOT_FOUND', 'USER_NOT_FOUND', 'TENANT_NOT_FOUND', 'CONTENT_NOT_FOUND']) assert(nf.includes(c), 'not found: ' + nf);
  });
  await page.screenshot({ path: path.join(shots, 'saas-search-not-found.png') });
  await check('seed 003: readable at 390 px (no sideways scrolling)', async () => {
    await search('');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    const st = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert(st[0] <= st[1] + 1, JSON.stringify(st));
    await page.screenshot({ path: path.join(shots, 'saas-phone.png') });
    for (const id of ['ec-overview', 'RATE_LIMITED']) {
      await page.evaluate((id) => { location.hash = id; }, id);
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, `saas-phone-${id}.png`) });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  // ---- the 10,000-error site ----
  const t0 = Date.now();
  await page.goto(bigUrl, { timeout: 120000 });
  metrics.big_load_ms = Date.now() - t0;
  await check('big: loads with all errors indexed', async () => {
    const n = await page.evaluate(() => window.errcatSearch.size);
    assert(n === 10000, 'indexed ' + n);
  });
  await check('big: Ctrl+K focuses the search box', async () => {
    await page.click('h1 span');
    await page.keyboard.press('Control+k');
    assert(await page.evaluate(() => document.activeElement.id) === 'ec-q', 'focus is not on #q');
  });
  await check('big: each keystroke filters (timed with performance.now)', async () => {
    const word = 'timeout upstrem';
    const times = await page.evaluate(async (word) => {
      const q = document.getElementById('ec-q');
      const out = [];
      for (let i = 1; i <= word.length; i++) {
        const t0 = performance.now();
        q.value = word.slice(0, i);
        q.dispatchEvent(new Event('input'));
        const t1 = performance.now();
        void document.body.offsetHeight; // style + layout of the new list
        const t2 = performance.now();
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const t3 = performance.now();
        out.push({ q: q.value, filter: t1 - t0, layout: t2 - t0, frame: t3 - t0,
          shown: document.querySelectorAll('article.err:not([hidden])').length });
      }
      return out;
    }, word);
    const med = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
    metrics.keystroke_filter_ms = { median: med(times.map((t) => t.filter)), max: Math.max(...times.map((t) => t.filter)) };
    metrics.keystroke_filter_layout_ms = { median: med(times.map((t) => t.layout)), max: Math.max(...times.map((t) => t.layout)) };
    metrics.keystroke_to_next_frame_ms = { median: med(times.map((t) => t.frame)), max: Math.max(...times.map((t) => t.frame)) };
    metrics.keystrokes = times.map((t) => ({ q: t.q, filter_ms: +t.filter.toFixed(1), shown: t.shown }));
    const last = times[times.length - 1];
    assert(last.shown > 0 && last.shown < 10000, 'final result count ' + last.shown);
  });
  await page.screenshot({ path: path.join(shots, 'big-search.png') });
  await check('big: nonsense shows the empty state', async () => {
    await search('qqzxv wwxyq');
    assert(await page.evaluate(() => !document.getElementById('ec-empty').hidden), 'no empty state');
  });
  await check('big: a deep link scrolls to an error near the end', async () => {
    const id = await page.evaluate(() => document.querySelectorAll('article.err')[9000].id);
    await page.goto(bigUrl + '#' + id, { timeout: 120000 });
    await page.waitForTimeout(300);
    const st = await page.evaluate((id) => {
      const r = document.getElementById(id).getBoundingClientRect();
      return { top: r.top, y: window.scrollY, h: window.innerHeight };
    }, id);
    assert(st.y > 100000 && st.top >= 0 && st.top < st.h, JSON.stringify(st));
    await page.screenshot({ path: path.join(shots, 'big-deeplink.png') });
  });
  await check('big: no script errors or network requests', async () => {
    assert(pageErrors.length === 0, pageErrors.join('; '));
    assert(requests.length === 0, 'requested ' + requests.join(', '));
  });
} finally {
  await close();
  server.close();
}

// ---- script off: the page reads fully, the controls that need script are hidden ----
{
  const noJs = await launch('site-nojs', { javaScriptEnabled: false });
  try {
    await noJs.page.goto(pathToFileURL(path.join(saasDir, 'index.html')).href);
    await check('no script: search, filters and copy buttons are hidden', async () => {
      for (const sel of ['#ec-q', '#ec-fs', '#ec-fc', '#ec-theme', 'button.copy']) {
        assert(!(await noJs.page.isVisible(sel)), sel + ' is visible');
      }
    });
    await check('no script: every section and every error is visible', async () => {
      const st = await noJs.page.evaluate(() => ({
        cards: document.querySelectorAll('article.err').length,
        shown: Array.from(document.querySelectorAll('article.err')).filter((a) => a.offsetParent !== null).length,
        sections: Array.from(document.querySelectorAll('main section')).filter((s) => s.offsetParent === null).map((s) => s.id),
        count: document.getElementById('ec-count').textContent,
      }));
      assert(st.cards > 20 && st.shown === st.cards, JSON.stringify(st));
      assert(st.sections.length === 0, 'hidden sections: ' + st.sections);
      assert(st.count === st.cards + ' errors', st.count);
    });
    await noJs.page.screenshot({ path: path.join(shots, 'saas-nojs.png') });
  } finally {
    await noJs.close();
  }
}
fs.writeFileSync(path.join(shots, 'metrics.json'), JSON.stringify(metrics, null, 2));
console.log('METRICS ' + JSON.stringify({ ...metrics, keystrokes: undefined }));
finish();
