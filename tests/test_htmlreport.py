"""report.html: written by every run, self-contained, and safe with hostile page text. The page
is opened in headless Chromium (skipped with the reason when none is installed; .ci/run installs
it), which must run its script without errors, draw the charts, and show the hostile text as text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from storysift.ruleset.load import load_rules
from storysift.run.engine import RunOptions, run_cleaning
from storysift.write.htmlreport import embed_json

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SCRIPT_PAYLOAD = "<script>window.__xss=1</script>"
IMG_PAYLOAD = "<img src=x onerror=window.__xss=2>"
SVG_PAYLOAD = "<svg onload=window.__xss=5>"
HOSTILE_ID = "<img src=x onerror=window.__xss=3>"
# Bidirectional overrides: shown as written, "invoice-\u202Efdp.exe" reads as a PDF file name.
BIDI_ID = "invoice-\u202Efdp.exe\u202C"
BIDI_CONTROLS = "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069"
BIDI_TEXT = ("Harbour Ferry Tickets Sold Out\n\nThe ferry company said on Monday that every ticket for the summer "
             "crossings was sold, and that the file \u202Efdp.exe\u202C it mailed to customers was not from it. "
             f"Customers were told to delete any attachment named like that one.\n{BIDI_CONTROLS}\n")

HOSTILE_TEXT = f"""Harbour Board Approves Night Ferry Trial

The harbour board voted on Tuesday to run a night ferry between the two piers for six months, after a survey of commuters found strong support for a late service on weekdays and weekends.
A reader wrote to the board quoting the markup {SCRIPT_PAYLOAD} and {SVG_PAYLOAD} to show how the old booking page was broken, and the board said the new page would be rebuilt from scratch this spring.
The trial will cost about 300,000 euros, paid from the port's reserve fund, and the board will decide in the autumn whether to keep the service running through next year.
Advertisement
"""

HOSTILE_HTML = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Library Opens Late Reading Room</title>
<script>window.__xss = 4</script></head>
<body>
<nav><a href="/">Home</a> <a href="/news">{IMG_PAYLOAD.replace("<", "&lt;")}</a></nav>
<article><h1>Library Opens Late Reading Room</h1>
<p>The city library will keep its main reading room open until midnight from next month, the council said, after students asked for a quiet place to work during the examination season.</p>
<p>A notice on the old site read {SCRIPT_PAYLOAD.replace("<", "&lt;").replace(">", "&gt;")} and {IMG_PAYLOAD.replace("<", "&lt;")} for years because of a broken template, the librarian said, and it will be replaced.</p>
<p>The late opening will be staffed by two librarians and a security guard, paid from the council's education budget, and will be reviewed after one term.</p>
</article></body></html>
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run over the seeds, a near copy of one seed (a story of two), and two hostile pages."""
    corpus = tmp_path_factory.mktemp("corpus")
    for seed in SEEDS:
        shutil.copy(seed, corpus / seed.name)
    first = SEEDS[0].read_text(encoding="utf-8")
    (corpus / "zz_copy_of_first_seed.txt").write_text(first.replace("escalating", "rising", 1), encoding="utf-8")
    (corpus / "hostile.jsonl").write_text(json.dumps({"id": HOSTILE_ID, "text": HOSTILE_TEXT}) + "\n", encoding="utf-8")
    (corpus / "hostile.html").write_text(HOSTILE_HTML, encoding="utf-8")
    (corpus / "zz_bidi.jsonl").write_text(json.dumps({"id": BIDI_ID, "text": BIDI_TEXT}) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    run_cleaning([str(corpus)], out, load_rules([]), RunOptions())
    return out


def page_data(out: Path) -> dict:
    page = (out / "report.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert block
    return json.loads(block.group(1))


def test_run_writes_a_self_contained_report(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no network resources"
    assert "default-src 'none'" in page
    data = page_data(run_dir)
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert data["counts"]["read"] == report["inputs"]["read"] == len(SEEDS) + 4
    assert data["counts"]["stories"] == report["dedup"]["distinct_stories"]
    assert dict(data["rules"]) == report["removals_per_rule"]
    assert [2, 1] in data["stories"]["sizes"], "the seed and its near copy are one story of two"


def test_hostile_text_never_leaves_the_json_block_as_markup(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "window.__xss=1" in page  # the text is there...
    assert SCRIPT_PAYLOAD not in page and "<img" not in page and "<svg onload" not in page  # ...but never as a tag
    views = {view["id"]: view for view in page_data(run_dir)["views"]}
    assert any(SCRIPT_PAYLOAD in seg[1] for seg in views[HOSTILE_ID]["segments"])


def test_embedded_json_cannot_close_its_script_element() -> None:
    text = embed_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_views_are_limited_to_the_first_documents_and_the_page_says_so(tmp_path: Path) -> None:
    run_cleaning([str(p) for p in SEEDS], tmp_path, load_rules([]), RunOptions(report_docs=2))
    data = page_data(tmp_path)
    assert [v["id"] for v in data["views"]] == [p.name for p in SEEDS[:2]]
    assert data["documents_written"] == len(SEEDS) and data["views_limit"] == 2


def test_no_html_report_option(tmp_path: Path) -> None:
    run_cleaning([str(SEEDS[0])], tmp_path, load_rules([]), RunOptions(html_report=False))
    assert (tmp_path / "report.json").exists() and not (tmp_path / "report.html").exists()


def test_a_rerun_without_the_html_report_removes_the_previous_one(tmp_path: Path) -> None:
    run_cleaning([str(SEEDS[0])], tmp_path, load_rules([]), RunOptions())
    assert (tmp_path / "report.html").exists()
    run_cleaning([str(SEEDS[1])], tmp_path, load_rules([]), RunOptions(html_report=False))
    assert not (tmp_path / "report.html").exists()


def open_in_chromium(page: Path, fragment: str, profile: Path) -> tuple[str, str]:
    """The DOM after the page's script ran (--dump-dom) and Chromium's log (console included)."""
    browser = find_chromium()
    if browser is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install -y chromium; .ci/run installs it)")
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
        "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def test_report_renders_in_headless_chromium_without_running_page_text(run_dir: Path, tmp_path: Path) -> None:
    data = page_data(run_dir)
    hostile = next(i for i, view in enumerate(data["views"]) if view["id"] == HOSTILE_ID)
    dom, log = open_in_chromium(run_dir / "report.html", f"#doc-{hostile}", tmp_path / "profile")

    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, "console messages:\n" + "\n".join(console)
    body = re.search(r"<body[^>]*>", dom)
    assert body and 'data-ready="1"' in body.group(0), "the page's script ran to its end"
    assert 'data-xss="false"' in body.group(0), "no script from the page text ran"

    chart = re.search(r'<div id="rules-chart" class="chart">(.*?)</div>', dom, re.S)
    assert chart and len(re.findall(r'<rect [^>]*class="bar"', chart.group(1))) == len(data["rules"])
    for chart_id in ("sizes-chart", "events-chart"):
        assert re.search(rf'<div id="{chart_id}" class="chart"><svg[^>]*>.*?<rect ', dom, re.S), chart_id

    original = re.search(r'<pre id="doc-original" class="doc">(.*?)</pre>', dom, re.S)
    assert original and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in original.group(1)
    assert '<span class="rule">ads.advertisement-label</span><span class="seg removed" data-rule="ads.advertisement-label">Advertisement</span>' in original.group(1)
    # Only the page's own two <script> elements exist, and no element was built from page text.
    assert len(re.findall(r"<script\b", dom)) == 2
    assert "<img" not in dom and "<svg onload" not in dom and "onerror=\"" not in dom
    assert "&lt;svg onload=window.__xss=5&gt;" in original.group(1)
    assert dom.count("&lt;img src=x onerror=window.__xss=3&gt;") >= 2  # the id, as text, in the list and the select

    # The HTML page: its removed <nav> element is listed with its rule, its own <script> is gone.
    html_view = next(i for i, view in enumerate(data["views"]) if view["id"] == "hostile.html")
    dom, _ = open_in_chromium(run_dir / "report.html", f"#doc-{html_view}", tmp_path / "profile2")
    elements = re.search(r'<div id="doc-elements">(.*?)</div>', dom, re.S)
    assert elements and "navigation." in elements.group(1) and "&lt;img src=x" in elements.group(1)
    assert 'data-xss="false"' in dom


def test_bidirectional_controls_in_page_text_are_shown_as_code_points_never_obeyed(run_dir: Path, tmp_path: Path) -> None:
    data = page_data(run_dir)
    bidi = next(i for i, view in enumerate(data["views"]) if view["id"] == BIDI_ID)
    assert any("\u202Efdp.exe" in seg[1] for seg in data["views"][bidi]["segments"])  # the data keeps them
    dom, _ = open_in_chromium(run_dir / "report.html", f"#doc-{bidi}", tmp_path / "profile")
    body = dom[dom.index("<body"):dom.index('<script type="application/json"')]
    assert not set(BIDI_CONTROLS) & set(body), "a control character reached the rendered page"
    assert body.count("invoice-[U+202E]fdp.exe[U+202C]") >= 3  # the story list, the select and the document's line
    original = re.search(r'<pre id="doc-original" class="doc">(.*?)</pre>', dom, re.S).group(1)
    assert "the file [U+202E]fdp.exe[U+202C] it mailed" in original
    assert "[U+202A][U+202B][U+202C][U+202D][U+202E][U+2066][U+2067][U+2068][U+2069]" in original


def test_only_the_largest_stories_are_listed_but_the_charts_count_all(tmp_path: Path, monkeypatch) -> None:
    import storysift.write.htmlreport

    monkeypatch.setattr(storysift.write.htmlreport, "MAX_STORIES", 2)
    run_cleaning([str(p) for p in SEEDS], tmp_path, load_rules([]), RunOptions())
    stories = page_data(tmp_path)["stories"]
    assert stories["total"] == len(SEEDS) and sum(n for _, n in stories["sizes"]) == len(SEEDS)
    assert len(stories["listed"]) == 2
