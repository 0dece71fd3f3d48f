(function () {
  'use strict';
  var d = document, q = d.getElementById('ec-q'), fs = d.getElementById('ec-fs'), fc = d.getElementById('ec-fc');
  var count = d.getElementById('ec-count'), empty = d.getElementById('ec-empty');
  var arts = Array.prototype.slice.call(d.querySelectorAll('article.err'));
  var secs = Array.prototype.slice.call(d.querySelectorAll('section.cat'));
  var N = arts.length;
  // The status badge (`.st`, "429 Too Many Requests") makes statuses and
  // reason phrases searchable.
  var FIELDS = ['.code', '.num', '.st', '.title', '.msg', '.desc', '.causes', '.res'];
  var HL = '.code,.num,.st,.title,.msg,.desc,.causes,.res';
  var HL_MAX = 60;

  // The search index, built from the page itself (no duplicated text).
  var hay = new Array(N), vocab = new Map();
  arts.forEach(function (a, i) {
    var parts = [];
    for (var f = 0; f < FIELDS.length; f++) {
      var el = a.querySelector(FIELDS[f]);
      if (el) parts.push(el.textContent.toLowerCase());
    }
    var h = hay[i] = parts.join('\n');
    var words = h.split(/[^0-9a-z\u00c0-\uffff]+/);
    for (var w = 0; w < words.length; w++) {
      var word = words[w];
      // Numbers are matched exactly (by substring), not fuzzily.
      if (word.length < 3 || /[0-9]/.test(word)) continue;
      var list = vocab.get(word);
      if (!list) vocab.set(word, list = []);
      if (list[list.length - 1] !== i) list.push(i);
    }
  });
  var vlist = Array.from(vocab.keys());

  // Edit distance (with transpositions) between t and the closest prefix of
  // w, or k + 1 when it is more than k.
  var r0 = new Int32Array(80), r1 = new Int32Array(80), r2 = new Int32Array(80);
  function pdist(t, w, k) {
    var m = t.length, n = Math.min(w.length, m + k);
    if (n < m - k) return k + 1;
    var pp = r0, prev = r1, cur = r2, j;
    for (j = 0; j <= n; j++) prev[j] = j;
    for (var i = 1; i <= m; i++) {
      cur[0] = i;
      var rowMin = i, ti = t.charCodeAt(i - 1);
      for (j = 1; j <= n; j++) {
        var wj = w.charCodeAt(j - 1);
        var v = prev[j - 1] + (ti === wj ? 0 : 1);
        if (prev[j] + 1 < v) v = prev[j] + 1;
        if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
        if (i > 1 && j > 1 && ti === w.charCodeAt(j - 2) && t.charCodeAt(i - 2) === wj && pp[j - 2] + 1 < v) v = pp[j - 2] + 1;
        cur[j] = v;
        if (v < rowMin) rowMin = v;
      }
      if (rowMin > k) return k + 1;
      var tmp = pp; pp = prev; prev = cur; cur = tmp;
    }
    var best = k + 1;
    for (j = Math.max(0, m - k); j <= n; j++) if (prev[j] < best) best = prev[j];
    return best;
  }

  var saved = new Map(), lit = [];
  function unhighlight() {
    for (var i = 0; i < lit.length; i++) lit[i].innerHTML = saved.get(lit[i]);
    lit = [];
  }
  function escRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
  function highlight(a, re) {
    var els = a.querySelectorAll(HL);
    for (var e = 0; e < els.length; e++) {
      var el = els[e];
      var walker = d.createTreeWalker(el, NodeFilter.SHOW_TEXT), nodes = [], n;
      while ((n = walker.nextNode())) { re.lastIndex = 0; if (re.test(n.data)) nodes.push(n); }
      if (!nodes.length) continue;
      if (!saved.has(el)) saved.set(el, el.innerHTML);
      lit.push(el);
      for (var k = 0; k < nodes.length; k++) {
        var t = nodes[k], frag = d.createDocumentFragment(), s = t.data, last = 0, m;
        re.lastIndex = 0;
        while ((m = re.exec(s))) {
          if (!m[0].length) { re.lastIndex++; continue; }
          frag.appendChild(d.createTextNode(s.slice(last, m.index)));
          var mk = d.createElement('mark'); mk.textContent = m[0]; frag.appendChild(mk);
          last = m.index + m[0].length;
        }
        frag.appendChild(d.createTextNode(s.slice(last)));
        t.parentNode.replaceChild(frag, t);
      }
    }
  }

  var hit = new Uint8Array(N), ok = new Uint8Array(N), shownNow = new Uint8Array(N).fill(1);
  var stOf = arts.map(function (a) { return a.dataset.status; });
  var catOf = arts.map(function (a) { return a.dataset.cat; });
  var secOf = new Int32Array(N).fill(-1), secShown = new Int32Array(secs.length);
  var secIndex = new Map();
  secs.forEach(function (s, k) { secIndex.set(s, k); });
  arts.forEach(function (a, i) {
    var k = secIndex.get(a.parentNode);
    if (k !== undefined) secOf[i] = k;
  });
  var timing = {};
  function errors(n) { return n === 1 ? '1 error' : n + ' errors'; }
  function run() {
    var t0 = performance.now();
    var terms = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var st = fs.value, ct = fc.value, active = terms.length || st || ct;
    var marks = [], i, t;
    for (i = 0; i < N; i++) ok[i] = (!st || stOf[i] === st) && (!ct || catOf[i] === ct) ? 1 : 0;
    for (t = 0; t < terms.length; t++) {
      var term = terms[t];
      marks.push(term);
      hit.fill(0);
      for (i = 0; i < N; i++) if (ok[i] && hay[i].indexOf(term) >= 0) hit[i] = 1;
      if (term.length >= 4 && term.length < 40) {
        var k = term.length >= 8 ? 2 : 1, found = 0;
        for (var v = 0; v < vlist.length; v++) {
          var w = vlist[v];
          if (pdist(term, w, k) <= k) {
            var list = vocab.get(w);
            for (var x = 0; x < list.length; x++) hit[list[x]] = 1;
            if (found++ < 20) marks.push(w.slice(0, term.length + k));
          }
        }
      }
      for (i = 0; i < N; i++) ok[i] &= hit[i];
    }
    var t1 = performance.now(), shown = 0;
    secShown.fill(0);
    for (i = 0; i < N; i++) {
      if (ok[i] !== shownNow[i]) { arts[i].hidden = !ok[i]; shownNow[i] = ok[i]; }
      if (ok[i]) { shown++; if (secOf[i] >= 0) secShown[secOf[i]]++; }
    }
    for (i = 0; i < secs.length; i++) {
      var hide = !!active && secShown[i] === 0;
      if (secs[i].hidden !== hide) secs[i].hidden = hide;
    }
    d.body.classList.toggle('searching', !!active);
    empty.hidden = shown > 0;
    count.textContent = active ? shown + ' of ' + errors(N) : errors(N);
    var t2 = performance.now();
    unhighlight();
    if (terms.length && shown) {
      marks.sort(function (a, b) { return b.length - a.length; });
      var re = new RegExp(marks.map(escRe).join('|'), 'gi'), n = 0;
      for (i = 0; i < N && n < HL_MAX; i++) if (ok[i]) { highlight(arts[i], re); n++; }
    }
    var t3 = performance.now();
    timing.match = t1 - t0; timing.apply = t2 - t1; timing.highlight = t3 - t2;
  }
  q.addEventListener('input', run);
  fs.addEventListener('change', run);
  fc.addEventListener('change', run);
  window.errcatSearch = { run: run, size: N, timing: timing };

  function visible() { return arts.filter(function (a) { return !a.hidden; }); }
  function focusArt(a) {
    if (!a) return;
    var link = a.querySelector('.code');
    link.focus({ preventScroll: true });
    a.scrollIntoView({ block: 'nearest' });
  }
  d.addEventListener('keydown', function (e) {
    var tg = e.target, tag = tg.tagName || '';
    if ((e.ctrlKey || e.metaKey) && (e.key === 'k' || e.key === 'K')) {
      e.preventDefault(); q.focus(); q.select(); return;
    }
    if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(tag) && !tg.isContentEditable) {
      e.preventDefault(); q.focus(); q.select(); return;
    }
    if (tg === q && e.key === 'Escape') {
      if (q.value) { q.value = ''; run(); } else q.blur();
      return;
    }
    if (tg === q && e.key === 'Enter') {
      var first = visible()[0];
      if (first) { location.hash = first.id; focusArt(first); }
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    if (tg === q && e.key === 'ArrowDown') { e.preventDefault(); focusArt(visible()[0]); return; }
    if (tg.classList && tg.classList.contains('code')) {
      var list = visible(), at = list.indexOf(tg.closest('article'));
      e.preventDefault();
      if (e.key === 'ArrowDown') focusArt(list[at + 1] || list[at]);
      else if (at <= 0) q.focus();
      else focusArt(list[at - 1]);
    }
  });

  function go() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (err) { return; }
    var el = id && d.getElementById(id);
    if (!el) return;
    if (el.hidden || (el.closest('section') || {}).hidden) {
      q.value = ''; fs.value = ''; fc.value = ''; run();
    }
    el.scrollIntoView();
    if (el.classList.contains('err')) el.querySelector('.code').focus({ preventScroll: true });
    // Cards off screen are laid out only when they come near it
    // (content-visibility), which can move the target: follow it for a few
    // frames until it stays put.
    var top = el.getBoundingClientRect().top, frames = 0;
    (function settle() {
      requestAnimationFrame(function () {
        var now = el.getBoundingClientRect().top;
        if (Math.abs(now - top) > 1) el.scrollIntoView();
        top = el.getBoundingClientRect().top;
        if (++frames < 10) settle();
      });
    })();
  }
  window.addEventListener('hashchange', go);
  if (location.hash) requestAnimationFrame(go);

  d.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button.copy');
    if (!b) return;
    var code = b.closest('article').id, url = location.href.split('#')[0] + '#' + code;
    function done() { b.textContent = '✓'; b.setAttribute('aria-label', 'Link copied'); setTimeout(function () { b.textContent = '#'; b.setAttribute('aria-label', 'Copy link'); }, 1500); }
    function fallback() {
      var ta = d.createElement('textarea'); ta.value = url; d.body.appendChild(ta); ta.select();
      try { d.execCommand('copy'); } catch (err) { /* nothing else to try */ }
      ta.remove(); done();
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).then(done, fallback);
    else fallback();
    history.replaceState(null, '', '#' + code);
  });

  var themeBtn = d.getElementById('ec-theme');
  themeBtn.addEventListener('click', function () {
    var cur = d.documentElement.dataset.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
    var next = cur === 'dark' ? 'light' : 'dark';
    d.documentElement.dataset.theme = next;
    try { localStorage.setItem('errcat-theme', next); } catch (err) { /* file:// without storage */ }
  });
  if (matchMedia('(max-width: 50em)').matches) {
    var toc = d.querySelector('.toc details');
    if (toc) toc.open = false;
  }
})();
