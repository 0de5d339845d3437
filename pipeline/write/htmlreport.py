"""report.html: the run's report as one self-contained page (inline CSS, JS and SVG; no network):
counts, removals per rule, story sizes, events, the stories with their copies, and for the first
documents of the run the text the rules saw beside the clean text, every removal marked with its
rule. Written last by `run`, from report.json's figures, stories.jsonl and clean.jsonl.

Scraped text is data, never markup: it is embedded as JSON in a <script type="application/json">
block with `<`, `>` and `&` escaped, and the page's script writes it with textContent only. A
Content-Security-Policy allows that one script (by its hash) and no network at all. Bidirectional
embedding, override and isolate controls in it are shown as their code points ([U+202E]), never
obeyed, and page text is isolated from the report's own text around it."""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from storysift.document import Document
from storysift.write.outputs import atomic_text, dumps, writing

# Documents with a side-by-side view. Each view carries its text twice (as the rules saw it and
# clean); a news page is 5-20 KB of text, so 100 views keep the page to a few MB.
DEFAULT_REPORT_DOCS = 100
# Characters of each side of one view; a longer document is cut there, and the view says so.
MAX_VIEW_CHARS = 50_000
# Stories listed (the largest first) and members listed per story; the charts count them all.
MAX_STORIES = 1000
MAX_MEMBERS = 50
# Events listed (those with the most stories first).
MAX_EVENTS = 200


class DocumentViews:
    """Collects, while cleaning streams past, what the view of each of the first `limit`
    documents needs: the text the line rules saw and where each removal lies in it.

    With `saved` (a file in the run's work folder) each view is also appended there with its
    input position, so a run resumed after input `resume_after` keeps the views of the inputs
    it skips, and its report.html is the one an uninterrupted run writes."""

    def __init__(self, limit: int = DEFAULT_REPORT_DOCS, saved: Path | None = None, resume_after: int = 0):
        self.limit = limit
        self.saved = saved
        self.views: list[dict[str, Any]] = []
        if saved is None:
            return
        kept = []
        if resume_after and saved.is_file():
            for line in saved.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # the last line of a killed run may be cut short
                if isinstance(entry, dict) and entry.get("position", resume_after + 1) <= resume_after:
                    kept.append(entry)
        with atomic_text(saved) as stream:  # views of inputs the resumed run cleans again go
            for entry in sorted(kept, key=lambda e: e["position"]):
                stream.write(dumps(entry) + "\n")
                self.views.append(entry["view"])

    def add(self, item: object, position: int = 0) -> None:
        if not isinstance(item, Document) or len(self.views) >= self.limit:
            return
        view = view_of(item)
        self.views.append(view)
        if self.saved is not None:
            with writing(self.saved), self.saved.open("a", encoding="utf-8") as stream:
                stream.write(dumps({"position": position, "view": view}) + "\n")


def view_of(doc: Document) -> dict[str, Any]:
    """The original side of a document's view: the HTML elements removed before extraction and
    the lines the rules saw, in segments of consecutive lines kept or removed by one rule."""
    lines = doc.seen_text.split("\n") if doc.seen_text else []
    rule_of_line: list[str | None] = [None] * len(lines)
    for removal in doc.removed:
        if removal.lines is None:
            continue
        # As in `explain`: a span can hold a protected line the rule skipped; mark only the
        # lines the removal holds, and the blank lines between them (one block, one label).
        held = set(removal.text.split("\n")) | {""}
        for number in range(removal.lines[0], min(removal.lines[1], len(lines)) + 1):
            if lines[number - 1] in held and rule_of_line[number - 1] is None:
                rule_of_line[number - 1] = removal.rule
    segments: list[list[Any]] = []
    chars = 0
    truncated = False
    for line, rule in zip(lines, rule_of_line):
        if chars + len(line) > MAX_VIEW_CHARS:
            truncated = True
            break
        chars += len(line) + 1
        if segments and segments[-1][0] == rule:
            segments[-1][1] += "\n" + line
        else:
            segments.append([rule, line])
    elements = [[r.rule, _cut(r.text, 2000)] for r in doc.removed if r.lines is None]
    return {"id": doc.id, "source": doc.source, "kind": doc.kind, "title": doc.title,
            "elements": elements, "segments": segments, "truncated": truncated}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


def _records(path: Path):
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _finish_views(views: list[dict[str, Any]], clean_path: Path) -> None:
    """The clean side of each view, from clean.jsonl as dedup left it: the final text, the
    story and the corpus furniture removed from the clean text."""
    wanted = {(v["id"], v["source"]): v for v in views}
    for record in _records(clean_path):
        view = wanted.pop((str(record.get("id")), str(record.get("source"))), None)
        if view is None:
            continue
        text = record.get("text") if isinstance(record.get("text"), str) else ""
        view["clean"] = text[:MAX_VIEW_CHARS]
        view["clean_truncated"] = len(text) > MAX_VIEW_CHARS
        view["story"], view["copy_of"] = record.get("story"), record.get("copy_of")
        view["excluded"] = record.get("excluded")
        removed = record.get("removed") if isinstance(record.get("removed"), list) else []
        view["later"] = [[str(r.get("rule")), _cut(str(r.get("text")), 2000)] for r in removed
                         if isinstance(r, dict) and r.get("lines") is None and
                         [r.get("rule"), _cut(str(r.get("text")), 2000)] not in view["elements"]]
        if not wanted:
            break


def _stories(path: Path) -> dict[str, Any]:
    """Story sizes and stories per event over every story; the largest stories listed."""
    sizes: Counter[int] = Counter()
    per_event: Counter[str] = Counter()
    titles: dict[str, str] = {}
    largest: list[tuple[int, str, dict[str, Any]]] = []  # a min-heap on (size, reversed id)
    total = 0
    for record in _records(path):
        total += 1
        members = record.get("members") if isinstance(record.get("members"), list) else []
        size = int(record.get("size") or len(members))
        story, event = str(record.get("story")), str(record.get("event"))
        sizes[size] += 1
        per_event[event] += 1
        if event not in titles and record.get("title"):
            titles[event] = str(record.get("title"))
        entry = {"story": story, "event": event, "title": record.get("title"),
                 "canonical": record.get("canonical"), "size": size,
                 "members": [[str(m.get("id")), str(m.get("source")), m.get("similarity")]
                             for m in members[:MAX_MEMBERS] if isinstance(m, dict)]}
        key = (size, _reverse(story), entry)
        if len(largest) < MAX_STORIES:
            heapq.heappush(largest, key)
        elif key[:2] > largest[0][:2]:
            heapq.heapreplace(largest, key)
    listed = [entry for _, _, entry in sorted(largest, key=lambda k: (-k[0], k[2]["story"]))]
    events = sorted(per_event.items(), key=lambda item: (-item[1], item[0]))[:MAX_EVENTS]
    return {
        "total": total,
        "sizes": sorted(sizes.items()),
        "event_sizes": sorted(Counter(per_event.values()).items()),
        "events_total": len(per_event),
        "events": [[event, count, titles.get(event)] for event, count in events],
        "listed": listed,
    }


def _reverse(text: str) -> tuple[int, ...]:
    """A key that sorts strings backwards, so the heap keeps the smallest ids on equal sizes."""
    return tuple(-ord(c) for c in text)


def report_data(out_dir: Path, report: dict[str, Any], views: DocumentViews) -> dict[str, Any]:
    inputs = report.get("inputs", {})
    dedup = report.get("dedup")
    data: dict[str, Any] = {
        "counts": {"read": inputs.get("read", 0), "written": inputs.get("written", 0),
                   "rejected": inputs.get("rejected", 0),
                   "removals": sum(report.get("removals_per_rule", {}).values())},
        "rules": sorted(report.get("removals_per_rule", {}).items(), key=lambda item: (-item[1], item[0])),
        "reject_reasons": sorted(report.get("reject_reasons", {}).items(), key=lambda item: (-item[1], item[0])),
        "stopped": report.get("stopped"),
        "dedup": None,
        "views": views.views,
        "views_limit": views.limit,
        "max_view_chars": MAX_VIEW_CHARS,
        "documents_written": inputs.get("written", 0),
    }
    if isinstance(dedup, dict):
        data["counts"].update({"stories": dedup.get("distinct_stories"), "events": dedup.get("events")})
        data["dedup"] = {key: dedup.get(key) for key in ("documents", "clustered", "exact_duplicates",
                                                          "near_duplicates", "excluded")}
        data["stories"] = _stories(out_dir / "stories.jsonl")
    _finish_views(views.views, out_dir / "clean.jsonl")
    return data


def embed_json(data: Any) -> str:
    """JSON that cannot end its <script> element or open a comment: <, > and & as \\u escapes
    (JSON.parse reads them back as the same characters)."""
    text = dumps(data)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_page(data: dict[str, Any]) -> str:
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:"
    values = {"POLICY": policy, "STYLE": STYLE, "DATA": embed_json(data), "SCRIPT": SCRIPT}
    # One pass: a marker inside the data is text, never replaced in turn.
    return re.sub(r"@(POLICY|STYLE|DATA|SCRIPT)@", lambda match: values[match.group(1)], PAGE)


def write_html_report(out_dir: Path, report: dict[str, Any], views: DocumentViews) -> Path:
    """Write `out_dir`/report.html (atomically) and return its path."""
    path = out_dir / "report.html"
    page = render_page(report_data(out_dir, report, views))
    with atomic_text(path) as stream:
        stream.write(page)
    return path


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
<header><h1>storysift report</h1><p id="stopped" class="warn" hidden></p></header>
<main>
<section id="counts" class="cards"></section>
<section><h2>Removals per rule</h2><div id="rules-chart" class="chart"></div></section>
<section class="pair">
  <div><h2>Story sizes</h2><p class="note">How many pages (copies) each distinct story has.</p><div id="sizes-chart" class="chart"></div></div>
  <div><h2>Events</h2><p class="note">How many distinct stories cover each event; the events with the most stories below.</p><div id="events-chart" class="chart"></div><div id="events-list"></div></div>
</section>
<section><h2>Stories</h2><p id="stories-note" class="note"></p><div id="stories"></div></section>
<section id="document"><h2>Document</h2><p id="views-note" class="note"></p>
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
header { background: #1d3557; color: #fff; padding: 12px 24px; }
header h1 { margin: 0; font-size: 20px; }
main { padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 16px; margin: 14px 0; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.note { color: #5c6670; margin: 4px 0 8px; }
.warn { background: #fff3cd; color: #5c4400; padding: 6px 10px; border-radius: 4px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; background: none; border: 0; padding: 0; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 24px; }
.card span { color: #5c6670; }
#events-list { max-height: 320px; overflow: auto; margin-top: 8px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.chart svg { display: block; max-width: 100%; }
.chart text { font: 12px system-ui, sans-serif; fill: #1d232a; }
.bar { fill: #457b9d; }
.bar:hover { fill: #1d3557; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceff2; vertical-align: top; }
th { color: #5c6670; font-weight: 600; }
.story { border-top: 1px solid #eceff2; padding: 6px 0; }
.story summary { cursor: pointer; }
.story .size { display: inline-block; min-width: 2.5em; font-weight: 600; color: #1d3557; }
.id { font-family: ui-monospace, monospace; font-size: 12px; color: #5c6670; }
button.link { background: none; border: 0; padding: 0; color: #1d6fb8; cursor: pointer; font: inherit; text-decoration: underline; }
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
  // shown around them (a spoofed file name, a reversed URL): each is shown as its code point.
  var BIDI = /[\u202A-\u202E\u2066-\u2069]/, BIDI_ALL = /[\u202A-\u202E\u2066-\u2069]/g;
  function codePoint(c) { return "[U+" + c.charCodeAt(0).toString(16).toUpperCase() + "]"; }
  function inert(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      if (BIDI.test(node.data)) node.data = node.data.replace(BIDI_ALL, codePoint);
    }
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

  function renderCounts() {
    var c = data.counts, box = document.getElementById("counts");
    [["documents read", c.read], ["written", c.written], ["rejected", c.rejected],
     ["removals", c.removals], ["distinct stories", c.stories], ["events", c.events]].forEach(function (pair) {
      var card = el("div", null, "card");
      card.appendChild(el("b", fmt(pair[1])));
      card.appendChild(el("span", pair[0]));
      box.appendChild(card);
    });
    if (data.reject_reasons.length) {
      var card = el("div", null, "card");
      card.appendChild(el("span", "reject reasons"));
      var list = el("ul");
      data.reject_reasons.forEach(function (r) { list.appendChild(el("li", r[0] + ": " + fmt(r[1]))); });
      card.appendChild(list);
      box.appendChild(card);
    }
    if (data.stopped) {
      var stopped = document.getElementById("stopped");
      stopped.textContent = data.stopped;
      stopped.hidden = false;
    }
  }

  var viewIndex = {};
  data.views.forEach(function (v, i) { viewIndex[v.id + "\t" + v.source] = i; });

  function memberCell(id, source) {
    var i = viewIndex[id + "\t" + source];
    if (i === undefined) return el("span", id);
    var button = el("button", id, "link");
    button.type = "button";
    button.addEventListener("click", function () { showDoc(i, true); });
    return button;
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
    var eventsBox = document.getElementById("events-list");
    var table = el("table"), head = el("tr");
    ["event", "stories", "a title"].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    s.events.forEach(function (e) {
      var row = el("tr");
      row.appendChild(el("td", e[0], "id")); row.appendChild(el("td", fmt(e[1]))); row.appendChild(el("td", e[2] || ""));
      table.appendChild(row);
    });
    eventsBox.appendChild(table);
    if (s.events.length < s.events_total)
      eventsBox.appendChild(el("p", "The " + s.events.length + " events with the most stories of " + fmt(s.events_total) + ".", "note"));
    var note = fmt(s.total) + " distinct stories, largest first; click a story for its copies.";
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
      var table = el("table"), head = el("tr");
      ["copy", "source", "similarity to the canonical copy"].forEach(function (h) { head.appendChild(el("th", h)); });
      table.appendChild(head);
      story.members.forEach(function (m) {
        var row = el("tr"), cell = el("td");
        cell.appendChild(memberCell(m[0], m[1]));
        if (m[0] === story.canonical) cell.appendChild(el("span", " (canonical)", "id"));
        row.appendChild(cell); row.appendChild(el("td", m[1], "id")); row.appendChild(el("td", m[2]));
        table.appendChild(row);
      });
      item.appendChild(table);
      if (story.members.length < story.size)
        item.appendChild(el("p", "First " + story.members.length + " of " + story.size + " copies.", "note"));
      box.appendChild(item);
    });
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
    var meta = v.id + " \u00b7 " + v.kind + " \u00b7 " + v.source;
    if (v.story) meta += " \u00b7 story " + v.story + (v.copy_of ? " (a copy of " + v.copy_of + ")" : " (canonical)");
    if (v.excluded) meta += " \u00b7 not clustered: " + v.excluded;
    replace("doc-meta", document.createTextNode(meta));
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
    inert(document.getElementById("document"));
    if (scroll) document.getElementById("doc-select").scrollIntoView();
  }

  function renderViews() {
    var select = document.getElementById("doc-select");
    var note = data.views.length + " of " + fmt(data.documents_written) + " documents written have a view";
    if (data.views.length < data.documents_written)
      note += " (the first " + data.views_limit + "; storysift run --report-docs N for more)";
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

  renderCounts();
  // An imported filter list can bring thousands of rules: the chart shows the most frequent.
  var MAX_CHART_RULES = 40, shown = data.rules.slice(0, MAX_CHART_RULES);
  if (data.rules.length > MAX_CHART_RULES) {
    var rest = 0;
    data.rules.slice(MAX_CHART_RULES).forEach(function (r) { rest += r[1]; });
    shown.push(["(" + fmt(data.rules.length - MAX_CHART_RULES) + " other rules)", rest]);
  }
  barChart(document.getElementById("rules-chart"), shown, "removals");
  renderStories();
  renderViews();
  inert(document.querySelector("header"));
  inert(document.querySelector("main"));
  // After the load event, by which any element built from page text would have run its handler:
  // a test reads these (data-xss stays "false" unless such code ran).
  window.addEventListener("load", function () {
    document.body.dataset.xss = String(!!window.__xss);
    document.body.dataset.ready = "1";
  });
})();
"""
