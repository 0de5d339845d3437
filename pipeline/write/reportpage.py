"""report.html's page: the HTML skeleton, its style and its script, which builds every part of the
page from the embedded JSON (write/htmlreport.py) with textContent only, never markup from data."""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@POLICY@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>storysift report</title>
<style>@STYLE@</style>
</head>
<body data-ready="0">
<header>
  <h1>storysift report <span id="version" class="version"></span></h1>
  <nav><a href="#overview">Overview</a> <a href="#rules">Rules</a> <a href="#sites">Sites</a>
    <a href="#events">Events</a> <a href="#stories-section">Stories</a> <a href="#documents">Documents</a></nav>
  <div class="search"><input id="search" type="search" placeholder="Search titles and ids" autocomplete="off">
    <div id="search-results" hidden></div></div>
</header>
<p id="stopped" class="warn" hidden></p>
<main>
<section id="overview" class="cards"></section>
<section id="rules"><h2>Removals per rule</h2><div id="rules-chart" class="chart"></div>
  <p class="note">Every rule that removed something, in any stage; click a rule for what it removed.</p>
  <div class="scroll"><table id="rules-table" class="sortable"></table></div></section>
<section id="sites"><h2>Sites</h2><p id="sites-note" class="note"></p><div class="scroll"><table id="sites-table" class="sortable"></table></div></section>
<section class="pair" id="events">
  <div><h2>Story sizes</h2><p class="note">How many pages (copies) each distinct story has.</p><div id="sizes-chart" class="chart"></div></div>
  <div><h2>Events</h2><p class="note">How many distinct stories cover each event; the events with the most stories below, each opening to its stories.</p><div id="events-chart" class="chart"></div><div id="events-list"></div></div>
</section>
<section id="stories-section"><h2>Stories</h2><p id="stories-note" class="note"></p><div id="stories"></div></section>
<section id="documents"><h2>Document</h2><p id="views-note" class="note"></p>
  <label>Document <select id="doc-select"></select></label>
  <div id="doc-meta" class="note"></div>
  <div id="doc-elements"></div>
  <div class="sidebyside">
    <div><h3>Original: the text the rules saw</h3><pre id="doc-original" class="doc"></pre></div>
    <div><h3>Clean text</h3><pre id="doc-clean" class="doc"></pre><div id="doc-later"></div></div>
  </div>
</section>
</main>
<script type="application/json" id="report-data">@DATA@</script>
<script>@SCRIPT@</script>
</body>
</html>
"""

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
header { background: #1d3557; color: #fff; padding: 10px 24px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px;
  position: sticky; top: 0; z-index: 2; }
header h1 { margin: 0; font-size: 20px; }
header .version { font-size: 12px; font-weight: normal; opacity: 0.75; }
header nav a { color: #dbe7f3; margin-right: 10px; text-decoration: none; }
header nav a:hover { text-decoration: underline; }
.search { position: relative; margin-left: auto; }
#search { width: 320px; padding: 5px 8px; border-radius: 4px; border: 0; font: inherit; }
#search-results { position: absolute; right: 0; top: 34px; width: 520px; max-height: 420px; overflow: auto; background: #fff;
  color: #1d232a; border: 1px solid #dde1e6; border-radius: 6px; box-shadow: 0 6px 18px rgba(0,0,0,0.15); padding: 4px 0; }
#search-results button { display: block; width: 100%; text-align: left; background: none; border: 0; padding: 4px 12px;
  font: inherit; cursor: pointer; }
#search-results button:hover, #search-results button:focus { background: #eef3f8; }
.kind { display: inline-block; min-width: 4.5em; color: #5c6670; font-size: 12px; }
main { padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 16px; margin: 14px 0; scroll-margin-top: 70px; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.note { color: #5c6670; margin: 4px 0 8px; }
.warn { background: #fff3cd; color: #5c4400; padding: 6px 10px; border-radius: 4px; margin: 8px 24px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; background: none; border: 0; padding: 0; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 24px; }
.card span { color: #5c6670; }
#events-list { max-height: 420px; overflow: auto; margin-top: 8px; }
.scroll { max-height: 520px; overflow: auto; }
.scroll th { position: sticky; top: 0; background: #fff; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.chart svg { display: block; max-width: 100%; }
.chart text { font: 12px system-ui, sans-serif; fill: #1d232a; }
.bar { fill: #457b9d; }
.bar:hover { fill: #1d3557; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceff2; vertical-align: top; }
th { color: #5c6670; font-weight: 600; }
.sortable th { cursor: pointer; user-select: none; }
.sortable th:hover { color: #1d3557; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.samples td { background: #fbfbfc; }
.sample { margin: 4px 0 8px; }
.sample pre { white-space: pre-wrap; margin: 2px 0 0; font: 12px/1.45 ui-monospace, monospace; }
details > summary { cursor: pointer; }
.story, .event { border-top: 1px solid #eceff2; padding: 6px 0; }
.story .size, .event .size { display: inline-block; min-width: 2.5em; font-weight: 600; color: #1d3557; }
.story-body { margin: 6px 0 6px 2.5em; }
.canonical { white-space: pre-wrap; font: 13px/1.5 ui-monospace, monospace; background: #fbfbfc; border: 1px solid #eceff2;
  padding: 8px; max-height: 320px; overflow: auto; margin: 4px 0 10px; }
.copy { border-left: 3px solid #a8c5da; padding: 2px 0 2px 10px; margin: 8px 0; }
.diff { font: 12px/1.5 ui-monospace, monospace; white-space: pre-wrap; margin: 2px 0; }
.diff .del, del { background: #fde2e2; color: #7a1f1f; text-decoration: line-through; }
.diff .ins, ins { background: #ddf4e4; color: #14532d; text-decoration: none; }
.flash { animation: flash 1.5s ease-out; scroll-margin-top: 70px; }
@keyframes flash { from { background: #fff3cd; } to { background: transparent; } }
.id { font-family: ui-monospace, monospace; font-size: 12px; color: #5c6670; }
button.link { background: none; border: 0; padding: 0; color: #1d6fb8; cursor: pointer; font: inherit; text-decoration: underline; text-align: left; }
.sidebyside { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-top: 8px; }
pre.doc { white-space: pre-wrap; word-wrap: break-word; font: 13px/1.5 ui-monospace, monospace; background: #fbfbfc;
  border: 1px solid #eceff2; padding: 8px; margin: 0; max-height: 1200px; overflow: auto; }
.seg { display: block; }
.seg:empty { min-height: 1.5em; }
.removed { background: #fde2e2; color: #7a1f1f; }
pre .removed { border-left: 3px solid #c0392b; padding-left: 6px; }
.rule { display: inline-block; background: #c0392b; color: #fff; font: 11px/1.6 ui-monospace, monospace; padding: 0 5px;
  border-radius: 3px; margin: 4px 0 2px; text-decoration: none; }
.removed-list li { margin: 2px 0; }
select { max-width: 60%; }
/* Right-to-left page text takes its direction from its own paragraph and cannot reorder the report's text. */
pre.doc, .seg { unicode-bidi: plaintext; }
.id, td, summary, li span, option, #doc-meta { unicode-bidi: isolate; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    return node;
  }
  function fmt(n) { return (n === null || n === undefined) ? "-" : Number(n).toLocaleString("en-US"); }

  // Bidirectional embedding, override and isolate controls in page text would reorder what is
  // shown around them (a spoofed file name, a reversed URL): each is shown as its code point,
  // in what is on the page at load and in every node added later (stories opened, search).
  var BIDI = /[\u202A-\u202E\u2066-\u2069]/, BIDI_ALL = /[\u202A-\u202E\u2066-\u2069]/g;
  function codePoint(c) { return "[U+" + c.charCodeAt(0).toString(16).toUpperCase() + "]"; }
  function inert(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      if (BIDI.test(root.data)) root.data = root.data.replace(BIDI_ALL, codePoint);
      return;
    }
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      if (BIDI.test(node.data)) node.data = node.data.replace(BIDI_ALL, codePoint);
    }
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) { change.addedNodes.forEach(inert); });
  }).observe(document.body, {childList: true, subtree: true});
  function pct(x) { return (100 * x).toFixed(1) + " %"; }
  function linkButton(text, action) {
    var button = el("button", text, "link");
    button.type = "button";
    button.addEventListener("click", action);
    return button;
  }
  function flash(node) {
    node.classList.remove("flash");
    void node.offsetWidth;  // restart the animation
    node.classList.add("flash");
    node.scrollIntoView({block: "start"});
  }

  // Horizontal bars, one per [label, value]: the labels are text nodes, never markup.
  function barChart(container, rows, unit) {
    if (!rows.length) { container.appendChild(el("p", "Nothing to chart.", "note")); return; }
    var labelWidth = 260, barWidth = 520, rowHeight = 22, max = 1;
    rows.forEach(function (r) { if (r[1] > max) max = r[1]; });
    var chart = svg("svg", {width: labelWidth + barWidth + 70, height: rows.length * rowHeight + 6,
                            role: "img", "class": "bars"});
    rows.forEach(function (r, i) {
      var y = i * rowHeight + 3, w = Math.max(2, Math.round(barWidth * r[1] / max));
      var label = svg("text", {x: labelWidth - 8, y: y + 15, "text-anchor": "end"});
      var name = String(r[0]);
      label.textContent = name.length > 40 ? name.slice(0, 39) + "\u2026" : name;
      var bar = svg("rect", {x: labelWidth, y: y + 2, width: w, height: rowHeight - 6, "class": "bar"});
      var tip = svg("title", {});
      tip.textContent = name + ": " + fmt(r[1]) + " " + unit;
      bar.appendChild(tip);
      var value = svg("text", {x: labelWidth + w + 6, y: y + 15});
      value.textContent = fmt(r[1]);
      chart.appendChild(label); chart.appendChild(bar); chart.appendChild(value);
    });
    container.appendChild(chart);
  }

  // Vertical columns for a distribution [[x, count], ...].
  function columnChart(container, rows, xLabel, yLabel) {
    if (!rows.length) { container.appendChild(el("p", "No stories (the dedup stage did not run).", "note")); return; }
    var colWidth = Math.max(18, Math.min(60, Math.floor(480 / rows.length))), height = 160, max = 1;
    rows.forEach(function (r) { if (r[1] > max) max = r[1]; });
    var width = Math.max(rows.length * colWidth + 60, 240);  // room for the axis label
    var chart = svg("svg", {width: width, height: height + 60, role: "img", "class": "columns"});
    rows.forEach(function (r, i) {
      var h = Math.max(2, Math.round((height - 20) * r[1] / max)), x = 40 + i * colWidth;
      var bar = svg("rect", {x: x + 2, y: height - h, width: colWidth - 4, height: h, "class": "bar"});
      var tip = svg("title", {});
      tip.textContent = fmt(r[1]) + " " + yLabel + " at " + r[0] + " " + xLabel;
      bar.appendChild(tip);
      var count = svg("text", {x: x + colWidth / 2, y: height - h - 4, "text-anchor": "middle"});
      count.textContent = fmt(r[1]);
      var tick = svg("text", {x: x + colWidth / 2, y: height + 16, "text-anchor": "middle"});
      tick.textContent = String(r[0]);
      chart.appendChild(bar); chart.appendChild(count); chart.appendChild(tick);
    });
    var axis = svg("text", {x: 40, y: height + 40});
    axis.textContent = xLabel + " \u2192";
    chart.appendChild(axis);
    container.appendChild(chart);
  }

  // A table of rows whose columns sort on a click of their heading; `cells(row)` gives the cells.
  function sortableTable(table, columns, rows, cells) {
    var order = rows.slice(), sortBy = -1, descending = false;
    function draw() {
      while (table.firstChild) table.removeChild(table.firstChild);
      var head = el("tr");
      columns.forEach(function (c, i) {
        var th = el("th", c.title + (i === sortBy ? (descending ? " \u25be" : " \u25b4") : ""), c.num ? "num" : "");
        th.addEventListener("click", function () {
          descending = sortBy === i ? !descending : !!c.num;
          sortBy = i;
          order.sort(function (a, b) {
            var x = c.key(a), y = c.key(b), d = x < y ? -1 : x > y ? 1 : 0;
            return descending ? -d : d;
          });
          draw();
        });
        head.appendChild(th);
      });
      table.appendChild(head);
      order.forEach(function (row) { cells(row).forEach(function (tr) { table.appendChild(tr); }); });
    }
    draw();
  }

  function renderCounts() {
    var c = data.counts, box = document.getElementById("overview");
    document.getElementById("version").textContent = "storysift " + data.version;
    [["documents read", c.read], ["written", c.written], ["rejected", c.rejected], ["skipped by design", c.skipped],
     ["removals", c.removals], ["distinct stories", c.stories], ["events", c.events]].forEach(function (pair) {
      var card = el("div", null, "card");
      card.appendChild(el("b", fmt(pair[1])));
      card.appendChild(el("span", pair[0]));
      box.appendChild(card);
    });
    [["reject reasons", data.reject_reasons], ["skip reasons", data.skip_reasons]].forEach(function (pair) {
      if (!pair[1].length) return;
      var card = el("div", null, "card");
      card.appendChild(el("span", pair[0]));
      var list = el("ul");
      pair[1].forEach(function (r) { list.appendChild(el("li", r[0] + ": " + fmt(r[1]))); });
      card.appendChild(list);
      box.appendChild(card);
    });
    if (data.stopped) {
      var stopped = document.getElementById("stopped");
      stopped.textContent = data.stopped;
      stopped.hidden = false;
    }
  }

  var viewIndex = {};
  data.views.forEach(function (v, i) { viewIndex[v.id + "\t" + v.source] = i; });
  var viewById = {};
  data.views.forEach(function (v, i) { if (!(v.id in viewById)) viewById[v.id] = i; });

  // A document id: a button to its view when it has one, else text.
  function docCell(id, source) {
    var i = source === undefined ? viewById[id] : viewIndex[id + "\t" + source];
    if (i === undefined) return el("span", id);
    return linkButton(id, function () { showDoc(i, true); });
  }

  var ruleToggles = {};

  function renderRules() {
    // An imported filter list can bring thousands of rules: the chart shows the most frequent.
    var MAX_CHART_RULES = 40, shown = data.rules.slice(0, MAX_CHART_RULES);
    if (data.rules.length > MAX_CHART_RULES) {
      var rest = 0;
      data.rules.slice(MAX_CHART_RULES).forEach(function (r) { rest += r[1]; });
      shown.push(["(" + fmt(data.rules.length - MAX_CHART_RULES) + " other rules)", rest]);
    }
    barChart(document.getElementById("rules-chart"), shown, "removals");
    var columns = [
      {title: "rule", key: function (r) { return r[0]; }},
      {title: "removals", num: true, key: function (r) { return r[1]; }},
      {title: "documents", num: true, key: function (r) { return r[2]; }},
      {title: "sites", num: true, key: function (r) { return r[3]; }},
      {title: "what it removes", key: function (r) { return r[4] || ""; }}];
    sortableTable(document.getElementById("rules-table"), columns, data.rule_rows, function (r) {
      var row = el("tr"), name = el("td"), open = null;
      row.id = "rule-" + r[0];
      ruleToggles[r[0]] = function () {
        if (open) { open.remove(); open = null; return; }
        open = el("tr", null, "samples");
        var cell = el("td");
        cell.colSpan = 5;
        cell.appendChild(el("p", "What it removed, from " + Math.min(r[5].length, r[2]) + " of its " + fmt(r[2]) +
                            " documents (other sites first):", "note"));
        r[5].forEach(function (sample) {
          var box = el("div", null, "sample");
          box.appendChild(docCell(sample[0]));
          box.appendChild(el("span", " \u00b7 " + sample[1], "id"));
          box.appendChild(el("pre", sample[2], "removed"));
          cell.appendChild(box);
        });
        open.appendChild(cell);
        row.after(open);
      };
      name.appendChild(linkButton(r[0], function () { ruleToggles[r[0]](); }));
      row.appendChild(name);
      row.appendChild(el("td", fmt(r[1]), "num")); row.appendChild(el("td", fmt(r[2]), "num"));
      row.appendChild(el("td", fmt(r[3]), "num"));
      row.appendChild(el("td", r[4] || (r[0].indexOf("corpus.") === 0 ? "found by the corpus stage across pages" : "")));
      return [row];
    });
  }

  function renderSites() {
    var s = data.sites, note = fmt(s.total) + " sites (a record's site field, else its URL's host)";
    if (s.listed.length < s.total) note += "; the " + fmt(s.listed.length) + " with the most pages are listed";
    note += ". Shares are of the words a page had (kept + removed); template: removed by site-template rules.";
    document.getElementById("sites-note").textContent = note;
    var columns = [
      {title: "site", key: function (r) { return r[0]; }},
      {title: "pages", num: true, key: function (r) { return r[1]; }},
      {title: "words kept", num: true, key: function (r) { return r[2]; }},
      {title: "removed", num: true, key: function (r) { return r[3]; }},
      {title: "template share", num: true, key: function (r) { return r[4]; }},
      {title: "top removals", key: function (r) { return r[5].length ? r[5][0][0] : ""; }}];
    sortableTable(document.getElementById("sites-table"), columns, s.listed, function (r) {
      var row = el("tr"), top = el("td");
      row.id = "site-" + r[0];
      row.appendChild(el("td", r[0]));
      row.appendChild(el("td", fmt(r[1]), "num")); row.appendChild(el("td", fmt(r[2]), "num"));
      row.appendChild(el("td", pct(r[3]), "num")); row.appendChild(el("td", pct(r[4]), "num"));
      r[5].forEach(function (pair, i) {
        if (i) top.appendChild(document.createTextNode(", "));
        top.appendChild(linkButton(pair[0], function () { openRule(pair[0]); }));
        top.appendChild(document.createTextNode(" " + fmt(pair[1])));
      });
      row.appendChild(top);
      return [row];
    });
  }

  function openRule(rule) {  // its row, with its samples shown
    var row = document.getElementById("rule-" + rule);
    if (!row) return;
    if (!(row.nextSibling && row.nextSibling.className === "samples")) ruleToggles[rule]();
    flash(row);
  }

  var storyNodes = {};

  function renderDiff(box, diff) {
    if (!diff.hunks.length) { box.appendChild(el("p", "The same text as the canonical copy.", "note")); return; }
    diff.hunks.forEach(function (h) {
      var line = el("div", null, "diff");
      if (h[0] === "~") {
        h[1].forEach(function (run) {
          var tag = run[0] === "=" ? "span" : run[0] === "-" ? "del" : "ins";
          line.appendChild(el(tag, run[1]));
          line.appendChild(document.createTextNode(" "));
        });
      } else {
        line.appendChild(el("span", (h[0] === "-" ? "\u2212 " : "+ ") + h[1], h[0] === "-" ? "del" : "ins"));
      }
      box.appendChild(line);
    });
    var tail = fmt(diff.same) + " line" + (diff.same === 1 ? "" : "s") + " the same";
    if (diff.cut) tail += "; the differences are cut here";
    box.appendChild(el("p", tail + ".", "note"));
  }

  function storyBody(story) {
    var body = el("div", null, "story-body");
    if (story.text !== undefined) {
      body.appendChild(el("h3", "Canonical text (" + story.canonical + ")"));
      body.appendChild(el("div", story.text + (story.text_cut ? "\n[...]" : ""), "canonical"));
    }
    var table = el("table"), head = el("tr");
    ["copy", "source", "similarity to the canonical copy"].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    story.members.forEach(function (m) {
      var row = el("tr"), cell = el("td");
      cell.appendChild(docCell(m[0], m[1]));
      if (m[0] === story.canonical) cell.appendChild(el("span", " (canonical)", "id"));
      row.appendChild(cell); row.appendChild(el("td", m[1], "id")); row.appendChild(el("td", m[2]));
      table.appendChild(row);
    });
    body.appendChild(table);
    if (story.members.length < story.size)
      body.appendChild(el("p", "First " + story.members.length + " of " + story.size + " copies.", "note"));
    var diffed = story.members.filter(function (m) { return m.length > 3; });
    if (diffed.length) {
      body.appendChild(el("h3", "How each copy differs from the canonical text"));
      diffed.forEach(function (m) {
        var copy = el("div", null, "copy");
        var title = el("div");
        title.appendChild(docCell(m[0], m[1]));
        title.appendChild(el("span", " \u00b7 similarity " + m[2], "id"));
        copy.appendChild(title);
        renderDiff(copy, m[3]);
        body.appendChild(copy);
      });
    } else if (story.text === undefined && story.size > 1) {
      body.appendChild(el("p", "Texts and differences are shown for the " + data.stories.with_texts + " largest stories.", "note"));
    }
    return body;
  }

  function renderStories() {
    var s = data.stories, box = document.getElementById("stories");
    if (!s) {
      document.getElementById("stories-note").textContent = "The dedup stage did not run: no stories.";
      columnChart(document.getElementById("sizes-chart"), [], "", "");
      columnChart(document.getElementById("events-chart"), [], "", "");
      return;
    }
    columnChart(document.getElementById("sizes-chart"), s.sizes, "pages per story", "stories");
    columnChart(document.getElementById("events-chart"), s.event_sizes, "stories per event", "events");
    var note = fmt(s.total) + " distinct stories, largest first; a story opens to its copies and how each differs from the canonical text.";
    if (s.listed.length < s.total) note += " Only the " + fmt(s.listed.length) + " largest are listed.";
    document.getElementById("stories-note").textContent = note;
    s.listed.forEach(function (story) {
      var item = el("details", null, "story");
      item.dataset.story = story.story;
      var summary = el("summary");
      summary.appendChild(el("span", story.size, "size"));
      summary.appendChild(document.createTextNode(" " + (story.title || story.canonical || story.story) + " "));
      summary.appendChild(el("span", story.story + " \u00b7 " + story.event, "id"));
      item.appendChild(summary);
      item.addEventListener("toggle", function () {  // built when first opened: a large page stays quick
        if (item.open && item.childNodes.length === 1) item.appendChild(storyBody(story));
      });
      storyNodes[story.story] = item;
      box.appendChild(item);
    });
    renderEvents(s);
  }

  function openStory(id) {
    var item = storyNodes[id];
    if (!item) return false;
    item.open = true;
    flash(item);
    return true;
  }

  var eventNodes = {};

  function renderEvents(s) {
    var eventsBox = document.getElementById("events-list");
    s.events.forEach(function (e) {
      var item = el("details", null, "event"), summary = el("summary");
      var first = e[2].length ? e[2][0][1] : null;
      summary.appendChild(el("span", fmt(e[1]), "size"));
      summary.appendChild(document.createTextNode(" " + (first || e[0]) + " "));
      summary.appendChild(el("span", e[0], "id"));
      item.appendChild(summary);
      var list = el("ul");
      e[2].forEach(function (story) {
        var li = el("li");
        var label = (story[1] || story[0]) + " (" + story[2] + " page" + (story[2] === 1 ? "" : "s") + ")";
        li.appendChild(storyNodes[story[0]] ? linkButton(label, function () { openStory(story[0]); }) : el("span", label));
        li.appendChild(el("span", " " + story[0], "id"));
        list.appendChild(li);
      });
      item.appendChild(list);
      if (e[2].length < e[1]) item.appendChild(el("p", "The " + e[2].length + " largest of its " + e[1] + " stories.", "note"));
      eventNodes[e[0]] = item;
      eventsBox.appendChild(item);
    });
    if (s.events.length < s.events_total)
      eventsBox.appendChild(el("p", "The " + s.events.length + " events with the most stories of " + fmt(s.events_total) + ".", "note"));
  }

  function removedList(title, rows) {
    var box = el("div");
    if (!rows || !rows.length) return box;
    box.appendChild(el("h3", title));
    var list = el("ul", null, "removed-list");
    rows.forEach(function (r) {
      var li = el("li");
      li.appendChild(el("span", r[0], "rule"));
      li.appendChild(el("span", " " + r[1], "removed"));
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  function replace(id, node) {
    var old = document.getElementById(id);
    while (old.firstChild) old.removeChild(old.firstChild);
    if (node) old.appendChild(node);
    return old;
  }

  function showDoc(i, scroll) {
    var v = data.views[i];
    document.getElementById("doc-select").value = String(i);
    var meta = v.id + " \u00b7 " + v.kind + " \u00b7 " + v.site + " \u00b7 " + v.source;
    if (v.story) meta += " \u00b7 story " + v.story + (v.copy_of ? " (a copy of " + v.copy_of + ")" : " (canonical)");
    if (v.excluded) meta += " \u00b7 not clustered: " + v.excluded;
    replace("doc-meta", document.createTextNode(meta));
    if (v.story && storyNodes[v.story])
      document.getElementById("doc-meta").appendChild(linkButton(" \u2192 the story", function () { openStory(v.story); }));
    replace("doc-elements", removedList("HTML elements removed before extraction", v.elements));
    var original = replace("doc-original", null);
    v.segments.forEach(function (seg) {
      if (seg[0] === null) { original.appendChild(el("span", seg[1], "seg")); return; }
      var block = el("span", null, "seg removed");
      block.dataset.rule = seg[0];
      original.appendChild(el("span", seg[0], "rule"));
      block.textContent = seg[1];
      original.appendChild(block);
    });
    if (!v.segments.length) original.appendChild(el("span", "(no text)", "note"));
    if (v.truncated) original.appendChild(el("span", "[cut at " + fmt(data.max_view_chars) + " characters]", "note"));
    var clean = replace("doc-clean", document.createTextNode(v.clean === undefined ? "" : v.clean));
    if (v.clean_truncated) clean.appendChild(el("span", "\n[cut at " + fmt(data.max_view_chars) + " characters]", "note"));
    replace("doc-later", removedList("Removed from the clean text later (repeated across stories)", v.later));
    if (scroll) document.getElementById("doc-select").scrollIntoView();
  }

  function renderViews() {
    var select = document.getElementById("doc-select");
    var note = data.views.length + " of " + fmt(data.documents_written) + " documents written have a view";
    if (data.views.length < data.documents_written) {
      note += data.views_sample === "sites" ? " (up to " + data.views_limit + " spread over the sites, the first of each"
                                            : " (the first " + data.views_limit;
      if (data.views_asked.length) note += ", and " + data.views_asked.length + " asked for by id";
      note += "; storysift run --report-docs N, --report-sample, --report-doc ID choose others)";
    }
    note += ". Removed lines are shown in red, under the id of the rule that removed them.";
    document.getElementById("views-note").textContent = note;
    data.views.forEach(function (v, i) {
      var option = el("option", v.id + (v.title ? " \u2014 " + v.title : ""));
      option.value = String(i);
      select.appendChild(option);
    });
    select.addEventListener("change", function () { showDoc(Number(select.value), false); });
    if (!data.views.length) return;
    var wanted = /^#doc-(\d+)$/.exec(location.hash);
    var start = wanted ? Number(wanted[1]) : 0;
    showDoc(start < data.views.length ? start : 0, !!wanted);
  }

  // Search over the titles and ids the page holds: stories (and their copies' ids), events,
  // sites, rules and documents with a view. The index is built on the first keystroke.
  var index = null;
  function buildIndex() {
    index = [];
    function add(kind, label, words, go) { index.push([kind, label, words.join("\n").toLowerCase(), go]); }
    ((data.stories || {}).listed || []).forEach(function (s) {
      add("story", (s.title || s.canonical || s.story) + " \u00b7 " + s.story,
          [s.title || "", s.story, s.canonical || ""].concat(s.members.map(function (m) { return m[0]; })),
          function () { openStory(s.story); });
    });
    ((data.stories || {}).events || []).forEach(function (e) {
      add("event", (e[2].length ? e[2][0][1] || e[0] : e[0]) + " \u00b7 " + e[0],
          [e[0]].concat(e[2].map(function (s) { return (s[1] || "") + "\n" + s[0]; })),
          function () { openEvent(e[0]); });
    });
    data.views.forEach(function (v, i) {
      add("document", v.id + (v.title ? " \u2014 " + v.title : ""), [v.id, v.title || "", v.source],
          function () { showDoc(i, true); });
    });
    data.sites.listed.forEach(function (r) {
      add("site", r[0], [r[0]], function () { flash(document.getElementById("site-" + r[0])); });
    });
    data.rule_rows.forEach(function (r) { add("rule", r[0], [r[0], r[4] || ""], function () { openRule(r[0]); }); });
  }

  function search(query) {
    var box = document.getElementById("search-results");
    while (box.firstChild) box.removeChild(box.firstChild);
    query = query.trim().toLowerCase();
    if (!query) { box.hidden = true; return; }
    if (!index) buildIndex();
    var terms = query.split(/\s+/), found = 0, MAX_RESULTS = 50;
    for (var i = 0; i < index.length && found < MAX_RESULTS; i++) {
      var entry = index[i];
      if (!terms.every(function (t) { return entry[2].indexOf(t) >= 0; })) continue;
      found++;
      var button = el("button");
      button.type = "button";
      button.appendChild(el("span", entry[0], "kind"));
      button.appendChild(document.createTextNode(entry[1]));
      button.addEventListener("click", (function (go) { return function () { box.hidden = true; go(); }; })(entry[3]));
      box.appendChild(button);
    }
    if (!found) box.appendChild(el("p", "Nothing found among the stories, events, documents, sites and rules listed here.", "note"));
    else if (found === MAX_RESULTS) box.appendChild(el("p", "The first " + MAX_RESULTS + " matches.", "note"));
    box.hidden = false;
  }

  function openEvent(id) {
    var item = eventNodes[id];
    if (!item) return;
    item.open = true;
    flash(item);
  }

  // Links into the page: #story-ID, #event-ID, #rule-ID, #site-NAME, #search=WORDS (#doc-N: renderViews).
  function route() {
    var hash = decodeURIComponent(location.hash.slice(1)), input = document.getElementById("search");
    var routes = [["story-", openStory], ["event-", openEvent], ["rule-", openRule],
                  ["site-", function (site) { var row = document.getElementById("site-" + site); if (row) flash(row); }],
                  ["search=", function (q) { input.value = q; search(q); }]];
    routes.forEach(function (r) { if (hash.indexOf(r[0]) === 0) r[1](hash.slice(r[0].length)); });
  }

  renderCounts();
  renderRules();
  renderSites();
  renderStories();
  renderViews();
  inert(document.body);
  route();
  window.addEventListener("hashchange", route);
  var input = document.getElementById("search"), pending = null;
  input.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { search(input.value); }, 120);
  });
  input.addEventListener("keydown", function (event) { if (event.key === "Escape") { input.value = ""; search(""); } });
  // After the load event, by which any element built from page text would have run its handler:
  // a test reads these (data-xss stays "false" unless such code ran).
  window.addEventListener("load", function () {
    document.body.dataset.xss = String(!!window.__xss);
    document.body.dataset.ready = "1";
  });
})();
"""
