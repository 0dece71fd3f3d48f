// Drives the console of a running `errcat demo` in headless Chromium, as
// support would after real failing requests (tests/demo_cli.rs makes them):
// the lookup page of a panic, of validation errors and of a rate-limit error,
// ids pasted loosely, 100 identical errors grouped into one row, a 390 px
// phone and dark mode.
// Usage: node support.mjs BASE_URL SCREENSHOT_DIR IDS_JSON
// IDS_JSON: {"panic", "validation", "validation_request", "invalid_json",
// "rate_limited", "repeated": {"code", "route", "count"}}.
// Prints one line per check (`ok …` / `FAIL …`) and a closing
// `N passed, N failed` line; exits 1 if any check failed.
import { assert, check, finish, launch } from './harness.mjs';
import { assertFitsPhone, assertQuiet, contrast, injected, watch } from './pages.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [base, shots, idsJson] = process.argv.slice(2);
if (!base || !shots || !idsJson) {
  console.error('usage: node support.mjs BASE_URL SCREENSHOT_DIR IDS_JSON');
  process.exit(2);
}
const ids = JSON.parse(idsJson);
fs.mkdirSync(shots, { recursive: true });

const { page, close } = await launch('support');
const seen = watch(page, base);
const shot = (name, full = true) => page.screenshot({ path: path.join(shots, name), fullPage: full });
const go = async (url, want = 200) => {
  const res = await page.goto(base + url);
  assert(res.status() === want, `${url}: status ${res.status()}, not ${want}`);
};
const lookup = (id) => go('/console/lookup?id=' + encodeURIComponent(id));
// The record on a lookup page, as support reads it.
const record = () => page.evaluate(() => {
  const q = (s) => document.querySelector(s);
  const text = (s) => (q(s) ? q(s).textContent.trim() : null);
  const headers = Array.from(document.querySelectorAll('section.sent table.headers tr'))
    .map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent]);
  const violations = Array.from(document.querySelectorAll('section.sent table.violations tbody tr'))
    .map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent));
  return {
    status: text('article.record h1 .status'),
    code: text('article.record h1 a.code'),
    oneline: text('p.oneline'),
    party: text('p.oneline .party'),
    errorId: text('dl.ids dd code'),
    wire: text('section.sent p.wire'),
    headers,
    body: text('section.sent pre.body'),
    violations,
    panic: text('section.cause p.panic'),
    cause: text('section.cause'),
    request: text('section.request dl.fields dd code'),
    guidance: text('section.guidance'),
    sections: Array.from(document.querySelectorAll('article.record > section')).map((s) => s.className),
  };
});
// Whether the whole box of `sel` is on screen once scrolled to.
const shown = async (sel) => {
  const el = await page.$(sel);
  if (!el || !(await el.isVisible())) return false;
  await el.scrollIntoViewIfNeeded();
  const box = await el.boundingBox();
  const vp = page.viewportSize();
  return !!box && box.width > 0 && box.height > 0 && box.x >= 0 && box.x + box.width <= vp.width + 0.5;
};

try {
  await check('the panic: 500 sent with ids only, its message and location under the cause', async () => {
    await lookup(ids.panic);
    const r = await record();
    assert(JSON.stringify(r.sections) === JSON.stringify(['sent', 'cause', 'request', 'guidance']), 'sections ' + r.sections);
    assert(r.status === '500' && r.code === 'INTERNAL_ERROR', `${r.status} ${r.code}`);
    assert(/server/i.test(r.party), 'whose move: ' + r.oneline);
    assert(r.wire === 'HTTP 500 Internal Server Error', 'wire ' + r.wire);
    const sent = JSON.parse(r.body);
    assert(sent.error_id === ids.panic && sent.code === 'INTERNAL_ERROR', r.body);
    assert(!r.body.includes('index out of bounds'), 'the client got the panic message: ' + r.body);
    assert(r.panic && r.panic.includes('index out of bounds') && /\.rs:\d+:\d+/.test(r.panic), 'panic ' + r.panic);
    assert(r.request === 'GET /api/debug/panic', 'request ' + r.request);
    assert(/engineering/i.test(r.guidance), 'guidance ' + r.guidance);
    assert(await shown('section.cause p.panic'), 'the panic line is not on screen');
  });
  await shot('lookup-panic.png');

  await check('a validation error: body and field violations as the client got them', async () => {
    await lookup(ids.validation);
    const r = await record();
    assert(r.status === '400' && r.code === 'VALIDATION_ERROR', `${r.status} ${r.code}`);
    assert(/client/i.test(r.party), 'whose move: ' + r.oneline);
    assert(r.wire === 'HTTP 400 Bad Request', 'wire ' + r.wire);
    const ct = r.headers.find(([k]) => k === 'content-type');
    assert(ct && ct[1] === 'application/problem+json', 'headers ' + JSON.stringify(r.headers));
    const sent = JSON.parse(r.body);
    assert(sent.error_id === ids.validation && sent.errors[0].path === 'events.0.type', r.body);
    assert(r.violations.length >= 1 && r.violations[0][0] === 'events.0.type' && r.violations[0][1].length > 0,
      'violations ' + JSON.stringify(r.violations));
    assert(r.cause.includes('refused the request as designed'), 'cause ' + r.cause);
    assert(r.request === 'POST /api/events', 'request ' + r.request);
    assert(await shown('section.sent pre.body'), 'the body is not on screen');
    assert(await shown('section.sent table.violations'), 'the violations are not on screen');
  });
  await shot('lookup-validation.png');

  await check('malformed JSON: 400 INVALID_JSON with line and column in the body shown', async () => {
    await lookup(ids.invalid_json);
    const r = await record();
    assert(r.status === '400' && r.code === 'INVALID_JSON', `${r.status} ${r.code}`);
    assert(r.wire === 'HTTP 400 Bad Request', 'wire ' + r.wire);
    assert(/line/i.test(r.body) && /column/i.test(r.body), 'body ' + r.body);
    assert(r.request === 'POST /api/auth/login', 'request ' + r.request);
    assert(await shown('section.sent pre.body'), 'the body is not on screen');
  });
  await shot('lookup-invalid-json.png');

  await check('a rate-limit error: 429 with Retry-After among the headers shown', async () => {
    await lookup(ids.rate_limited);
    const r = await record();
    assert(r.status === '429' && r.code === 'RATE_LIMITED', `${r.status} ${r.code}`);
    assert(r.wire === 'HTTP 429 Too Many Requests', 'wire ' + r.wire);
    const ra = r.headers.find(([k]) => k.toLowerCase() === 'retry-after');
    assert(ra && /^\d+$/.test(ra[1]) && Number(ra[1]) > 0, 'headers ' + JSON.stringify(r.headers));
    assert(JSON.parse(r.body).code === 'RATE_LIMITED', r.body);
    assert(await shown('section.sent table.headers tr:has(th:text-is("retry-after"))'), 'Retry-After is not on screen');
  });
  await shot('lookup-rate-limited.png');

  await check('the code link opens the reference at its entry', async () => {
    await lookup(ids.rate_limited);
    await Promise.all([page.waitForNavigation(), page.click('article.record h1 a.code')]);
    assert(page.url() === base + '/errors#RATE_LIMITED', 'url ' + page.url());
    assert(await page.evaluate(() => document.querySelector(':target') === document.getElementById('RATE_LIMITED')), 'not the :target');
  });

  await check('ids pasted loosely find the same record', async () => {
    const id = ids.validation;
    const forms = [
      `"${id}"`, ` ${id}\n`, `"error_id": "${id}",`, `error_id=${id}`,
      id.toUpperCase(), id.replaceAll('-', ''), id.replaceAll('-', '').toUpperCase(),
    ];
    for (const typed of forms) {
      await go('/console');
      await page.fill('#lookup-id', typed);
      await Promise.all([page.waitForNavigation(), page.click('form.lookup button')]);
      assert(page.url().startsWith(base + '/console/lookup?id='), typed + ': url ' + page.url());
      const r = await record();
      assert(r.errorId === id, `${JSON.stringify(typed)} found ${r.errorId}`);
    }
    for (const typed of [`x-request-id: ${ids.validation_request}`, `X-Request-Id: ${ids.validation_request.toUpperCase()}`, ids.validation_request.replaceAll('-', '')]) {
      await lookup(typed);
      const h1 = await page.textContent('main h1');
      assert(h1.includes(ids.validation_request), `${typed}: heading ${h1}`);
      const found = await page.$$eval('table.errors a.id', (as) => as.map((a) => a.textContent));
      assert(found.includes(ids.validation), `${typed}: ${found}`);
    }
  });

  const rep = ids.repeated;
  await check(`${rep.count} identical errors are one group of ${rep.count}`, async () => {
    await go('/console/recent');
    const groups = await page.$$eval('table.groups tbody tr', (trs) => trs.map((tr) => {
      const td = tr.querySelectorAll('td');
      return { count: Number(td[1].textContent), code: td[3].textContent, route: td[4].textContent, open: td[7].textContent };
    }));
    const mine = groups.filter((g) => g.code === rep.code);
    assert(mine.length === 1, `${mine.length} ${rep.code} groups: ${JSON.stringify(groups)}`);
    assert(mine[0].count === rep.count && mine[0].route === rep.route, JSON.stringify(mine[0]));
    assert(mine[0].open === `all ${rep.count} →`, 'link ' + mine[0].open);
    const header = await page.textContent('p.count');
    assert(header.includes('in the last 24 hours'), header);
    await shot('recent-grouped.png');
    await go('/console/recent?code=' + rep.code.toLowerCase());
    const only = await page.$$eval('table.groups tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[1].textContent));
    assert(JSON.stringify(only) === JSON.stringify([String(rep.count)]), 'filtered: ' + only);
  });

  await check('the group opens the list of its errors', async () => {
    await go('/console/recent');
    await Promise.all([page.waitForNavigation(), page.click(`table.groups tbody tr:has(a.code:text-is("${rep.code}")) td:last-child a`)]);
    assert(page.url().includes('view=list'), 'url ' + page.url());
    const codes = await page.$$eval('table.errors tbody tr a.code', (as) => as.map((a) => a.textContent));
    assert(codes.length === 50 && codes.every((c) => c === rep.code), `${codes.length} rows: ${[...new Set(codes)]}`);
    assert(await page.isVisible('nav.pager a[rel=next]'), 'no Older link');
    await shot('recent-group-list.png');
  });

  await check('filters: a concrete path, 4xx, 2h, and a bad time shown inline', async () => {
    await go('/console/recent?view=list&status=4XX&since=2h&route=' + encodeURIComponent('/api/events'));
    const r = await page.$$eval('table.errors tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((t) => t.textContent)));
    assert(r.length >= 2 && r.every((t) => t[4] === '/api/events' && t[1].startsWith('4')), JSON.stringify(r));
    await go('/console/recent?status=5xx');
    const five = await page.$$eval('table.groups a.code', (as) => as.map((a) => a.textContent));
    assert(JSON.stringify(five) === '["INTERNAL_ERROR"]', 'status=5xx: ' + five);
  });

  // A phone.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, url] of [
    ['lookup-panic', '/console/lookup?id=' + ids.panic],
    ['lookup-validation', '/console/lookup?id=' + ids.validation],
    ['lookup-rate-limited', '/console/lookup?id=' + ids.rate_limited],
    ['request', '/console/lookup?id=' + ids.validation_request],
    ['recent-grouped', '/console/recent'],
    ['recent-list', '/console/recent?view=list'],
    ['chart', '/console/chart'],
  ]) {
    await check(`390 px: ${name} has no horizontal scroll and Look up is on screen`, async () => {
      await go(url);
      await assertFitsPhone(page, url);
    });
    await shot(`phone-${name}.png`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.emulateMedia({ colorScheme: 'dark' });
  for (const [name, id] of [['validation', ids.validation], ['panic', ids.panic]]) {
    await check(`dark mode: the ${name} lookup is dark with text at 4.5:1`, async () => {
      await lookup(id);
      const c = await contrast(page);
      assert(c.bg < 0.05 && c.fg > 0.6, `background ${c.bg.toFixed(3)}, text ${c.fg.toFixed(3)}`);
      const low = c.samples.filter((s) => s.ratio < 4.5);
      assert(low.length === 0, 'low contrast: ' + JSON.stringify(low.slice(0, 5)));
    });
    await shot(`dark-lookup-${name}.png`);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  await check('no markup from requests on the pages visited', async () => {
    await lookup(ids.validation);
    const found = await injected(page);
    assert(found.elements + found.handlers + found.js.length === 0, JSON.stringify({ ...found, text: undefined }));
  });

  await check('no script errors, dialogs, failed loads or foreign requests', async () => {
    assertQuiet(seen);
  });
} finally {
  await close();
}

finish();
