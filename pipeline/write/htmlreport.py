"""report.html: the run's report as one self-contained page (inline CSS, JS and SVG; no network)
for review: counts; removals per rule, each rule with what it removed (samples, documents,
sites); a view per site (pages, share removed, template share, top removals); the stories, each
opening to its copies and how each copy differs from the canonical text; the events, each opening
to its stories; search over titles and ids; and chosen documents side by side, the text the rules
saw beside the clean text with every removal marked with its rule. Written last by `run`, from
report.json's figures and the output files (write/reportcorpus.py), and the views chosen while
cleaning (write/reportviews.py); the page itself is write/reportpage.py.

Scraped text is data, never markup: it is embedded as JSON in a <script type="application/json">
block with `<`, `>` and `&` escaped, and the page's script writes it with textContent only. A
Content-Security-Policy allows that one script (by its hash) and no network at all. Bidirectional
embedding, override and isolate controls in it are shown as their code points ([U+202E]), never
obeyed, and page text is isolated from the report's own text around it."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from storysift.write.outputs import atomic_text, dumps
from storysift.write.reportcorpus import corpus_sections
from storysift.write.reportpage import PAGE, SCRIPT, STYLE
from storysift.write.reportviews import MAX_VIEW_CHARS, DocumentViews


def report_data(out_dir: Path, report: dict[str, Any], views: DocumentViews,
                descriptions: dict[str, str] | None = None) -> dict[str, Any]:
    """What the page shows, as one JSON value. `descriptions`: each rule's description by id."""
    from storysift import __version__

    inputs = report.get("inputs", {})
    dedup = report.get("dedup")
    removals = report.get("removals_per_rule", {})
    chosen = views.views
    sections = corpus_sections(out_dir, chosen, isinstance(dedup, dict), descriptions or {})
    data: dict[str, Any] = {
        "version": __version__,
        "counts": {"read": inputs.get("read", 0), "written": inputs.get("written", 0),
                   "rejected": inputs.get("rejected", 0), "skipped": inputs.get("skipped", 0),
                   "removals": sum(removals.values())},
        "rules": sorted(removals.items(), key=lambda item: (-item[1], item[0])),
        "rule_rows": sections["rule_rows"],
        "sites": sections["sites"],
        "reject_reasons": sorted(report.get("reject_reasons", {}).items(), key=lambda item: (-item[1], item[0])),
        "skip_reasons": sorted(report.get("skip_reasons", {}).items(), key=lambda item: (-item[1], item[0])),
        "stopped": report.get("stopped"),
        "dedup": None,
        "views": chosen,
        "views_limit": views.limit,
        "views_sample": views.sample,
        "views_asked": sorted(views.ids),
        "max_view_chars": MAX_VIEW_CHARS,
        "documents_written": inputs.get("written", 0),
    }
    if isinstance(dedup, dict):
        data["counts"].update({"stories": dedup.get("distinct_stories"), "events": dedup.get("events")})
        data["dedup"] = {key: dedup.get(key) for key in ("documents", "clustered", "exact_duplicates",
                                                          "near_duplicates", "excluded")}
        data["stories"] = sections["stories"]
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


def write_html_report(out_dir: Path, report: dict[str, Any], views: DocumentViews,
                      descriptions: dict[str, str] | None = None) -> Path:
    """Write `out_dir`/report.html (atomically) and return its path."""
    path = out_dir / "report.html"
    page = render_page(report_data(out_dir, report, views, descriptions))
    with atomic_text(path) as stream:
        stream.write(page)
    return path
