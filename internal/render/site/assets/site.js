// The script of a site aumo renders from an export: the search over
// titles and text, and the issue table's sorting and filters. It runs on
// index.html only and needs nothing but the page and search-index.js,
// which sets window.AUMO_SEARCH. The page reads whole without it.
//
// The index's URL may hold a search or filters, after # or ?:
//   index.html#q=word   index.html?q=word   index.html#project=DEMO&status=Done
(function () {
  'use strict';

  var MAX_RESULTS = 100;

  function byId(id) { return document.getElementById(id); }

  // fold makes text comparable: lower case, accents dropped.
  function fold(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').normalize('NFC').toLowerCase();
  }

  // foldMap folds s and maps each code unit of the result back to where
  // it came from in s.
  function foldMap(s) {
    var out = '';
    var at = [];
    for (var i = 0; i < s.length;) {
      var cp = s.codePointAt(i);
      var ch = String.fromCodePoint(cp);
      var f = fold(ch);
      out += f;
      for (var j = 0; j < f.length; j++) { at.push(i); }
      i += ch.length;
    }
    at.push(s.length);
    return { text: out, at: at };
  }

  // params are the search and filters the URL asks for: the fragment's,
  // else the query's.
  function params() {
    var hash = location.hash.replace(/^#/, '');
    if (hash.indexOf('=') >= 0) { return new URLSearchParams(hash); }
    return new URLSearchParams(location.search);
  }

  // ---- Search ----

  var records = window.AUMO_SEARCH || [];
  var folded = null;

  function prepare() {
    if (folded) { return; }
    folded = records.map(function (r) {
      return { head: fold((r.k || '') + ' ' + r.t), text: fold(r.x || '') };
    });
  }

  function terms(q) { return fold(q).split(/\s+/).filter(Boolean); }

  // find ranks the records that hold every term: in the title or key
  // first, then in the text; ties in the export's order.
  function find(ts) {
    prepare();
    var hits = [];
    for (var i = 0; i < records.length; i++) {
      var f = folded[i];
      var score = 0;
      for (var j = 0; j < ts.length; j++) {
        if (f.head.indexOf(ts[j]) >= 0) { score += 10; } else if (f.text.indexOf(ts[j]) >= 0) { score += 1; } else { score = -1; break; }
      }
      if (score >= 0) { hits.push({ r: records[i], score: score }); }
    }
    hits.sort(function (a, b) { return b.score - a.score || a.r.o - b.r.o; });
    return hits;
  }

  // appendMarked writes s into el with the terms marked.
  function appendMarked(el, s, ts) {
    var m = foldMap(s);
    var marks = [];
    ts.forEach(function (t) {
      for (var i = m.text.indexOf(t); i >= 0; i = m.text.indexOf(t, i + t.length)) {
        marks.push([m.at[i], m.at[i + t.length]]);
      }
    });
    marks.sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0;
    marks.forEach(function (r) {
      if (r[0] < pos) { return; }
      el.appendChild(document.createTextNode(s.slice(pos, r[0])));
      var mark = document.createElement('mark');
      mark.textContent = s.slice(r[0], r[1]);
      el.appendChild(mark);
      pos = r[1];
    });
    el.appendChild(document.createTextNode(s.slice(pos)));
  }

  // snippet is the text around the first term the text holds.
  function snippet(text, ts) {
    var m = foldMap(text);
    var at = -1;
    for (var i = 0; i < ts.length && at < 0; i++) { at = m.text.indexOf(ts[i]); }
    var start = at < 0 ? 0 : Math.max(0, m.at[at] - 60);
    var s = text.slice(start, start + 200);
    return (start > 0 ? '…' : '') + s + (start + 200 < text.length ? '…' : '');
  }

  function showResults(q) {
    var section = byId('search-results');
    var list = byId('results');
    var heading = byId('results-heading');
    if (!section || !list) { return; }
    var ts = terms(q);
    list.textContent = '';
    if (!ts.length) { section.hidden = true; return; }
    var hits = find(ts);
    heading.textContent = hits.length === 0 ? 'No results for “' + q + '”'
      : hits.length + (hits.length === 1 ? ' result' : ' results') + ' for “' + q + '”' +
        (hits.length > MAX_RESULTS ? ' (the first ' + MAX_RESULTS + ' shown)' : '');
    hits.slice(0, MAX_RESULTS).forEach(function (h) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = h.r.u;
      appendMarked(a, (h.r.k ? h.r.k + ': ' : '') + h.r.t, ts);
      li.appendChild(a);
      if (h.r.w) {
        var where = document.createElement('span');
        where.className = 'where';
        where.textContent = h.r.w;
        li.appendChild(where);
      }
      if (h.r.x) {
        var p = document.createElement('p');
        p.className = 'snippet';
        appendMarked(p, snippet(h.r.x, ts), ts);
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    section.hidden = false;
  }

  function setHash(p) {
    var s = p.toString();
    history.replaceState(null, '', s ? '#' + s : location.href.split('#')[0]);
  }

  var box = byId('q');
  if (box) {
    var form = box.form;
    var timer = 0;
    box.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var p = params();
        if (box.value) { p.set('q', box.value); } else { p.delete('q'); }
        setHash(p);
        showResults(box.value);
      }, 120);
    });
    if (form) {
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        clearTimeout(timer);
        var p = params();
        p.set('q', box.value);
        setHash(p);
        showResults(box.value);
        var first = byId('results').querySelector('a');
        if (first) { first.focus(); }
      });
    }
  }

  // ---- The issue table ----

  var table = byId('issue-table');
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var rowText = null; // each row's text, folded, by row: sorting moves rows
  var filterBox = byId('filter');
  var selects = Array.prototype.slice.call(document.querySelectorAll('#table-controls select'));

  function cellKey(row, col) {
    var cell = row.cells[col];
    return cell.getAttribute('data-sort') || cell.textContent;
  }

  function sortBy(th, col) {
    var up = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    rows.sort(function (a, b) {
      var d = cellKey(a, col).localeCompare(cellKey(b, col), undefined, { numeric: true, sensitivity: 'base' });
      return (up ? d : -d) || cellKey(a, 0).localeCompare(cellKey(b, 0));
    });
    var body = table.tBodies[0];
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function filterRows() {
    if (!rowText) {
      rowText = new Map();
      rows.forEach(function (r) { rowText.set(r, fold(r.textContent)); });
    }
    var ts = terms(filterBox ? filterBox.value : '');
    var shown = 0;
    rows.forEach(function (r) {
      var ok = ts.every(function (t) { return rowText.get(r).indexOf(t) >= 0; }) &&
        selects.every(function (s) { return !s.value || r.getAttribute('data-' + s.getAttribute('data-field')) === s.value; });
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    var out = byId('shown');
    if (out) { out.textContent = 'Showing ' + shown + ' of ' + rows.length + ' issues'; }
  }

  function filtersFromURL() {
    var p = params();
    selects.forEach(function (s) {
      var v = p.get(s.getAttribute('data-field'));
      if (v !== null && Array.prototype.some.call(s.options, function (o) { return o.value === v; })) { s.value = v; }
    });
    filterRows();
  }

  if (table) {
    byId('table-controls').hidden = false;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = th.textContent;
      b.title = 'Sort by ' + th.textContent;
      b.addEventListener('click', function () { sortBy(th, col); });
      th.textContent = '';
      th.appendChild(b);
    });
    if (filterBox) { filterBox.addEventListener('input', filterRows); }
    selects.forEach(function (s) {
      s.addEventListener('change', function () {
        var p = params();
        if (s.value) { p.set(s.getAttribute('data-field'), s.value); } else { p.delete(s.getAttribute('data-field')); }
        setHash(p);
        filterRows();
      });
    });
  }

  function fromURL() {
    var q = params().get('q') || '';
    if (box && box.value !== q) { box.value = q; }
    showResults(q);
    if (table) { filtersFromURL(); }
  }

  window.addEventListener('hashchange', fromURL);
  fromURL();
}());
