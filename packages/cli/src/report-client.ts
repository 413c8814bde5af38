/**
 * The HTML memory report's script, inlined into the page (no network): one panel per gradient method, live
 * bytes stacked by label, phase slices in a band above, wheel/drag zoom on the time axis, hover for the event.
 * Plain ES2020 in a string, so it runs as it is in any browser; `scripts/test-report.mjs` drives it in
 * headless Chromium. It exposes `window.sympodeReport` (`methods`, `view(m)`, `zoom(m, t0, t1)`, `reset(m)`).
 */
export const REPORT_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('sympode-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var UNITS = ['B', 'KiB', 'MiB', 'GiB'];
  var M = { l: 78, r: 14, t: 4, b: 34 }, ROW = 12, PLOT_H = 260;
  var tip = document.getElementById('tooltip');
  var shared = document.getElementById('shared-y');
  var panels = [];

  function niceStep(span, target) {
    var raw = span / Math.max(1, target), e = Math.floor(Math.log10(raw)), n = raw / Math.pow(10, e);
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * Math.pow(10, e);
  }
  function decimals(step) { return Math.max(0, -Math.floor(Math.log10(step) + 1e-9)); }
  function ticks(lo, hi, target) {
    var s = niceStep(hi - lo || 1, target), out = [];
    for (var i = Math.ceil(lo / s - 1e-9); i * s <= hi + s * 1e-9; i++) out.push(i * s);
    return { values: out, step: s };
  }
  // One unit and one number of decimals per axis; the top is the first round tick at or above the data.
  function byteAxis(max, target) {
    max = Math.max(max, 1);
    var k = 0;
    while (k < 3 && max >= Math.pow(1024, k + 1)) k++;
    var u = Math.pow(1024, k), s = niceStep(max / u, target), top = Math.ceil(max / u / s - 1e-9) * s;
    var d = decimals(s), out = [];
    for (var i = 0; i * s <= top + s * 1e-9; i++) out.push({ value: i * s * u, label: i === 0 ? '0' : (i * s).toFixed(d) + ' ' + UNITS[k] });
    return { ticks: out, top: top * u };
  }
  function fmtBytes(b) {
    if (b < 1024) return b + ' B';
    var k = Math.min(3, Math.floor(Math.log(b) / Math.log(1024))), v = b / Math.pow(1024, k);
    return v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2) + ' ' + UNITS[k];
  }
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  // First index with t[i] > x.
  function upper(t, x) {
    var lo = 0, hi = t.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (t[mid] <= x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function phaseColor(name) {
    var rules = [[/^forward$/, '#6baed6'], [/^backward$/, '#f16913'], [/^forward/, '#9ecae1'], [/^step/, '#c6dbef'], [/^backward sweep/, '#fdae6b'], [/^backward step/, '#fdd0a2'],
      [/^restore/, '#bcbddc'], [/^recompute/, '#a1d99b'], [/^vjp/, '#fcbba1']];
    for (var i = 0; i < rules.length; i++) if (rules[i][0].test(name)) return rules[i][1];
    return '#d9d9d9';
  }

  // Per-label live bytes after each event, rebuilt from each event's own label (the JSON carries only that).
  function expand(tl) {
    var n = tl.t.length, cur = tl.start.slice(), live = tl.labels.map(function () { return new Float64Array(n); });
    var total = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      cur[tl.label[i]] = tl.labelLive[i];
      var s = 0;
      for (var k = 0; k < cur.length; k++) { live[k][i] = cur[k]; s += cur[k]; }
      total[i] = s;
    }
    tl.live = live; tl.total = total;
    tl.end = Math.max(tl.t.length ? tl.t[n - 1] : 1, tl.phases.reduce(function (m, p) { return Math.max(m, p.t1); }, 0));
    tl.depths = Math.min(5, 1 + tl.phases.reduce(function (m, p) { return Math.max(m, p.depth); }, -1));
  }

  function render(p) {
    var tl = p.tl, svg = p.svg, W = Math.max(320, svg.clientWidth || 600);
    var band = tl.depths * ROW, top = M.t + band + 6, H = top + PLOT_H + M.b, pw = W - M.l - M.r;
    svg.setAttribute('height', H);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var t0 = p.view[0], t1 = p.view[1];
    var x = function (v) { return M.l + ((Math.min(Math.max(v, t0), t1) - t0) / (t1 - t0)) * pw; };
    var max = shared.checked ? D.maxPeak : tl.peakBytes, ax = byteAxis(max, 5);
    var y = function (v) { return top + PLOT_H - (v / ax.top) * PLOT_H; };
    p.geom = { W: W, top: top, pw: pw, band: band };
    el('clipPath', { id: 'clip-' + p.id }, el('defs', {}, svg)).appendChild(el('rect', { x: M.l, y: 0, width: pw, height: H }));
    // Axes and grid.
    var g = el('g', { class: 'axes' }, svg), xt = ticks(t0, t1, pw / 90), xd = decimals(xt.step);
    xt.values.forEach(function (v) {
      var px = x(v);
      el('line', { x1: px, x2: px, y1: top, y2: top + PLOT_H, class: 'grid' }, g);
      el('text', { x: px, y: top + PLOT_H + 16, 'text-anchor': 'middle', class: 'tick' }, g, v.toFixed(xd));
    });
    ax.ticks.forEach(function (tk) {
      var py = y(tk.value);
      el('line', { x1: M.l, x2: M.l + pw, y1: py, y2: py, class: 'grid' }, g);
      el('text', { x: M.l - 6, y: py + 4, 'text-anchor': 'end', class: 'tick ytick' }, g, tk.label);
    });
    el('text', { x: M.l + pw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, g, 'time (ms)');
    // Stacked areas: per pixel column the event with the most live bytes, so no peak is lost when zoomed out.
    var i0 = Math.max(0, upper(tl.t, t0) - 1), i1 = Math.min(tl.t.length - 1, upper(tl.t, t1)), picked = [], lastCol = -1;
    for (var i = i0; i <= i1; i++) {
      var col = Math.round(x(tl.t[i]) * 2);
      if (col !== lastCol) { picked.push(i); lastCol = col; }
      else if (tl.total[i] > tl.total[picked[picked.length - 1]]) picked[picked.length - 1] = i;
    }
    var areas = el('g', { 'clip-path': 'url(#clip-' + p.id + ')' }, svg), lower = picked.map(function () { return 0; }), xR = x(t1);
    tl.labels.forEach(function (label, k) {
      if (!picked.length) return;
      var up = picked.map(function (ix, j) { return lower[j] + tl.live[k][ix]; });
      var xs = picked.map(function (ix) { return x(tl.t[ix]).toFixed(2); });
      var d = 'M' + xs[0] + ' ' + y(up[0]).toFixed(2);
      for (var j = 1; j < picked.length; j++) d += 'H' + xs[j] + 'V' + y(up[j]).toFixed(2);
      d += 'H' + xR.toFixed(2) + 'V' + y(lower[picked.length - 1]).toFixed(2);
      for (j = picked.length - 1; j >= 1; j--) d += 'H' + xs[j] + 'V' + y(lower[j - 1]).toFixed(2);
      d += 'H' + xs[0] + 'Z';
      el('path', { d: d, fill: D.colors[label] || '#888', class: 'area', 'data-label': label }, areas);
      lower = up;
    });
    el('rect', { x: M.l, y: top, width: pw, height: PLOT_H, class: 'frame' }, svg);
    // Phase slices, one row per nesting depth.
    var bandG = el('g', { class: 'phases', 'clip-path': 'url(#clip-' + p.id + ')' }, svg);
    tl.phases.forEach(function (s) {
      if (s.depth >= tl.depths || s.t1 < t0 || s.t0 > t1) return;
      var a = x(s.t0), w = Math.max(1, x(s.t1) - a), r = el('rect', {
        x: a, y: M.t + s.depth * ROW, width: w, height: ROW - 1, fill: phaseColor(s.name), class: 'phase', 'data-name': s.name,
      }, bandG);
      r.__slice = s;
      if (w > s.name.length * 6 + 6) el('text', { x: a + 3, y: M.t + s.depth * ROW + ROW - 3, class: 'phase-name' }, bandG, s.name);
    });
    p.cursor = el('line', { x1: -10, x2: -10, y1: top, y2: top + PLOT_H, class: 'cursor' }, svg);
    p.brush = el('rect', { x: 0, y: top, width: 0, height: PLOT_H, class: 'brush' }, svg);
  }

  function timeAt(p, clientX) {
    var r = p.svg.getBoundingClientRect(), f = (clientX - r.left - M.l) / p.geom.pw;
    return p.view[0] + Math.min(1, Math.max(0, f)) * (p.view[1] - p.view[0]);
  }
  function setView(p, a, b) {
    var full = p.tl.end, span = Math.max(Math.min(b - a, full), full * 1e-6);
    a = Math.max(0, Math.min(a, full - span));
    p.view = [a, a + span];
    render(p);
  }
  function showTip(e, lines) {
    tip.textContent = '';
    lines.forEach(function (l, i) { var d = document.createElement('div'); d.textContent = l; if (i === 0) d.className = 'head'; tip.appendChild(d); });
    tip.hidden = false;
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  }
  function hover(p, e) {
    var tl = p.tl, r = p.svg.getBoundingClientRect(), my = e.clientY - r.top, mx = e.clientX - r.left;
    if (mx < M.l || mx > M.l + p.geom.pw) { tip.hidden = true; return; }
    var t = timeAt(p, e.clientX);
    if (my < p.geom.top - 3) {
      var row = Math.floor((my - M.t) / ROW), s = tl.phases.filter(function (q) { return q.depth === row && q.t0 <= t && t <= q.t1; })[0];
      if (s) showTip(e, [s.name, (s.t1 - s.t0).toFixed(3) + ' ms, from ' + s.t0.toFixed(3) + ' ms']);
      else tip.hidden = true;
      return;
    }
    if (!tl.t.length) return;
    var i = Math.max(0, upper(tl.t, t) - 1);
    if (i + 1 < tl.t.length && Math.abs(tl.t[i + 1] - t) < Math.abs(tl.t[i] - t)) i++;
    var px = M.l + ((tl.t[i] - p.view[0]) / (p.view[1] - p.view[0])) * p.geom.pw;
    p.cursor.setAttribute('x1', px); p.cursor.setAttribute('x2', px);
    var S = tl.strings, op = S[tl.op[i]] || '(op unknown)', shape = S[tl.shape[i]];
    showTip(e, [
      (tl.alloc[i] ? 'alloc ' : 'free ') + op + ' [' + shape + '] ' + fmtBytes(tl.bytes[i]),
      'label: ' + tl.labels[tl.label[i]] + ' \u00b7 phase: ' + (S[tl.phase[i]] || '\u2014'),
      't = ' + tl.t[i].toFixed(3) + ' ms \u00b7 live ' + fmtBytes(tl.total[i]) + ' (' + tl.labels[tl.label[i]] + ' ' + fmtBytes(tl.live[tl.label[i]][i]) + ')',
    ]);
  }

  function attach(p) {
    var svg = p.svg, drag = null;
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var t = timeAt(p, e.clientX), f = Math.exp(e.deltaY * 0.002), a = p.view[0], b = p.view[1];
      setView(p, t - (t - a) * f, t + (b - t) * f);
    }, { passive: false });
    svg.addEventListener('mousedown', function (e) {
      if (e.button !== 0) return;
      e.preventDefault();
      drag = { x: e.clientX, t: timeAt(p, e.clientX) };
    });
    window.addEventListener('mousemove', function (e) {
      if (!drag) return;
      var r = svg.getBoundingClientRect(), a = Math.min(drag.x, e.clientX) - r.left, b = Math.max(drag.x, e.clientX) - r.left;
      a = Math.max(a, M.l); b = Math.min(b, M.l + p.geom.pw);
      p.brush.setAttribute('x', a); p.brush.setAttribute('width', Math.max(0, b - a));
    });
    window.addEventListener('mouseup', function (e) {
      if (!drag) return;
      var d = drag; drag = null;
      p.brush.setAttribute('width', 0);
      if (Math.abs(e.clientX - d.x) < 4) return;
      var t = timeAt(p, e.clientX);
      setView(p, Math.min(d.t, t), Math.max(d.t, t));
    });
    svg.addEventListener('mousemove', function (e) { if (!drag) hover(p, e); });
    svg.addEventListener('mouseleave', function () { tip.hidden = true; p.cursor.setAttribute('x1', -10); p.cursor.setAttribute('x2', -10); });
    svg.addEventListener('dblclick', function () { setView(p, 0, p.tl.end); });
    p.node.querySelector('button.reset').addEventListener('click', function () { setView(p, 0, p.tl.end); });
  }

  var legend = document.getElementById('legend');
  D.labels.forEach(function (l) {
    var s = document.createElement('span');
    s.className = 'key';
    s.innerHTML = '<i></i>';
    s.firstChild.style.background = D.colors[l];
    s.appendChild(document.createTextNode(l));
    legend.appendChild(s);
  });
  var grid = document.getElementById('panels');
  D.timelines.forEach(function (tl, n) {
    expand(tl);
    var node = document.createElement('section');
    node.className = 'panel';
    node.dataset.method = tl.method;
    var h = document.createElement('h2');
    h.textContent = tl.method;
    var sub = document.createElement('span');
    sub.className = 'peak';
    sub.textContent = tl.summary;
    h.appendChild(sub);
    var btn = document.createElement('button');
    btn.className = 'reset';
    btn.textContent = 'Reset zoom';
    h.appendChild(btn);
    node.appendChild(h);
    if (tl.dropped.events > 0) {
      var w = document.createElement('p');
      w.className = 'dropped';
      w.textContent = 'The bounded trace dropped its ' + tl.dropped.events + ' oldest events (until ' + tl.dropped.untilMs.toFixed(1) + ' ms).';
      node.appendChild(w);
    }
    var svg = el('svg', { class: 'chart', width: '100%' }, node);
    grid.appendChild(node);
    var p = { id: n, tl: tl, node: node, svg: svg, view: [0, tl.end] };
    panels.push(p);
    attach(p);
  });
  panels.forEach(render);
  shared.addEventListener('change', function () { panels.forEach(render); });
  document.getElementById('reset-all').addEventListener('click', function () { panels.forEach(function (p) { setView(p, 0, p.tl.end); }); });
  var pending = 0;
  window.addEventListener('resize', function () { cancelAnimationFrame(pending); pending = requestAnimationFrame(function () { panels.forEach(render); }); });
  function panel(m) { for (var i = 0; i < panels.length; i++) if (panels[i].tl.method === m) return panels[i]; throw new Error('no panel ' + m); }
  window.sympodeReport = {
    methods: panels.map(function (p) { return p.tl.method; }),
    view: function (m) { return panel(m).view.slice(); },
    zoom: function (m, a, b) { var p = panel(m); setView(p, a, b); return p.view.slice(); },
    reset: function (m) { var p = panel(m); setView(p, 0, p.tl.end); },
  };
  document.body.dataset.ready = '1';
})();
`;
