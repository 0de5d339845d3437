"""The engine and the stages around it: failures become rejects, the report accounts for every
input, --strict stops cleanly, outputs are atomic and deterministic, and the HTML stage prunes
without gluing words or inventing metadata."""

from __future__ import annotations

import json

import pytest

import storysift.clean.page as page
import storysift.run.engine as engine
from storysift.clean.html import extract_html
from storysift.clean.page import clean_document, clean_stream, clean_text
from storysift.document import Reject
from storysift.read.documents import ReadOptions, make_document
from storysift.read.files import iter_inputs
from storysift.run.engine import RunOptions, StrictStop, run_cleaning
from storysift.write.outputs import atomic_text, write_json
from tests.conftest import output_bytes

PARAGRAPHS = [
    "The museum reopened on Friday after a two-year renovation of its roof and galleries.",
    "Visitors queued from early morning, and the café ran out of pastries before noon.",
    "The director said the collection would rotate every six months from now on.",
]
ARTICLE_HTML = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
ARTICLE_TEXT = "Museum Reopens After Renovation\n\n" + "\n\n".join(PARAGRAPHS) + "\n\nAdvertisement\n"


def write_inputs(folder):
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (folder / "b.txt").write_text("   \n", encoding="utf-8")
    (folder / "c.html").write_text(f"<html><body><article>{ARTICLE_HTML}</article></body></html>", encoding="utf-8")
    (folder / "d.jsonl").write_text(
        json.dumps({"id": "d1", "text": ARTICLE_TEXT}) + "\nnot json\n" + json.dumps({"id": "d3", "text": "x"}) + "\n",
        encoding="utf-8")
    return folder


def options(strict=False):
    return RunOptions(read=ReadOptions(), strict=strict)


# --- clean_stream ---------------------------------------------------------------------------

def docs(*texts):
    return [make_document(text, f"doc{n}", f"src{n}") for n, text in enumerate(texts)]


def test_a_document_whose_cleaning_fails_becomes_a_reject_and_the_rest_go_on(rules, monkeypatch):
    def flaky(raw, ruleset):
        if raw.id == "doc1":
            raise ValueError("boom")
        return clean_document(raw, ruleset)

    monkeypatch.setattr(page, "clean_document", flaky)
    items = list(clean_stream(docs(ARTICLE_TEXT, ARTICLE_TEXT, ARTICLE_TEXT), rules))
    assert [type(i).__name__ for i in items] == ["Document", "Reject", "Document"]
    assert items[1] == Reject("src1", "cleaning failed: ValueError: boom", "doc1")


def test_recursion_error_becomes_a_nesting_reject(rules, monkeypatch):
    def deep(raw, ruleset):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(page, "clean_document", deep)
    (item,) = clean_stream(docs(ARTICLE_TEXT), rules)
    assert item.reason == "document too deeply nested to parse"


def test_deeply_nested_html_is_rejected_or_keeps_its_text(rules):
    """libxml2 under trafilatura gives up past 256 open elements: such a page must not come
    out as an empty document."""
    html = "<div>" * 20000 + f"<p>{PARAGRAPHS[0]}</p>" + "</div>" * 20000
    (item,) = clean_stream(docs(html), rules)
    assert isinstance(item, Reject) or PARAGRAPHS[0] in item.text


def test_rejects_from_the_reader_pass_through_unchanged(rules):
    reject = Reject("x.txt", "empty document", "x.txt")
    assert list(clean_stream([reject], rules)) == [reject]


def test_cleaning_does_not_depend_on_the_documents_before(rules):
    """No state leaks between documents (links, metadata, removals)."""
    texts = [ARTICLE_TEXT, "See the [full report](https://example.org/r).\n\nBy Jane Doe",
             f"<html><body><article>{ARTICLE_HTML}</article></body></html>"]
    forward = [d.as_record() for d in clean_stream(docs(*texts), rules)]
    alone = [next(iter(clean_stream([doc], rules))).as_record() for doc in docs(*texts)]
    backward = [d.as_record() for d in clean_stream(list(reversed(docs(*texts))), rules)]
    assert forward == alone == list(reversed(backward))
    assert forward[1]["links"] == ["https://example.org/r"] and forward[0]["links"] == []


# --- run_cleaning ---------------------------------------------------------------------------

def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_report_accounts_for_every_input(rules, tmp_path):
    folder = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    report = run_cleaning([str(folder)], out, rules, options())
    on_disk = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert on_disk["inputs"] == {"read": 6, "written": 4, "rejected": 2, "skipped": 0} == report.as_dict()["inputs"]
    assert len(read_jsonl(out / "clean.jsonl")) == 4 and len(read_jsonl(out / "rejects.jsonl")) == 2
    assert on_disk["files"][(folder / "d.jsonl").as_posix()] == {"read": 3, "written": 2, "rejected": 1, "skipped": 0}
    assert on_disk["files"][str(folder / "b.txt")] == {"read": 1, "written": 0, "rejected": 1, "skipped": 0}
    assert on_disk["removals_per_rule"]["ads.advertisement-label"] == 2  # a.txt and d1
    assert on_disk["reject_reasons"] == {"line is not valid JSON": 1, "no text": 1}


def test_strict_stop_keeps_output_so_far_and_says_where_it_stopped(rules, tmp_path):
    folder = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    with pytest.raises(StrictStop) as stop:
        run_cleaning([str(folder)], out, rules, options(strict=True))
    assert stop.value.reject.source == str(folder / "b.txt")
    assert [r["id"] for r in read_jsonl(out / "clean.jsonl")] == ["a.txt"]
    assert [r["id"] for r in read_jsonl(out / "rejects.jsonl")] == ["b.txt"]
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"] == {"read": 2, "written": 1, "rejected": 1, "skipped": 0}
    assert report["stopped"] == f"--strict: stopped at the first reject ({folder / 'b.txt'})"


class Recorder:
    """A progress listener that keeps what it is told."""

    def __init__(self):
        self.stages, self.updates = [], {}

    def stage(self, name, total=None):
        self.stages.append(name)

    def update(self, done):
        self.updates.setdefault(self.stages[-1], []).append(done)

    def close(self):
        pass

    def timings(self):
        return {}


def test_progress_is_told_each_stage_and_counts_every_input(rules, tmp_path):
    folder = write_inputs(tmp_path / "in")
    seen = Recorder()
    run_cleaning([str(folder)], tmp_path / "out", rules, options(), seen)
    assert seen.stages == ["cleaning", "writing", "site templates", "stories", "writing", "events", "writing", "report"]
    assert seen.updates["cleaning"] == list(range(1, 7))
    assert seen.updates["stories"] == [1, 2, 3, 4]  # the dedup stage reads the four documents written


def test_report_says_what_ran_when_and_how_long_each_stage_took(rules, tmp_path):
    from storysift import __version__

    folder = write_inputs(tmp_path / "in")
    run_cleaning([str(folder)], tmp_path / "out", rules, RunOptions(workers=1, report_docs=7))
    run = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["run"]
    assert run["storysift"] == __version__ and run["inputs"] == [str(folder)]
    assert run["options"]["report_docs"] == 7 and run["options"]["dedup"]["threshold"] == 0.5
    assert run["started"] <= run["ended"] and run["started"].endswith("+00:00")
    assert list(run["seconds"]) == ["cleaning", "writing", "site templates", "stories", "events", "report"]
    assert all(seconds >= 0 for seconds in run["seconds"].values())


def test_two_runs_give_byte_identical_outputs(rules, tmp_path):
    folder = write_inputs(tmp_path / "in")
    run_cleaning([str(folder)], tmp_path / "one", rules, options())
    run_cleaning([str(folder)], tmp_path / "two", rules, options())
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())
    for name in names:
        assert output_bytes(tmp_path / "one" / name) == output_bytes(tmp_path / "two" / name), name


# --- atomic writes --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"])
def test_exception_mid_write_leaves_no_file_under_the_final_name(tmp_path, name):
    target = tmp_path / name
    with pytest.raises(RuntimeError):
        with atomic_text(target) as stream:
            stream.write('{"id": 1}\n' * 10000)
            raise RuntimeError("disk on fire")
    assert list(tmp_path.iterdir()) == []


def test_exception_mid_write_keeps_the_previous_file_whole(tmp_path):
    target = tmp_path / "report.json"
    write_json(target, {"version": 1})
    before = target.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with atomic_text(target) as stream:
            stream.write('{"version": 2, "trunc')
            raise KeyboardInterrupt
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_run_interrupted_mid_stream_keeps_previous_outputs_whole(rules, tmp_path, monkeypatch):
    folder = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    run_cleaning([str(folder)], out, rules, options())
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def interrupted(inputs, read_options):
        yield from list(iter_inputs(inputs, read_options))[:2]
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "iter_inputs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_cleaning([str(folder)], out, rules, options())
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # shards aside


# --- HTML stage -----------------------------------------------------------------------------

def test_pruned_element_does_not_glue_the_words_around_it(rules):
    html = (f"<html><body><article>{ARTICLE_HTML}"
            '<p>Tickets cost<div class="ad-slot">Buy cheap flights</div>twelve euros for adults.</p>'
            "</article></body></html>")
    extraction = extract_html(html, rules)
    assert "Buy cheap flights" not in extraction.text
    assert "costtwelve" not in extraction.text and "cost" in extraction.text and "twelve euros" in extraction.text
    assert [(r.rule, r.text) for r in extraction.removed] == [("ads.css-slots", "Buy cheap flights")]


def test_no_date_is_invented_from_a_bare_year(rules):
    html = (f"<html><body><article>{ARTICLE_HTML}<p>The roof was last repaired in 1998.</p></article>"
            "<footer>© 2026 The Courier</footer></body></html>")
    assert extract_html(html, rules).date is None


def test_a_date_in_the_markup_is_kept(rules):
    html = ('<html><head><meta property="article:published_time" content="2025-03-14T10:00:00Z">'
            f'<meta name="author" content="Ruth Calloway"></head><body><article>{ARTICLE_HTML}</article></body></html>')
    extraction = extract_html(html, rules)
    assert (extraction.date, extraction.author) == ("2025-03-14", "Ruth Calloway")


def test_a_selector_matching_most_of_the_page_is_a_wrapper_and_skipped(rules):
    html = f'<html><body><div class="sharing">{ARTICLE_HTML}</div><div class="sharing">Tweet this</div></body></html>'
    extraction = extract_html(html, rules)
    assert all(p in extraction.text for p in PARAGRAPHS)
    assert [(r.rule, r.text) for r in extraction.removed] == [("social.css", "Tweet this")]


def test_url_given_for_text_decides_site_rules(rules, tmp_path):
    from storysift.ruleset.load import load_rules

    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "courier.example.yaml").write_text(
        "rules:\n  - id: courier.sign-off\n    kind: line\n    description: Sign-off.\n"
        "    pattern: '^The Courier, since 1921$'\n"
        "    examples: {match: ['The Courier, since 1921'], keep: ['The Courier reported.']}\n", encoding="utf-8")
    ruleset = load_rules([tmp_path])
    text = ARTICLE_TEXT + "\nThe Courier, since 1921\n"
    assert "since 1921" not in clean_text(text, ruleset, url="https://www.courier.example/a").text
    assert "since 1921" in clean_text(text, ruleset, url="https://other.example/a").text
    assert "since 1921" in clean_text(text, ruleset).text
