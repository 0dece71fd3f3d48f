// What the console's browser tests look for on any page: problems while
// browsing, injected markup, horizontal overflow at a phone's width and
// text contrast.

import { assert } from './harness.mjs';

// Collects script errors, failed loads (but those `expected(url, status)`
// allows), dialogs and requests that leave `base`.
/** Asserts that a page fits a 390 px phone: no horizontal scroll, the
 * Look up button on screen, error ids unbroken, group messages readable,
 * chart labels legible; with `placeholders`, none cut off. */
export async function assertFitsPhone(page, url, { placeholders = false } = {}) {
  const f = await fits(page);
  assert(f.scrollWidth <= 390, 'scrollWidth ' + f.scrollWidth + ' (widest: ' + f.widest + ')');
  assert(f.button, 'Look up button box ' + JSON.stringify(f.box));
  if (placeholders) {
    const cut = await cutPlaceholders(page);
    assert(cut.length === 0, 'placeholders cut: ' + cut.join('; '));
  }
  const sq = await squeezed(page);
  assert(sq.brokenIds.length === 0, 'error ids broken over lines: ' + sq.brokenIds.slice(0, 3));
  assert(sq.narrowMessages === 0, sq.narrowMessages + ' group messages narrower than 200 px');
  if (url.endsWith('/console/chart')) {
    // Labels drawn at 12 px in a 1200-wide viewBox stay at about 9 px or more.
    const h = await page.$eval('svg.chart .xlabel', (t) => t.getBoundingClientRect().height);
    assert(h >= 10, 'chart labels are ' + h.toFixed(1) + ' px high');
  }
}

/** Asserts that nothing went wrong while browsing: no script errors or
 * failed loads, no dialogs, nothing fetched from elsewhere. */
export function assertQuiet(seen) {
  assert(seen.problems.length === 0, seen.problems.join('; '));
  assert(seen.dialogs.length === 0, 'dialogs: ' + seen.dialogs.join('; '));
  assert(seen.foreign.length === 0, 'requested ' + seen.foreign.join(', '));
}

export function watch(page, base, expected = () => false) {
  const seen = { problems: [], dialogs: [], foreign: [] };
  page.on('pageerror', (e) => seen.problems.push(String(e)));
  page.on('console', (m) => {
    // A failed load is reported below with its address.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r.url(), r.status())) seen.problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('dialog', async (d) => { seen.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith(base)) seen.foreign.push(r.url()); });
  return seen;
}

// Elements that run or load something, on* attributes, `javascript:` URLs,
// and the page's text.
export function injected(page) {
  return page.evaluate(() => {
    const all = Array.from(document.querySelectorAll('*'));
    const urls = all.flatMap((e) => ['href', 'src', 'action', 'formaction', 'xlink:href', 'data']
      .map((a) => e.getAttribute(a)).filter((v) => v !== null));
    return {
      elements: document.querySelectorAll('script, img, iframe, frame, object, embed, base').length,
      handlers: all.filter((e) => Array.from(e.attributes).some((a) => a.name.toLowerCase().startsWith('on'))).length,
      js: urls.filter((u) => /^\s*javascript:/i.test(u.replace(/[\u0000-\u001f]/g, ''))),
      text: document.body.innerText,
    };
  });
}

// The document's scroll width, the element sticking out furthest, and
// whether the Look up button lies wholly in the viewport and on top.
export function fits(page) {
  return page.evaluate(() => {
    const w = window.innerWidth;
    let widest = null;
    let right = w;
    for (const e of document.querySelectorAll('body *')) {
      const r = e.getBoundingClientRect();
      if (r.right > right + 0.5) { right = r.right; widest = `${e.tagName.toLowerCase()}.${e.className} (${Math.round(r.right)})`; }
    }
    const b = document.querySelector('form.lookup button');
    const box = b && b.getBoundingClientRect();
    const on = box && document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {
      scrollWidth: document.documentElement.scrollWidth,
      widest,
      box: box && { left: box.left, top: box.top, right: box.right, bottom: box.bottom },
      button: !!box && box.width > 0 && box.left >= 0 && box.top >= 0
        && box.right <= w && box.bottom <= window.innerHeight && on === b,
    };
  });
}

// Table cells squeezed by a narrow screen: error ids broken over lines,
// messages narrower than 200 px (a word a line).
export function squeezed(page) {
  return page.evaluate(() => ({
    brokenIds: Array.from(document.querySelectorAll('a.id code')).filter((c) => c.getClientRects().length > 1).map((c) => c.textContent),
    narrowMessages: Array.from(document.querySelectorAll('table.groups td.msg')).filter((td) => td.getBoundingClientRect().width < 200).length,
  }));
}

// Inputs whose placeholder is wider than the room inside them.
export function cutPlaceholders(page) {
  return page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d');
    return Array.from(document.querySelectorAll('input[placeholder]')).filter((i) => {
      const cs = getComputedStyle(i);
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      return i.placeholder && ctx.measureText(i.placeholder).width > room;
    }).map((i) => `${i.name || i.id}: ${i.placeholder}`);
  });
}

// The body's background and text luminance, and the contrast ratio of each
// visible piece of text (SVG text included) against what is behind it.
export function contrast(page) {
  return page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const rgba = (css) => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = '#000';
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255];
    };
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const over = (fg, bg) => fg.slice(0, 3).map((c, i) => c * fg[3] + bg[i] * (1 - fg[3]));
    const behind = (el) => {
      const stack = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) stack.push(c);
        if (c[3] >= 1) break;
      }
      let bg = [255, 255, 255];
      if (!stack.length || stack[stack.length - 1][3] < 1) bg = rgba(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
      for (const c of stack.reverse()) bg = over(c, bg);
      return bg;
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
    const body = getComputedStyle(document.body);
    const samples = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || r.bottom < 0 || r.right < 0 || r.left < -100) continue;
      const svg = el instanceof SVGElement;
      const bg = behind(svg ? el.ownerSVGElement || el : el);
      const fg = over(rgba(svg ? cs.fill : cs.color), bg);
      samples.push({ el: `${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''}`, text: el.textContent.trim().slice(0, 30), ratio: Math.round(ratio(fg, bg) * 100) / 100 });
    }
    // Sparkline bars: graphics, 3:1 is enough.
    const graphics = Array.from(document.querySelectorAll('svg.spark rect')).slice(0, 50).map((el) => {
      const bg = behind(el.ownerSVGElement);
      return Math.round(ratio(over(rgba(getComputedStyle(el).fill), bg), bg) * 100) / 100;
    });
    return {
      graphics,
      bg: lum(behind(document.body)),
      fg: lum(rgba(body.color)),
      samples,
    };
  });
}
