// Drives a running `errcat serve` console over the seeded error log of
// tests/serve_cli.rs in headless Chromium: lookup, the reference link,
// request ids, the chart, recent errors grouped and listed, filters typed
// loosely, hostile text on every page, a 390 px phone and dark mode.
// Usage: node console.mjs BASE_URL ERROR_ID REQUEST_ID SCREENSHOT_DIR [TOKEN]
// Prints one line per check (`ok …` / `FAIL …`) and a closing
// `N passed, N failed` line; exits 1 if any check failed.
import { assert, check, finish, launch } from './harness.mjs';
import { assertFitsPhone, assertQuiet, contrast, cutPlaceholders, injected, watch } from './pages.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [base, errorId, requestId, shots, token] = process.argv.slice(2);
if (!base || !errorId || !requestId || !shots) {
  console.error('usage: node console.mjs BASE_URL ERROR_ID REQUEST_ID SCREENSHOT_DIR [TOKEN]');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const shot = (name, full = true) => page.screenshot({ path: path.join(shots, name), fullPage: full });

const { page, close } = await launch('console');
// The deliberate 404 (unknown id) and 400s (bad filters) are expected.
const seen = watch(page, base, (url, status) =>
  (status === 404 && url.includes('/console/lookup?id=%3C'))
  || (status === 400 && url.includes('/console/recent?') && /since=yesterday|status=teapot/.test(url)));

// The hostile record of the seeded log (tests/serve_cli.rs, `XSS`).
const XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', 'javascript:alert(3)'];

const rows = () => page.$$eval('table.errors tbody tr', (trs) => trs.map((tr) => {
  const td = tr.querySelectorAll('td');
  return {
    code: tr.querySelector('a.code') && tr.querySelector('a.code').textContent,
    id: tr.querySelector('a.id') && tr.querySelector('a.id').textContent,
    status: Number(td[1].textContent),
    route: td[4].textContent,
    tenant: td[5].textContent,
    time: td[0].textContent,
  };
}));
const groups = () => page.$$eval('table.groups tbody tr', (trs) => trs.map((tr) => {
  const td = tr.querySelectorAll('td');
  const link = td[7].querySelector('a');
  return {
    count: Number(td[1].textContent),
    status: Number(td[2].textContent),
    code: td[3].textContent,
    route: td[4].textContent,
    message: td[5].textContent,
    spark: td[6].querySelectorAll('svg.spark rect').length,
    open: link && link.getAttribute('href'),
    openText: link && link.textContent,
  };
}));
const go = async (url, want = 200) => {
  const res = await page.goto(base + url);
  assert(res.status() === want, `${url}: status ${res.status()}, not ${want}`);
};
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
  await shot('home.png');

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
    const order = await page.$$eval('article.record > section', (s) => s.map((x) => x.className));
    assert(JSON.stringify(order) === JSON.stringify(['sent', 'cause', 'request', 'guidance']), 'sections ' + order);
    assert(await page.isVisible('article.record p.oneline'), 'no one-line summary');
  });
  await shot('lookup.png');

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
  await shot('reference.png', false);

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
  await shot('request.png');

  await check('an id is read as pasted: quoted, with a key, in upper case', async () => {
    for (const typed of [`"${errorId}"`, `  '${errorId}',`, `"error_id": "${errorId}"`, errorId.toUpperCase()]) {
      await go('/console/lookup?id=' + encodeURIComponent(typed));
      const ids = await page.$$eval('article.record dl.ids dd:first-of-type code', (c) => c.map((x) => x.textContent));
      assert(JSON.stringify(ids) === JSON.stringify([errorId]), `${typed}: ${ids}`);
    }
    await go('/console/lookup?id=' + encodeURIComponent(`x-request-id: ${requestId}`));
    assert((await page.textContent('main h1')).includes(requestId), 'x-request-id: prefix not read');
  });

  await check('an unknown id is a not-found page', async () => {
    await go('/console/lookup?id=' + encodeURIComponent('<no such id>'), 404);
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
  await shot('chart.png');

  await check('recent errors are grouped: 60 rate-limit errors are one row with a sparkline', async () => {
    await Promise.all([page.waitForNavigation(), page.click('header nav >> text=Recent')]);
    assert(page.url() === base + '/console/recent', 'url ' + page.url());
    assert(await page.$('table.errors') === null, 'the flat list is shown by default');
    const g = await groups();
    const rate = g.filter((x) => x.code === 'RATE_LIMITED');
    assert(rate.length === 1, `${rate.length} RATE_LIMITED groups: ${JSON.stringify(g)}`);
    assert(rate[0].count === 60 && rate[0].status === 429 && rate[0].route === '/v1/events', JSON.stringify(rate[0]));
    assert(rate[0].spark > 1, 'the sparkline has ' + rate[0].spark + ' bars');
    assert(rate[0].openText === 'all 60 →', 'link text ' + rate[0].openText);
    // 24 hours by default: the 10-day-old error is in no group.
    const total = g.reduce((n, x) => n + x.count, 0);
    assert(total === 64, `groups hold ${total} errors: ${JSON.stringify(g)}`);
    assert(g.filter((x) => x.count === 1 && x.code === 'USER_NOT_FOUND').length === 1, 'USER_NOT_FOUND group');
    const cut = await cutPlaceholders(page);
    assert(cut.length === 0, 'placeholders cut: ' + cut.join('; '));
    await shot('recent-grouped.png');
    await Promise.all([page.waitForNavigation(), page.click('table.groups tbody tr:has(a.code:text-is("RATE_LIMITED")) td:last-child a')]);
    assert(page.url().startsWith(base + '/console/recent?view=list&'), 'url ' + page.url());
    const r = await rows();
    assert(r.length === 50 && r.every((x) => x.code === 'RATE_LIMITED' && x.route === '/v1/events'), JSON.stringify(r.slice(0, 3)));
    assert(await page.isVisible('nav.pager a[rel=next]'), 'no Older link for the other 10');
  });

  await check('the flat list: newest first, filtered by code from the form', async () => {
    await go('/console/recent?view=list');
    const all = await rows();
    assert(all.length === 50, all.length + ' rows');
    assert(all.every((r, i) => i === 0 || all[i - 1].time >= r.time), 'not newest first');
    assert(all[0].id === 'err-xss', 'newest is ' + all[0].id);
    await shot('recent-list.png');
    await page.fill('input[name=code]', code);
    await Promise.all([page.waitForNavigation(), page.click('form.filters button')]);
    assert(page.url().includes('code=' + encodeURIComponent(code)), 'url ' + page.url());
    assert(page.url().includes('view=list'), 'the view is not kept: ' + page.url());
    const some = await rows();
    assert(some.length > 0 && some.every((r) => r.code === code), JSON.stringify(some.slice(0, 3)));
    assert(await page.inputValue('input[name=code]') === code, 'the filter is not kept in the form');
  });

  await check('filters typed loosely: code in lower case, tenant in upper case', async () => {
    await go('/console/recent?code=rate_limited');
    const g = await groups();
    assert(g.length === 1 && g[0].code === 'RATE_LIMITED' && g[0].count === 60, JSON.stringify(g));
    assert(await page.inputValue('input[name=code]') === 'rate_limited', 'the typed code is not kept');
    await go('/console/recent?view=list&tenant=ACME&code=Auth_Failed');
    const r = await rows();
    assert(r.length === 1 && r[0].id === 'err-hostile' && r[0].tenant === 'acme', JSON.stringify(r));
    await go('/console/recent?tenant=ACME');
    const t = await groups();
    assert(t.reduce((n, x) => n + x.count, 0) === 61, 'tenant ACME: ' + JSON.stringify(t));
  });

  await check('a concrete path finds its route: route=/v1/users/u_9', async () => {
    await go('/console/recent?view=list&route=' + encodeURIComponent('/v1/users/u_9'));
    const r = await rows();
    assert(r.length === 1 && r[0].id === 'err-user' && r[0].route === '/v1/users/{id}', JSON.stringify(r));
  });

  await check('status=4xx keeps client errors only; since=2h drops older ones', async () => {
    await go('/console/recent?view=list&status=4xx');
    const r = await rows();
    assert(r.length === 50 && r.every((x) => x.status >= 400 && x.status < 500), JSON.stringify(r.slice(0, 3)));
    assert(!r.some((x) => x.id === 'err-panic'), 'the 500 is listed');
    await go('/console/recent?view=list&status=500-504');
    const five = await rows();
    assert(five.length === 1 && five[0].id === 'err-panic', JSON.stringify(five));
    await go('/console/recent?view=list&since=2h&code=USER_NOT_FOUND');
    assert(await page.$('table.errors') === null, 'USER_NOT_FOUND within 2h: ' + JSON.stringify(await rows()));
    await go('/console/recent?since=2h');
    const g = await groups();
    assert(g.length > 0 && !g.some((x) => x.code === 'USER_NOT_FOUND'), JSON.stringify(g));
    assert(g.some((x) => x.code === 'RATE_LIMITED' && x.count === 6), 'RATE_LIMITED in 2h: ' + JSON.stringify(g));
  });

  await check('a bad filter re-shows the form with the message next to it (400)', async () => {
    await go('/console/recent?since=yesterday&code=RATE_LIMITED', 400);
    const alert = await page.$('p.filter-error[role=alert]');
    assert(alert && await alert.isVisible(), 'no visible p.filter-error[role=alert]');
    const msg = await alert.textContent();
    assert(msg.includes('yesterday') && msg.includes('30m'), 'message: ' + msg);
    const since = await page.$('input[name=since]');
    assert(await since.getAttribute('aria-invalid') === 'true', 'since is not aria-invalid');
    assert(await since.getAttribute('aria-describedby') === 'filter-error', 'since does not point at the message');
    assert(await since.inputValue() === 'yesterday', 'the bad value is not kept');
    assert(await page.inputValue('input[name=code]') === 'RATE_LIMITED', 'the other filter is not kept');
    assert(await page.$('input[name=code][aria-invalid]') === null, 'code is marked invalid too');
    assert(await page.$('table.groups, table.errors') === null, 'results shown with a bad filter');
  });
  await shot('filter-error.png');

  // Hostile text: every page that shows the record shows it as text.
  const hostilePages = [
    ['home', '/console', [XSS[0]]],
    ['lookup', '/console/lookup?id=err-xss', XSS],
    ['request', '/console/lookup?id=req-xss', XSS],
    ['recent grouped', '/console/recent', XSS],
    ['recent list', '/console/recent?view=list', [XSS[0], XSS[2]]],
    ['chart', '/console/chart', []],
    ['hostile filters', '/console/recent?view=list&tenant=' + encodeURIComponent(XSS[2]) + '&route=' + encodeURIComponent('/v1/x/' + XSS[0]), [XSS[0], XSS[2]]],
  ];
  for (const [name, url, texts] of hostilePages) {
    await check(`hostile text is inert on the ${name} page`, async () => {
      await go(url);
      const found = await injected(page);
      assert(found.elements === 0, found.elements + ' script/img/iframe/object/embed elements');
      assert(found.handlers === 0, found.handlers + ' elements with on* attributes');
      assert(found.js.length === 0, 'javascript: links ' + found.js.join(', '));
      for (const t of texts) assert(found.text.includes(t), 'not shown as text: ' + t);
    });
  }
  await check('the hostile group opens its list (the message filter round-trips)', async () => {
    await go('/console/recent');
    const href = await page.$eval('table.groups tbody tr:has(a.code:text-is("VALIDATION_ERROR")) td:last-child a', (a) => a.getAttribute('href'));
    await go(href);
    const r = await rows();
    assert(r.length === 1 && r[0].id === 'err-xss', JSON.stringify(r));
    const found = await injected(page);
    assert(found.elements + found.handlers + found.js.length === 0, JSON.stringify(found));
  });
  await go('/console/lookup?id=err-xss');
  await shot('lookup-hostile.png');

  // A phone: 390 px wide.
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = [
    ['home', '/console'],
    ['lookup', '/console/lookup?id=err-xss'],
    ['request', '/console/lookup?id=req-1'],
    ['recent grouped', '/console/recent'],
    ['recent list', '/console/recent?view=list'],
    ['chart', '/console/chart'],
  ];
  for (const [name, url] of phone) {
    await check(`390 px: no horizontal scroll on ${name}, Look up fully visible`, async () => {
      await go(url);
      await assertFitsPhone(page, url, { placeholders: true });
    });
    await shot(`phone-${name.replace(' ', '-')}.png`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // Dark mode.
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const [name, url] of [['lookup', '/console/lookup?id=err-panic'], ['recent grouped', '/console/recent'], ['chart', '/console/chart'], ['filter error', '/console/recent?since=yesterday']]) {
    await check(`dark mode: ${name} is dark with text at 4.5:1 or more, the chart's included`, async () => {
      await go(url, url.includes('yesterday') ? 400 : 200);
      const c = await contrast(page);
      assert(c.bg < 0.05, 'body background luminance ' + c.bg.toFixed(3));
      assert(c.fg > 0.6, 'body text luminance ' + c.fg.toFixed(3));
      const low = c.samples.filter((s) => s.ratio < 4.5);
      assert(c.samples.length > 5, 'only ' + c.samples.length + ' samples');
      assert(low.length === 0, 'low contrast: ' + JSON.stringify(low.slice(0, 5)));
      if (name === 'recent grouped') {
        assert(c.graphics.length > 0 && c.graphics.every((r) => r >= 3), 'sparkline contrast ' + c.graphics);
      }
    });
    await shot(`dark-${name.replace(' ', '-')}.png`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await check('light mode: the same pages have text at 4.5:1 or more', async () => {
    for (const url of ['/console/lookup?id=err-panic', '/console/recent', '/console/chart']) {
      await go(url);
      const c = await contrast(page);
      assert(c.bg > 0.9, url + ': body background luminance ' + c.bg.toFixed(3));
      const low = c.samples.filter((s) => s.ratio < 4.5);
      assert(low.length === 0, url + ': low contrast: ' + JSON.stringify(low.slice(0, 5)));
    }
  });

  await check('no script errors, dialogs, CSP violations or foreign requests', async () => {
    assertQuiet(seen);
  });
} finally {
  await close();
}

finish();
