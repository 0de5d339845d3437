"""Incremental deduplication (issue 5): with --index, a run marks the stories earlier runs saw
(`seen_before`, `seen_story`) and gives them their earlier ids, without the earlier pages;
the same for the SQLite file and for Redis (a real server: STORYSIFT_TEST_REDIS, which
.ci/run sets; skipped without it)."""

import json
import os
import random
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storysift.cli import app
from storysift.corpus.dedup import DedupOptions, dedup_file
from storysift.corpus.index import RedisStore, SqliteStore, StoryIndex

REDIS_URL = os.environ.get("STORYSIFT_TEST_REDIS")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="no Redis server: set STORYSIFT_TEST_REDIS=redis://127.0.0.1:PORT/0 (.ci/run starts one)")

SYLLABLES = ["ka", "lo", "mir", "ten", "sa", "vu", "rek", "po", "li", "dan", "ur", "fe", "gor", "ni", "be", "tas"]
SITES = {
    "harbour": ("Harbour Post | local news since 1921",
                "Sign up for the Harbour Post briefing and get the morning stories in your inbox.",
                "© 2024 Harbour Post Media. About us · Contact · Privacy"),
    "coast": ("Coastline Daily — news, weather and sport",
              "Become a Coastline Daily member today and support local reporting on the coast.",
              "Coastline Daily is published by Coastline Media Group. Terms · Advertise"),
    "metro": ("Metro Wire: regional news around the clock",
              "Metro Wire readers can follow every story of the day on our live page.",
              "Metro Wire Ltd. All rights reserved. Jobs · Contact"),
    "valley": ("The Valley Courier, independent since 1874",
               "Download the Valley Courier app for breaking news alerts from the valley.",
               "Valley Courier Holdings. Cookies · Accessibility · Contact"),
}


def body(story: int, paragraphs: int = 5) -> list[str]:
    """A story's text: paragraphs of made-up words, fixed by the story number."""
    rng = random.Random(story)
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(400)]
    return [" ".join(rng.choice(words) for _ in range(55)).capitalize() + "." for _ in range(paragraphs)]


def page(doc_id: str, site: str, paragraphs: list[str], edit_seed: int | None = None) -> dict:
    paragraphs = list(paragraphs)
    if edit_seed is not None:  # a syndicated copy: a few words changed
        rng = random.Random(edit_seed)
        for _ in range(4):
            p = rng.randrange(len(paragraphs))
            words = paragraphs[p].split()
            words[rng.randrange(len(words))] = "edited"
            paragraphs[p] = " ".join(words)
    header, prompt, footer = SITES[site]
    text = "\n\n".join([header, *paragraphs[:2], prompt, *paragraphs[2:], footer])
    return {"id": doc_id, "source": f"{site}.example/{doc_id}", "text": text}


def corpus_a() -> list[dict]:
    pages = [page(f"a{n}-harbour", "harbour", body(n)) for n in range(12)]
    pages += [page(f"a{n}-coast", "coast", body(n), edit_seed=n) for n in (0, 1, 2)]  # copies within A
    return pages


# Corpus B overlaps A: copies of A's stories 0..4 with another site's furniture (and edits), an
# exact re-crawl of story 5 under a new id; new stories 20..27, and a follow-up of story 6 that
# opens with its first two paragraphs (a distinct story: not seen before).
SEEN_IN_B = {0: ["b0-metro", "b0-valley"], 1: ["b1-metro"], 2: ["b2-valley"], 3: ["b3-metro"], 4: ["b4-valley"],
             5: ["b5-recrawl"]}
NEW_IN_B = {20: ["b20-metro", "b20-valley"], 21: ["b21-metro"], 22: ["b22-valley"], 23: ["b23-metro"],
            24: ["b24-valley"], 25: ["b25-metro"], 26: ["b26-valley"], 27: ["b27-metro"], 6006: ["b6-follow-up"]}


def corpus_b() -> list[dict]:
    pages = []
    for n, ids in {**SEEN_IN_B, **NEW_IN_B}.items():
        for k, doc_id in enumerate(ids):
            site = doc_id.split("-")[-1] if doc_id.split("-")[-1] in SITES else "harbour"
            if n == 6006:
                pages.append(page(doc_id, "metro", body(6)[:2] + body(6006)[2:]))
            else:
                pages.append(page(doc_id, site, body(n), edit_seed=1000 + n + k if n != 5 else None))
    return pages


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(tmp_path, name, pages, index):
    out = tmp_path / name
    stats = dedup_file(write_jsonl(tmp_path / f"{name}.jsonl", pages), out, DedupOptions(index=index))
    return stats, {r["id"]: r for r in read_jsonl(out / "clean.jsonl")}, {s["story"]: s for s in read_jsonl(out / "stories.jsonl")}


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=needs_redis)])
def index(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "index.sqlite")
    return f"{REDIS_URL}?prefix=test-{uuid.uuid4().hex}:"  # an index of its own in the shared server


def test_second_run_marks_exactly_the_overlapping_stories_with_their_first_run_ids(tmp_path, index):
    _, first, _ = run(tmp_path, "a", corpus_a(), index)
    assert not any(r["seen_before"] for r in first.values())
    stats, second, stories = run(tmp_path, "b", corpus_b(), index)

    for n, ids in SEEN_IN_B.items():
        earlier = first[f"a{n}-harbour"]["story"]
        for doc_id in ids:
            assert (second[doc_id]["seen_before"], second[doc_id]["seen_story"], second[doc_id]["story"]) == (
                True, earlier, earlier), doc_id
        assert stories[earlier]["seen_before"] and stories[earlier]["seen_story"] == earlier
    for doc_id in (d for ids in NEW_IN_B.values() for d in ids):
        assert (second[doc_id]["seen_before"], second[doc_id]["seen_story"]) == (False, None), doc_id
        assert second[doc_id]["story"] not in {r["story"] for r in first.values()}
    assert len({second[d]["story"] for d in NEW_IN_B[20]}) == 1  # copies within today still collapse
    assert stats["index"]["seen_stories"] == len(SEEN_IN_B)
    assert stats["index"]["new_stories"] == len(NEW_IN_B)


def test_story_ids_are_stable_across_runs_and_new_stories_keep_their_content_ids(tmp_path, index):
    run(tmp_path, "a", corpus_a(), index)
    _, second, _ = run(tmp_path, "b", corpus_b(), index)
    _, third, stories = run(tmp_path, "b-again", corpus_b(), index)
    assert {d: r["story"] for d, r in third.items()} == {d: r["story"] for d, r in second.items()}
    assert all(r["seen_before"] for r in third.values())
    assert all(s["seen_before"] for s in stories.values())
    # A new story's id is the one a run without the index gives it: derived from its content.
    _, alone, _ = run(tmp_path, "b-alone", corpus_b(), None)
    for doc_id in (d for ids in NEW_IN_B.values() for d in ids):
        assert second[doc_id]["story"] == alone[doc_id]["story"]
        assert "seen_before" not in alone[doc_id]


def test_run_over_old_and_new_pages_keeps_old_ids(tmp_path, index):
    _, first, _ = run(tmp_path, "a", corpus_a(), index)
    _, both, _ = run(tmp_path, "ab", corpus_a() + corpus_b(), index)
    for doc_id, record in first.items():
        assert both[doc_id]["story"] == record["story"] and both[doc_id]["seen_before"]


def test_today_stories_matching_one_earlier_story_are_joined(tmp_path):
    index = str(tmp_path / "index.sqlite")
    paragraphs = body(40, paragraphs=8)
    _, first, _ = run(tmp_path, "a", [page("whole", "harbour", paragraphs)], index)
    # Two overlapping parts of the old page: each like the whole (Jaccard ~0.6), not like the other (~0.25).
    halves = [page("front", "metro", paragraphs[:5]), page("back", "valley", paragraphs[3:])]
    stats, second, stories = run(tmp_path, "b", halves, index)
    assert second["front"]["story"] == second["back"]["story"] == first["whole"]["story"]
    assert stats["index"]["stories_joined"] == 1 and len(stories) == 1
    _, alone, _ = run(tmp_path, "b-alone", halves, None)  # without the old page they are two stories
    assert alone["front"]["story"] != alone["back"]["story"]


def test_an_index_built_with_other_options_is_refused_before_any_work(tmp_path):
    index = tmp_path / "index.sqlite"
    source = write_jsonl(tmp_path / "a.jsonl", corpus_a())
    runner = CliRunner()
    assert runner.invoke(app, ["dedup", str(source), "--out", str(tmp_path / "o"), "--index", str(index), "-q"]).exit_code == 0
    result = runner.invoke(app, ["dedup", str(source), "--out", str(tmp_path / "o2"), "--index", str(index),
                                 "--num-perm", "64"])
    assert result.exit_code == 2 and "num_perm 128 (now 64)" in result.output
    assert not (tmp_path / "o2").exists()
    result = runner.invoke(app, ["dedup", str(source), "--index", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.output


@pytest.mark.parametrize("tables", [
    ["CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"],  # storysift's tables would be added to it
    ["CREATE TABLE stories (id INTEGER PRIMARY KEY, headline TEXT)"],  # the run crashed after all the cleaning
    ["CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)", "CREATE TABLE notes (body TEXT)"],
], ids=["other-tables", "a-stories-table", "meta-and-more"])
def test_another_programs_sqlite_database_is_refused_before_any_work_and_left_as_it_was(tmp_path, tables):
    index = tmp_path / "app.sqlite"
    with sqlite3.connect(index) as db:
        for statement in tables:
            db.execute(statement)
    before = index.read_bytes()
    source = write_jsonl(tmp_path / "a.jsonl", corpus_a()[:3])
    for command in ("run", "dedup"):
        result = CliRunner().invoke(app, [command, str(source), "--out", str(tmp_path / command), "--index", str(index)])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"storysift: error: --index {index}: {index} is not a storysift index "
                                        "(it holds the tables ")
        assert not (tmp_path / command).exists()
    assert index.read_bytes() == before
    assert not (tmp_path / "app.sqlite-wal").exists()


def test_cli_run_with_index_marks_seen_stories(tmp_path):
    index = str(tmp_path / "index.sqlite")
    runner = CliRunner()
    a = write_jsonl(tmp_path / "a.jsonl", corpus_a()[:12])
    b = write_jsonl(tmp_path / "b.jsonl", [p for p in corpus_b() if p["id"] in ("b0-metro", "b21-metro")])
    for source, out in ((a, "out-a"), (b, "out-b")):
        result = runner.invoke(app, ["run", str(source), "--out", str(tmp_path / out), "--index", index, "--workers", "1"])
        assert result.exit_code == 0, result.output
    first = {r["id"]: r for r in read_jsonl(tmp_path / "out-a" / "clean.jsonl")}
    second = {r["id"]: r for r in read_jsonl(tmp_path / "out-b" / "clean.jsonl")}
    assert second["b0-metro"]["seen_story"] == second["b0-metro"]["story"] == first["a0-harbour"]["story"]
    assert second["b21-metro"]["seen_before"] is False
    report = json.loads((tmp_path / "out-b" / "report.json").read_text())
    assert report["dedup"]["index"]["seen_stories"] == 1


def test_sqlite_index_keeps_signatures_and_band_keys_not_texts(tmp_path):
    index = tmp_path / "index.sqlite"
    stats, _, _ = run(tmp_path, "a", corpus_a(), str(index))
    db = sqlite3.connect(index)
    members = db.execute("SELECT count(*), sum(length(signature)) FROM members").fetchone()
    bands = db.execute("SELECT count(DISTINCT member), count(*) FROM bands").fetchone()
    story_index = StoryIndex(SqliteStore(index), 128, 5, 0.5)
    assert members == (stats["index"]["held"]["members"], members[0] * 128 * 4)
    assert bands == (members[0], members[0] * story_index.bands)
    assert not any("text" in column[1] for column in db.execute("PRAGMA table_info(members)"))


def test_writers_opening_a_new_sqlite_index_together_all_open_it(tmp_path):
    # SQLite refuses the switch to WAL at once while another connection has the file open.
    errors = []

    def open_and_write(path: Path) -> None:
        try:
            store = SqliteStore(path)
            store.params({"num_perm": 128})
            store.close()
        except Exception as exc:  # reported below: pytest does not see a thread's exception
            errors.append(exc)

    for round_ in range(50):
        threads = [threading.Thread(target=open_and_write, args=(tmp_path / f"{round_}.db",)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors


def test_a_sqlite_index_that_cannot_be_wal_opens_all_the_same():
    # ":memory:" answers the switch to WAL with its own mode; waiting for WAL would never end.
    counts = []
    thread = threading.Thread(target=lambda: counts.append(SqliteStore(Path(":memory:")).counts()), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert counts == [{"stories": 0, "members": 0}]


def test_concurrent_writers_store_every_text_once(tmp_path, index):
    pages = corpus_a() + corpus_b()
    # Four workers over overlapping slices at once, then one run over everything.
    slices = [pages[i::3] for i in range(3)] + [pages]
    errors = []

    def work(k):
        try:
            out = tmp_path / f"w{k}"
            dedup_file(write_jsonl(tmp_path / f"w{k}.jsonl", slices[k]), out, DedupOptions(index=index))
        except Exception as exc:  # reported below: pytest does not see a thread's exception
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(slices))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    stats, final, _ = run(tmp_path, "all", pages, index)
    assert all(r["seen_before"] for r in final.values())
    assert stats["index"]["texts_added"] == 0
    store = RedisStore(index) if index.startswith("redis://") else SqliteStore(Path(index))
    held = store.counts()["members"]
    assert held == stats["index"]["held"]["members"] >= len({r["text"] for r in final.values()})
    # Every stored text has all its band keys, once: no writer lost or doubled one.
    bands = StoryIndex(store, 128, 5, 0.5).bands
    if isinstance(store, RedisStore):
        keys = list(store.redis.scan_iter(match=store.prefix + "band:*", count=1000))
        entries = sum(store.redis.scard(k) for k in keys)
    else:
        entries = store.db.execute("SELECT count(*) FROM bands").fetchone()[0]
    assert entries == held * bands
    store.close()
