"""The Ray engine runs the same stages as the local one and writes identical files."""

import json
import random
import re
import time

import pytest

import storysift.run.ray_dedup as ray_dedup
from storysift.corpus.dedup import dedup_file
from storysift.run.engine import RunOptions, run_cleaning
from storysift.run.ray_dedup import Chunks, RaySteps
from tests.conftest import output_bytes

ray = pytest.importorskip("ray", reason="the Ray engine needs the optional extra storysift[ray]")

PAGE = ("<html><head><title>Ferry timetable approved</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>Ferry timetable approved</h1>"
        "<p>The harbour authority approved the new ferry timetable on Tuesday after months of talks "
        "with operators, unions and the island councils that depend on the crossings.</p>"
        "<p>Ferries will leave every forty minutes in summer and every hour in winter, and the last "
        "departure moves from nine to eleven in the evening on Fridays and Saturdays.</p>"
        "<p>Local shops expect more visitors from the mainland once the later crossings begin.</p>"
        "</article><div class='share-buttons'>Share on Facebook</div></body></html>")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_ray_engine_output_is_identical_to_the_local_engine(rules, tmp_path, local_ray):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(40):
        (folder / f"page{n:02d}.html").write_text(PAGE.replace("Tuesday", f"day {n}"), encoding="utf-8")
        (folder / f"note{n:02d}.txt").write_text(f"Note {n}\nThe council met on day {n} and agreed the budget.\n",
                                                 encoding="utf-8")
    (folder / "blank.txt").write_text("   \n", encoding="utf-8")
    local = run_cleaning([str(folder)], tmp_path / "local", rules, RunOptions())
    on_ray = run_cleaning([str(folder)], tmp_path / "ray", rules, RunOptions(engine="ray"))
    assert on_ray.written == local.written == 80 and on_ray.rejected == 1
    for name in ("clean.jsonl", "rejects.jsonl", "stories.jsonl", "report.json"):
        assert output_bytes(tmp_path / "ray" / name) == output_bytes(tmp_path / "local" / name), name


WORDS = ("harbour council ferry budget minister report election union school hospital river bridge market price "
         "energy storm police court museum festival library railway airport factory farmers students teachers "
         "workers voters residents officials analysts engineers doctors approved rejected announced delayed "
         "expanded reduced opened closed funded criticised").split()
SITES = ["Daily Ledger", "Coast Courier", "Valley Herald", "Metro Wire"]
OUTPUTS = ("clean.jsonl", "rejects.jsonl", "stories.jsonl", "report.json", "report.html")
SMALL = Chunks(docs=4, bands=3, bucket_keys=8)  # every step in several tasks on the corpus below


def story(rng, n):
    def paragraph():
        return " ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 18))).capitalize() + "."
                        for _ in range(3))
    return [f"Story {n}: " + " ".join(rng.choice(WORDS) for _ in range(5)).title()] + [paragraph() for _ in range(5)]


def page(body, site, rng):
    related = [f"{site} Report On The {a.title()} Vote In {b.title()}" for a, b in zip(rng.sample(WORDS, 4), rng.sample(WORDS, 4))]
    return "\n\n".join([*body, "Related stories", "\n".join(related), f"Copyright {site}. All rights reserved."]) + "\n"


@pytest.fixture(scope="module")
def syndicated(tmp_path_factory, rules):
    """Six stories each on three sites (a new headline, a last paragraph dropped, each site's
    furniture) and sixteen unrelated pages, cleaned and deduplicated by the local engine."""
    root = tmp_path_factory.mktemp("syndicated")
    folder = root / "in"
    folder.mkdir()
    rng = random.Random(11)
    copies = []
    for n in range(6):
        body = story(rng, n)
        names = []
        for k, site in enumerate(SITES[:3]):
            edited = body if k == 0 else [body[0] + f" ({site})", *body[1:-1 if k == 2 else None]]
            names.append(f"{site.split()[0].lower()}-story{n}.txt")
            (folder / names[-1]).write_text(page(edited, site, rng), encoding="utf-8")
        copies.append(names)
    for n in range(16):
        site = SITES[n % len(SITES)]
        (folder / f"{site.split()[0].lower()}-other{n}.txt").write_text(page(story(rng, 100 + n), site, rng),
                                                                      encoding="utf-8")
    run_cleaning([str(folder)], root / "local", rules, RunOptions())
    return folder, root / "local", copies


def assert_same_files(left, right, names=OUTPUTS):
    for name in names:
        assert output_bytes(left / name) == output_bytes(right / name), name


def test_copies_merge_and_every_file_is_the_local_engines_with_dedup_in_ray_tasks(
        syndicated, rules, tmp_path, local_ray, monkeypatch, caplog):
    folder, local, copies = syndicated
    clean = {r["id"]: r for r in map(json.loads, (local / "clean.jsonl").read_text().splitlines())}
    for names in copies:
        assert len({clean[name]["story"] for name in names}) == 1, names
    report = json.loads((local / "report.json").read_text())["dedup"]
    assert (report["documents"], report["distinct_stories"]) == (34, 22)
    monkeypatch.setattr(ray_dedup, "DEFAULT_CHUNKS", SMALL)
    caplog.set_level("INFO", logger="storysift.run.ray_dedup")
    run_cleaning([str(folder)], tmp_path, rules, RunOptions(engine="ray"))
    assert_same_files(local, tmp_path)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "storysift.run.ray_dedup"]
    tasks = {step: int(count) for count, step in re.findall(r"(\d+) (per-document|bucketing|verification)", line)}
    assert len(tasks) == 3 and min(tasks.values()) > 1, line


@pytest.mark.parametrize("chunks", [Chunks(docs=1, bands=1, bucket_keys=1, in_flight_per_cpu=8),
                                    SMALL, Chunks()])
def test_dedup_output_does_not_depend_on_how_the_work_is_cut_into_tasks(syndicated, tmp_path, local_ray, chunks):
    _, local, _ = syndicated
    expected = dedup_file(local / "clean.jsonl", tmp_path / "local")
    steps = RaySteps(chunks=chunks)
    assert dedup_file(local / "clean.jsonl", tmp_path / "ray", steps=steps) == expected
    assert_same_files(tmp_path / "local", tmp_path / "ray", ("clean.jsonl", "stories.jsonl"))
    assert steps.tasks["map"] >= -(-expected["documents"] // chunks.docs)
    assert steps.tasks["bucket"] >= -(-expected["options"]["lsh_bands"] // chunks.bands)
    assert steps.tasks["verify"] >= (2 if chunks.bucket_keys <= SMALL.bucket_keys else 1)
    assert steps.checks_on_driver == 0  # every check was foreseen by a task


def test_dedup_output_does_not_depend_on_the_order_tasks_finish_in(syndicated, tmp_path, local_ray, monkeypatch):
    _, local, _ = syndicated
    dedup_file(local / "clean.jsonl", tmp_path / "local")
    jitter = random.Random(3)
    for name in ("run_work", "bucket_bands", "verify_buckets"):
        task, delay = getattr(ray_dedup, name), [jitter.uniform(0, 0.05) for _ in range(200)]

        def late(*args, task=task, delay=delay):
            time.sleep(delay[hash(repr(args[-1])) % len(delay)])
            return task(*args)

        monkeypatch.setattr(ray_dedup, name, late)
    dedup_file(local / "clean.jsonl", tmp_path / "ray", steps=RaySteps(chunks=Chunks(docs=2, bands=1, bucket_keys=2,
                                                                                       in_flight_per_cpu=16)))
    assert_same_files(tmp_path / "local", tmp_path / "ray", ("clean.jsonl", "stories.jsonl"))


def test_checks_no_task_made_are_made_on_the_driver_with_the_same_result(syndicated, tmp_path, local_ray, monkeypatch):
    _, local, _ = syndicated
    expected = dedup_file(local / "clean.jsonl", tmp_path / "local")
    monkeypatch.setattr(ray_dedup, "verify_buckets", lambda *args: {})
    steps = RaySteps(chunks=SMALL)
    assert dedup_file(local / "clean.jsonl", tmp_path / "ray", steps=steps) == expected
    assert_same_files(tmp_path / "local", tmp_path / "ray", ("clean.jsonl", "stories.jsonl"))
    assert steps.checks_on_driver == expected["jaccard_checks"] > 0


def test_verified_joins_on_ray_are_the_local_joins_where_the_check_cap_binds(local_ray):
    """Buckets of up to 12 keys from many stories, with keys between two stories: which pairs
    are checked (at most 3 sets per key in a bucket) depends on the joins made before."""
    import numpy as np

    from storysift.corpus.stories import UnionFind, Verification, join_buckets

    rng = np.random.default_rng(7)
    bases = [rng.choice(2**32, 400, replace=False).astype(np.uint32) for _ in range(15)]
    sets = []
    for _ in range(120):
        a, b = rng.choice(15, 2, replace=False)
        mix = rng.uniform(0.5, 1.0)  # a share of story a, the rest of story b
        sets.append(np.unique(np.concatenate([bases[a][:int(400 * mix)], bases[b][:int(400 * (1 - mix))]])))
    buckets = sorted({tuple(sorted(rng.choice(120, rng.integers(2, 13), replace=False).tolist())) for _ in range(300)})
    buckets = [list(bucket) for bucket in buckets]
    local = UnionFind(range(120))
    expected = join_buckets(buckets, sets.__getitem__, Verification(0.5), local)
    steps = RaySteps(chunks=Chunks(bucket_keys=40, in_flight_per_cpu=4))
    on_ray = UnionFind(range(120))
    assert steps.join(buckets, sets.__getitem__, Verification(0.5), on_ray) == expected
    assert on_ray.groups() == local.groups() and len(local.groups()) < 100
    assert steps.tasks["verify"] > 10
