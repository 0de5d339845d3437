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
    assert body.count("invoice-[U+202E]fdp.exe[U+202C]") >= 2  # the select and the document's line, at least
    original = re.search(r'<pre id="doc-original" class="doc">(.*?)</pre>', dom, re.S).group(1)
    assert "the file [U+202E]fdp.exe[U+202C] it mailed" in original
    assert "[U+202A][U+202B][U+202C][U+202D][U+202E][U+2066][U+2067][U+2068][U+2069]" in original


def test_only_the_largest_stories_are_listed_but_the_charts_count_all(tmp_path: Path, monkeypatch) -> None:
    import storysift.write.reportcorpus

    monkeypatch.setattr(storysift.write.reportcorpus, "MAX_STORIES", 2)
    run_cleaning([str(p) for p in SEEDS], tmp_path, load_rules([]), RunOptions())
    stories = page_data(tmp_path)["stories"]
    assert stories["total"] == len(SEEDS) and sum(n for _, n in stories["sizes"]) == len(SEEDS)
    assert len(stories["listed"]) == 2


# --- review: rules, sites, stories, events, search, chosen documents --------------------------

def test_each_rule_says_what_it_removed_with_samples_from_different_sites_first(tmp_path: Path) -> None:
    records = [{"id": f"{host}-{n}", "url": f"https://www.{host}/{n}",
                "text": f"{ARTICLE_LINES[n % 3]}\nAdvertisement\nThe rest of page {n} on {host} tells the story."}
               for host in ("a.example", "b.example") for n in range(3)]
    corpus = tmp_path / "pages.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    run_cleaning([str(corpus)], tmp_path / "out", load_rules([]), RunOptions())
    data = page_data(tmp_path / "out")
    row = next(r for r in data["rule_rows"] if r[0] == "ads.advertisement-label")
    rule, removals, documents, sites, description, samples = row
    assert (removals, documents, sites) == (6, 6, 2)
    assert description == load_rules([]).by_id(rule).description
    assert [s[:2] for s in samples] == [["a.example-0", "a.example"], ["b.example-0", "b.example"], ["a.example-1", "a.example"]]
    assert all(s[2] == "Advertisement" for s in samples)
    sites = {r[0]: r for r in data["sites"]["listed"]}
    assert set(sites) == {"a.example", "b.example"} and sites["a.example"][1] == 3  # www. dropped
    assert ["ads.advertisement-label", 3] in sites["a.example"][5]


ARTICLE_LINES = ["The harbour board voted to run a night ferry between the two piers for six months.",
                 "The library will keep its reading room open until midnight from next month.",
                 "The council approved a new cycle lane along the river after a long consultation."]


def test_a_documents_site_is_its_site_field_else_its_host() -> None:
    from storysift.write.reportviews import NO_SITE, site_of

    assert site_of("Daily Ledger", "https://www.ledger.example/x") == "Daily Ledger"
    assert site_of(None, "https://www.ledger.example/x") == "ledger.example"
    assert site_of("", None) == NO_SITE


def test_a_story_opens_to_its_copies_each_with_its_differences_from_the_canonical_text(run_dir: Path) -> None:
    stories = page_data(run_dir)["stories"]
    (pair,) = [s for s in stories["listed"] if s["size"] == 2]
    assert pair["text"].startswith(pair["title"] or "") and not pair["text_cut"]
    canonical, copy = pair["members"]
    assert canonical[0] == pair["canonical"] and len(canonical) == 3  # the canonical copy has no differences
    diff = copy[3]
    changed = [hunk for hunk in diff["hunks"] if hunk[0] == "~"]
    assert len(changed) == 1 and diff["same"] > 2
    words = {op: text for op, text in changed[0][1] if op != "="}
    assert {words["-"], words["+"]} == {"escalating", "rising"}
    events = {e[0]: e for e in stories["events"]}
    assert [s[0] for s in events[pair["event"]][2]][:1] == [pair["story"]]  # the largest story of its event first


def test_text_diff_marks_lines_out_lines_in_and_words_changed_in_place() -> None:
    from storysift.write.textdiff import text_diff

    canonical = "Title\n\nFirst paragraph of the story.\nSecond paragraph stays.\nLast paragraph goes."
    copy = "New title entirely different words here\n\nFirst paragraph of this story.\nSecond paragraph stays."
    diff = text_diff(canonical, copy)
    assert diff["same"] == 1 and not diff["cut"]
    assert ["-", "Last paragraph goes."] in diff["hunks"]
    assert ["~", [["=", "First paragraph of"], ["-", "the"], ["+", "this"], ["=", "story."]]] in diff["hunks"]
    assert ["-", "Title"] in diff["hunks"] and ["+", "New title entirely different words here"] in diff["hunks"]
    assert text_diff(canonical, canonical) == {"same": 4, "hunks": [], "cut": False}


def doc(doc_id: str, url: str | None = None):
    from storysift.document import Document

    return Document(doc_id, f"{doc_id}.txt", "Clean text.", url=url, seen_text="Clean text.")


def test_views_spread_over_the_sites_and_documents_asked_for_by_id() -> None:
    from storysift.write.reportviews import DocumentViews

    stream = [doc(f"a{n}", f"https://a.example/{n}") for n in range(6)] + \
             [doc(f"b{n}", f"https://b.example/{n}") for n in range(3)] + [doc("c0", "https://c.example/0"), doc("late")]
    sampled = DocumentViews(4, sample="sites", ids=["late"])
    first = DocumentViews(4, sample="first")
    for position, item in enumerate(stream, 1):
        sampled.add(item, position)
        first.add(item, position)
    assert [v["id"] for v in first.views] == ["a0", "a1", "a2", "a3"]
    # The first of each site, then the next of the sites with fewer: a (6 pages) gives way to b and c.
    assert [v["id"] for v in sampled.views] == ["a0", "b0", "b1", "c0", "late"]


def test_a_resumed_run_chooses_the_views_an_uninterrupted_one_does(tmp_path: Path) -> None:
    from storysift.write.reportviews import DocumentViews

    stream = [doc(f"{site}{n}", f"https://{site}.example/{n}") for site in "abcd" for n in range(4)]
    whole = DocumentViews(5, tmp_path / "whole.jsonl")
    for position, item in enumerate(stream, 1):
        whole.add(item, position)
    killed = DocumentViews(5, tmp_path / "killed.jsonl")
    for position, item in enumerate(stream[:11], 1):  # killed after input 11; inputs 1..9 were in finished shards
        killed.add(item, position)
    resumed = DocumentViews(5, tmp_path / "killed.jsonl", resume_after=9)
    for position, item in enumerate(stream[9:], 10):
        resumed.add(item, position)
    assert [v["id"] for v in resumed.views] == [v["id"] for v in whole.views] == ["a0", "b0", "b1", "c0", "d0"]


def test_report_docs_options_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from storysift.cli import app

    args = ["run", *map(str, SEEDS), "--out", str(tmp_path), "-q", "--report-docs", "1", "--report-sample", "first",
            "--report-doc", SEEDS[3].name]
    assert CliRunner().invoke(app, args).exit_code == 0
    data = page_data(tmp_path)
    assert [v["id"] for v in data["views"]] == [SEEDS[0].name, SEEDS[3].name]
    assert data["views_asked"] == [SEEDS[3].name] and data["views_sample"] == "first"


def test_links_into_the_page_open_a_story_with_its_differences_an_event_and_a_search(run_dir: Path, tmp_path: Path) -> None:
    stories = page_data(run_dir)["stories"]
    (pair,) = [s for s in stories["listed"] if s["size"] == 2]
    dom, _ = open_in_chromium(run_dir / "report.html", f"#story-{pair['story']}", tmp_path / "p1")
    story = re.search(rf'<details class="story[^"]*" data-story="{pair["story"]}" open="">(.*?)</details>', dom, re.S)
    assert story, "the story is open"
    assert re.search(r"<del>(escalating|rising)</del>", story.group(1)) and re.search(r"<ins>(escalating|rising)</ins>", story.group(1))
    dom, _ = open_in_chromium(run_dir / "report.html", "#search=library%20late", tmp_path / "p2")
    results = re.search(r'<div id="search-results">(.*?)</div>', dom, re.S)
    assert results and "Library Opens Late Reading Room" in results.group(1) and 'data-xss="false"' in dom
