"""The dedup stage end to end (issue 3): copies collapse into stories, same-site stories stay
apart, each site's template goes, events group coverage of one event, and output
is deterministic whatever the input order."""

import json
import random

import pytest
from typer.testing import CliRunner

from storysift.cli import app
from storysift.corpus.dedup import MIN_WORDS, DedupOptions, dedup_file
from storysift.corpus.templates import RULE_ID
from tests.conftest import ROOT

CORPUS = ROOT / "fixtures" / "corpora" / "three-sites"



def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def three_sites(tmp_path_factory):
    out = tmp_path_factory.mktemp("three-sites")
    stats = dedup_file(CORPUS / "pages.jsonl", out)
    clean = {r["id"]: r for r in read_jsonl(out / "clean.jsonl")}
    return stats, clean, read_jsonl(out / "stories.jsonl"), json.loads((CORPUS / "expected.json").read_text())


def test_copies_with_different_furniture_collapse_into_one_story(three_sites):
    stats, clean, stories, expected = three_sites
    assert (stats["documents"], stats["distinct_stories"], stats["events"]) == (
        expected["documents"], expected["distinct_stories"], expected["events"])
    for copies in expected["copies"]:
        assert len({clean[i]["story"] for i in copies}) == 1, copies
    for member, canonical in expected["canonical"].items():
        assert clean[member]["copy_of"] is None
        record = next(s for s in stories if s["canonical"] == canonical)
        assert record["size"] == len(next(c for c in expected["copies"] if member in c))
        assert all(clean[m["id"]]["copy_of"] in (None, canonical) for m in record["members"])
        assert record["members"][0] == {"id": canonical, "source": clean[canonical]["source"], "similarity": 1.0}


def test_different_stories_from_one_site_stay_apart(three_sites):
    _, clean, _, expected = three_sites
    grouped = {i for copies in expected["copies"] for i in copies}
    by_site = {}
    for doc in clean.values():
        if doc["id"] not in grouped:
            by_site.setdefault(doc["source"].split("/")[0], []).append(doc["story"])
    for site, stories in by_site.items():
        assert len(stories) == len(set(stories)), site


def test_site_template_removed_with_its_rule_and_site_and_story_text_kept(three_sites):
    _, clean, stories, expected = three_sites
    for doc in clean.values():
        for snippet in expected["furniture"]:
            assert snippet not in doc["text"], (doc["id"], snippet)
        assert any(r["rule"] == RULE_ID and r["site"] == doc["site"] for r in doc["removed"])
    texts = " ".join(doc["text"] for doc in clean.values())
    for snippet in expected["kept"]:
        assert snippet in texts
    assert all(s["text"] and "Related stories" not in s["text"] for s in stories)


def test_independent_articles_on_one_event_share_an_event_but_not_a_story(three_sites):
    _, clean, stories, expected = three_sites
    event_of = {s["story"]: s["event"] for s in stories}
    for a, b in expected["same_event"]:
        assert clean[a]["story"] != clean[b]["story"]
        assert event_of[clean[a]["story"]] == event_of[clean[b]["story"]]
    others = [s["event"] for s in stories if not any(clean[a]["story"] == s["story"] for pair in expected["same_event"] for a in pair)]
    assert len(others) == len(set(others))  # unrelated stories: one event each


def test_story_ids_and_output_do_not_depend_on_input_order_or_run(tmp_path, three_sites):
    _, clean, _, _ = three_sites
    records = read_jsonl(CORPUS / "pages.jsonl")
    random.Random(5).shuffle(records)
    shuffled = write_jsonl(tmp_path / "shuffled.jsonl", records)
    dedup_file(shuffled, tmp_path / "a")
    dedup_file(shuffled, tmp_path / "b")
    for name in ("clean.jsonl", "stories.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    again = {r["id"]: r for r in read_jsonl(tmp_path / "a" / "clean.jsonl")}
    assert {i: (r["story"], r["copy_of"], r["text"]) for i, r in again.items()} == {
        i: (r["story"], r["copy_of"], r["text"]) for i, r in clean.items()}
    unshuffled = tmp_path / "c"
    dedup_file(CORPUS / "pages.jsonl", unshuffled)
    assert (unshuffled / "stories.jsonl").read_bytes() == (tmp_path / "a" / "stories.jsonl").read_bytes()


def test_seeds_give_five_documents_five_stories_one_event(tmp_path):
    result = CliRunner().invoke(app, ["run", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "5 documents, 5 distinct stories, 1 event" in result.output
    report = json.loads((tmp_path / "report.json").read_text())
    dedup = report["dedup"]
    assert (dedup["documents"], dedup["distinct_stories"], dedup["events"]) == (5, 5, 1)
    templates = dedup["site_templates"]  # five outlets, no URL: five sites, each too small to tell its template
    assert templates["sites"] == 5 and templates["sites_with_template"] == 0
    assert all("generic rules only" in site["note"] for site in templates["per_site"].values())
    stories = read_jsonl(tmp_path / "stories.jsonl")
    assert len(stories) == 5 and len({s["event"] for s in stories}) == 1
    assert all(r["copy_of"] is None and r["story"] for r in read_jsonl(tmp_path / "clean.jsonl"))


PARAGRAPH = ("The regional water company will raise prices by eight percent in January to pay for new "
             "pipes, after a third of its mains were found to be more than eighty years old. ")


def test_short_and_empty_texts_are_written_but_kept_out_with_a_reason(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "empty", "text": ""}, {"id": "stub", "text": "Read more"}, {"id": "full", "text": PARAGRAPH * 3}])
    stats = dedup_file(path, tmp_path / "out")
    clean = {r["id"]: r for r in read_jsonl(tmp_path / "out" / "clean.jsonl")}
    assert set(clean) == {"empty", "stub", "full"}
    assert clean["empty"]["story"] is None and clean["empty"]["excluded"] == "empty text"
    assert clean["stub"]["excluded"] == f"fewer than {MIN_WORDS} words"
    assert clean["full"]["story"] and stats["distinct_stories"] == 1
    assert stats["excluded"] == {"documents": 2, "reasons": {"empty text": 1, f"fewer than {MIN_WORDS} words": 1}}


def test_a_line_that_is_no_record_with_text_is_a_reject_with_its_line_number_never_copied(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([json.dumps({"id": "a", "text": PARAGRAPH}), "not json", "[1, 2]",
                               json.dumps({"id": "no-text", "body": PARAGRAPH}), "",
                               json.dumps({"id": "b", "text": PARAGRAPH + " Again."})]) + "\n", encoding="utf-8")
    rejects = []
    stats = dedup_file(path, tmp_path / "out", on_reject=rejects.append)
    assert [r["id"] for r in read_jsonl(tmp_path / "out" / "clean.jsonl")] == ["a", "b"]
    name = path.as_posix()
    assert [(r.source, r.reason.split(":")[0], r.id) for r in rejects] == [
        (f"{name}:2", "line is not valid JSON", None), (f"{name}:3", "record is not a JSON object", None),
        (f"{name}:4", "record has no string field 'text' (--text-field)", "no-text")]
    assert (stats["documents"], stats["rejected"], stats["distinct_stories"]) == (2, 3, 1)


def test_corpus_removals_are_counted_with_every_other_rule(tmp_path):
    result = CliRunner().invoke(app, ["run", str(CORPUS / "pages.jsonl"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "clean.jsonl")
    removed = [r["rule"] for record in records for r in record["removed"]]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["removals_per_rule"][RULE_ID] == removed.count(RULE_ID) > 0
    assert report["removals_per_rule"] == {rule: removed.count(rule) for rule in sorted(set(removed))}
    assert report["removals_per_stage"] == {"cleaning": len(removed) - removed.count(RULE_ID),
                                            "corpus": removed.count(RULE_ID)}
    assert f"{len(removed)} removals" in result.stderr  # the summary line counts them all
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'["{RULE_ID}",{removed.count(RULE_ID)}]' in page  # a bar of the chart


def test_one_document_and_only_duplicates(tmp_path):
    one = dedup_file(write_jsonl(tmp_path / "one.jsonl", [{"id": "a", "text": PARAGRAPH}]), tmp_path / "o1")
    assert (one["documents"], one["distinct_stories"], one["events"]) == (1, 1, 1)
    dupes = dedup_file(write_jsonl(tmp_path / "d.jsonl", [{"id": f"p{i}", "text": PARAGRAPH} for i in range(5)]),
                       tmp_path / "o2")
    assert (dupes["distinct_stories"], dupes["exact_duplicates"]) == (1, 4)
    clean = read_jsonl(tmp_path / "o2" / "clean.jsonl")
    assert [r["copy_of"] for r in clean] == [None, "p0", "p0", "p0", "p0"]


def test_thousands_of_near_copies_of_one_page(tmp_path):
    records = [{"id": f"copy-{i:04d}", "text": f"Edition {i}. " + PARAGRAPH * 4} for i in range(3000)]
    stats = dedup_file(write_jsonl(tmp_path / "many.jsonl", records), tmp_path / "out")
    assert stats["distinct_stories"] == 1
    (story,) = read_jsonl(tmp_path / "out" / "stories.jsonl")
    assert story["size"] == 3000


def test_a_very_long_document_is_capped(tmp_path):
    long = " ".join(f"word{i}" for i in range(200_000))
    stats = dedup_file(write_jsonl(tmp_path / "long.jsonl", [{"id": "long", "text": long}, {"id": "p", "text": PARAGRAPH}]),
                       tmp_path / "out")
    assert stats["distinct_stories"] == 2


def test_other_tools_output_with_its_own_field_names(tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({"doc": {"id": "x1"}, "page": {"body": PARAGRAPH}}) + "\n" + "not json\n"
                    + json.dumps({"doc": {"id": "x2"}, "page": {"body": PARAGRAPH}}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["dedup", str(path), "--out", str(tmp_path / "out"), "--text-field", "page.body",
                                      "--id-field", "doc.id"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "out" / "clean.jsonl")  # DuckDB and pandas read it: no stray line
    assert records[1]["copy_of"] == "x1" and records[0]["story"] == records[1]["story"]
    assert records[0]["page"] == {"body": PARAGRAPH}
    assert [r["source"] for r in read_jsonl(tmp_path / "out" / "rejects.jsonl")] == [f"{path.as_posix()}:2"]
    assert f"rejected {path.as_posix()}:2: line is not valid JSON" in result.stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["dedup"]["distinct_stories"] == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet"])
def test_dedup_reads_what_clean_writes_in_every_format(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow.parquet")
    pages = tmp_path / "pages.jsonl"
    write_jsonl(pages, [{"id": f"p{n}", "text": PARAGRAPH * 2 + f"Edition {n}.", "lang": "en"} for n in range(3)]
                + [{"id": "other", "text": " ".join(f"Line {n}: the museum opens a new wing in May." for n in range(30))}])
    cleaned = tmp_path / f"clean{suffix}"
    assert CliRunner().invoke(app, ["clean", str(pages), "--out", str(cleaned)]).exit_code == 0
    result = CliRunner().invoke(app, ["dedup", str(cleaned), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "4 documents, 2 distinct stories" in result.stderr
    records = read_jsonl(tmp_path / "out" / "clean.jsonl")
    assert [r["id"] for r in records] == ["p0", "p1", "p2", "other"]
    assert records[0]["metadata"] == {"lang": "en"} and records[1]["copy_of"] == "p0"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clean.jsonl", "complete.json", "report.json", "stories.jsonl"]


def test_a_cut_compressed_input_keeps_what_was_read_and_rejects_the_rest(tmp_path):
    import gzip

    data = "".join(json.dumps({"id": f"p{n}", "text": PARAGRAPH + f"Edition {n}."}) + "\n" for n in range(4000))
    whole = gzip.compress(data.encode())
    path = tmp_path / "clean.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    rejects = []
    stats = dedup_file(path, tmp_path / "out", on_reject=rejects.append)
    assert 0 < stats["documents"] < 4000
    assert rejects[-1].reason.startswith("unreadable: Compressed file ended")
    assert rejects[-1].source == f"{path.as_posix()}:{stats['documents'] + len(rejects)}"


def test_a_text_field_no_record_has_exits_3_with_a_few_lines_not_one_per_record(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": f"r{n}", "text": PARAGRAPH} for n in range(50)])
    result = CliRunner().invoke(app, ["dedup", str(path), "--out", str(tmp_path / "out"), "--text-field", "body"])
    assert result.exit_code == 3
    assert "every document was rejected (50)" in result.stderr
    assert result.stderr.count("storysift: rejected") == 20
    assert "50 record has no string field 'body' (--text-field)" in result.stderr
    assert len(read_jsonl(tmp_path / "out" / "rejects.jsonl")) == 50


def test_a_missing_input_exits_3(tmp_path):
    result = CliRunner().invoke(app, ["dedup", str(tmp_path / "nosuch.jsonl"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3 and "no such file" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--threshold", "0"], "--threshold must be in (0, 1]"),
    (["--threshold", "1.5"], "--threshold must be in (0, 1]"),
    (["--shingle-size", "0"], "--shingle-size must be 1..64"),
    (["--num-perm", "4"], "--num-perm must be 16..4096"),
])
def test_bad_options_are_refused_before_any_work(tmp_path, args, message):
    for command in (["dedup", str(CORPUS / "pages.jsonl")], ["run"]):
        result = CliRunner().invoke(app, [*command, "--out", str(tmp_path / "out"), *args])
        assert result.exit_code == 2
        assert message in result.output
    assert not (tmp_path / "out").exists()


def test_options_problems_name_the_fix():
    assert DedupOptions().problems() == []
    assert "e.g. 0.5" in DedupOptions(threshold=0).problems()[0]


def mixed_corpus(path, seed=7):
    """Records of every kind the stage meets: sites with templates, pages whose site is inferred
    from shared furniture, copies and near copies, short and empty texts and lines that are rejects."""
    rng = random.Random(seed)
    words = ("harbour council ferry budget minister report election union school hospital river bridge "
             "market price energy storm police court museum festival library railway airport factory").split()
    stories = [[" ".join(rng.choice(words) for _ in range(rng.randint(25, 60))) + "." for _ in range(4)]
               for _ in range(30)]
    records, lines = [], []
    for n in range(160):
        site = n % 5
        body = list(stories[rng.randrange(len(stories))])
        if rng.random() < 0.5:
            body[rng.randrange(len(body))] = " ".join(rng.choice(words) for _ in range(30)) + "."
        text = "\n\n".join([f"Site {site} | the news since 19{site}0"] + body + [f"Subscribe to site {site} today"])
        record = {"id": f"d{n}", "text": text, "title": f"Site {site} | the news since 19{site}0",
                  "removed": [{"rule": "nav", "text": f"Home\nSports of site {site}\nWeather {site}"}]}
        if site < 3:
            record["url"] = f"https://site{site}.example/{n}"
        records.append(record)
    records += [{"id": "short", "text": "Too short to cluster."}, {"id": "empty", "text": ""}]
    lines = [json.dumps(r) for r in records]
    lines[40:40] = ["{not json", json.dumps({"id": "no-text"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("workers,docs", [(2, 256), (2, 3), (3, 1)])
def test_output_is_byte_identical_whatever_the_workers_and_batches(tmp_path, monkeypatch, workers, docs):
    import storysift.corpus.batches
    from storysift.run.pool_dedup import dedup_parallel

    source = mixed_corpus(tmp_path / "pages.jsonl")
    rejects_one, rejects_pool = [], []
    expected = dedup_file(source, tmp_path / "one", on_reject=rejects_one.append)
    assert expected["site_templates"]["sites_with_template"] >= 3
    assert expected["site_templates"]["documents_with_inferred_site"] > 0
    assert expected["near_duplicates"] > 0 and expected["excluded"]["documents"] >= 2
    monkeypatch.setattr(storysift.corpus.batches, "BATCH_DOCS", docs)
    got = dedup_parallel(source, tmp_path / "pool", DedupOptions(), workers, on_reject=rejects_pool.append,
                         min_bytes=0)
    assert got == expected
    assert [(r.source, r.reason) for r in rejects_pool] == [(r.source, r.reason) for r in rejects_one]
    assert len(rejects_one) == 2
    for name in ("clean.jsonl", "stories.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "pool").iterdir()) == ["clean.jsonl", "stories.jsonl"]


def test_dedup_of_a_runs_own_output_keeps_its_report(tmp_path):
    assert CliRunner().invoke(app, ["run", "--out", str(tmp_path), "-q"]).exit_code == 0
    result = CliRunner().invoke(app, ["dedup", str(tmp_path / "clean.jsonl"), "--out", str(tmp_path), "--threshold", "0.9"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["inputs"]["written"] == 5 and report["dedup"]["options"]["threshold"] == 0.9
    assert all(r["story"] for r in read_jsonl(tmp_path / "clean.jsonl"))
