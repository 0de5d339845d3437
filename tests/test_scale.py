"""The streaming engine: process pool, per-document time limit, crash isolation, resumable
shards and progress (issue 4). Outputs must not depend on how the work was split."""

import io
import os
import time

import pytest

from storysift.read.files import iter_inputs
from storysift.clean import page
from storysift.run import engine, shards
from storysift.run.engine import RunOptions, run_cleaning
from storysift.run.progress import Progress
from storysift.run.shards import ResumeError
from tests.conftest import output_bytes

ARTICLE = ("The harbour authority approved the new ferry timetable on Tuesday after months of talks.\n"
           "Ferries will leave every forty minutes in summer and every hour in winter.\n"
           "Local shops expect more visitors from the mainland.\n")


def corpus(folder, count=12):
    folder.mkdir()
    for n in range(count):
        (folder / f"doc{n:02d}.txt").write_text(f"Story number {n}\n{ARTICLE}Closing line {n}.\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


def outputs(out):
    return {p.name: output_bytes(p) for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of three inputs: a corpus of twelve makes several."""
    monkeypatch.setattr(engine, "SHARD_SIZE", 3)
    monkeypatch.setattr(shards, "SHARD_SIZE", 3)


def kill_reading_at(monkeypatch, count):
    """Reading raises KeyboardInterrupt (Ctrl-C) at input `count` (0-based); returns the undo."""
    real_iter = iter_inputs

    def killed(inputs, options):
        for n, item in enumerate(real_iter(inputs, options)):
            if n == count:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(engine, "iter_inputs", killed)
    return lambda: monkeypatch.setattr(engine, "iter_inputs", real_iter)


def record_cleaning(monkeypatch):
    """The ids of the documents cleaned from now on."""
    cleaned = []
    real_clean = page.clean_document
    monkeypatch.setattr(page, "clean_document", lambda raw, r: cleaned.append(raw.id) or real_clean(raw, r))
    return cleaned


def test_two_workers_give_byte_identical_output(rules, tmp_path):
    folder = corpus(tmp_path / "in", 40)
    run_cleaning([str(folder)], tmp_path / "one", rules, RunOptions(workers=1))
    run_cleaning([str(folder)], tmp_path / "two", rules, RunOptions(workers=2))
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert not (tmp_path / "two" / shards.WORK_DIR).exists()


def test_killed_run_resumes_skipping_finished_shards_with_identical_output(rules, tmp_path, monkeypatch, small_shards):
    folder = corpus(tmp_path / "in", 12)
    run_cleaning([str(folder)], tmp_path / "whole", rules, RunOptions())

    undo = kill_reading_at(monkeypatch, 7)
    with pytest.raises(KeyboardInterrupt):
        run_cleaning([str(folder)], tmp_path / "resumed", rules, RunOptions())
    assert not (tmp_path / "resumed" / "clean.jsonl").exists()
    assert (tmp_path / "resumed" / shards.WORK_DIR / "000001.done").exists()  # two shards of three finished

    undo()
    with pytest.raises(ResumeError, match="left 2 finished shards here; --resume continues it, --fresh discards it"):
        run_cleaning([str(folder)], tmp_path / "resumed", rules, RunOptions())  # neither: the work is kept
    assert (tmp_path / "resumed" / shards.WORK_DIR / "000001.done").exists()

    cleaned = record_cleaning(monkeypatch)
    run_cleaning([str(folder)], tmp_path / "resumed", rules, RunOptions(resume=True))
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "whole")
    assert len(cleaned) == 12 - 6  # 13 inputs, one is an empty-file reject; the first 6 were done
    assert "doc00.txt" not in cleaned


@pytest.mark.parametrize("name", ["clean.jsonl", "clean.jsonl.zst", "clean.parquet"])
def test_a_killed_clean_resumes_into_the_same_file_an_uninterrupted_one_writes(tmp_path, monkeypatch, small_shards,
                                                                             name):
    from typer.testing import CliRunner

    from storysift.cli import app

    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow.parquet")
    folder = corpus(tmp_path / "in", 12)
    runner = CliRunner()
    whole, out = tmp_path / "whole" / name, tmp_path / "resumed" / name
    assert runner.invoke(app, ["clean", str(folder), "--out", str(whole)]).exit_code == 0
    undo = kill_reading_at(monkeypatch, 7)
    killed = runner.invoke(app, ["clean", str(folder), "--out", str(out)])
    assert killed.exit_code == 130 and "rerun with --resume to continue" in killed.stderr
    assert not out.exists()
    undo()
    refused = runner.invoke(app, ["clean", str(folder), "--out", str(out)])
    assert refused.exit_code == 2 and "--resume continues it, --fresh discards it" in refused.stderr

    cleaned = record_cleaning(monkeypatch)
    assert runner.invoke(app, ["clean", str(folder), "--out", str(out), "--resume"]).exit_code == 0
    assert out.read_bytes() == whole.read_bytes()
    assert (out.parent / f"{name}.rejects.jsonl").read_bytes() == (whole.parent / f"{name}.rejects.jsonl").read_bytes()
    assert len(cleaned) == 12 - 6 and "doc00.txt" not in cleaned
    assert sorted(p.name for p in out.parent.iterdir()) == [name, f"{name}.rejects.jsonl"]  # no work folder left


def test_clean_to_stdout_cannot_resume():
    from typer.testing import CliRunner

    from storysift.cli import app

    result = CliRunner().invoke(app, ["clean", "x.txt", "--resume"])
    assert result.exit_code == 2 and "--out - streams and keeps nothing" in result.stderr


def test_fresh_discards_a_killed_runs_shards_and_starts_over(rules, tmp_path, monkeypatch, small_shards):
    folder = corpus(tmp_path / "in", 12)
    run_cleaning([str(folder)], tmp_path / "whole", rules, RunOptions())
    undo = kill_reading_at(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        run_cleaning([str(folder)], tmp_path / "again", rules, RunOptions())
    undo()
    cleaned = record_cleaning(monkeypatch)
    run_cleaning([str(folder)], tmp_path / "again", rules, RunOptions(fresh=True))
    assert outputs(tmp_path / "again") == outputs(tmp_path / "whole")
    assert len(cleaned) == 12  # nothing skipped


def test_resume_refuses_a_work_folder_of_other_inputs(rules, tmp_path, monkeypatch):
    folder = corpus(tmp_path / "in", 3)
    out = tmp_path / "out"
    monkeypatch.setattr(engine, "iter_inputs", lambda inputs, options: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_cleaning([str(folder)], out, rules, RunOptions())
    monkeypatch.undo()
    other = corpus(tmp_path / "other", 2)
    with pytest.raises(ResumeError, match="--fresh discards it"):
        run_cleaning([str(other)], out, rules, RunOptions(resume=True))


def test_slow_document_is_rejected_at_the_time_limit_and_the_run_goes_on(rules, tmp_path, monkeypatch):
    folder = corpus(tmp_path / "in", 3)
    real_clean = page.clean_document

    def slow_on_doc01(raw, r):
        if raw.id == "doc01.txt":
            time.sleep(5)
        return real_clean(raw, r)

    monkeypatch.setattr(page, "clean_document", slow_on_doc01)
    started = time.perf_counter()
    report = run_cleaning([str(folder)], tmp_path / "out", rules, RunOptions(timeout=0.3, dedup=None))
    assert time.perf_counter() - started < 4
    rejects = (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8")
    assert "doc01.txt" in rejects and "0.3s limit" in rejects
    assert report.written == 2


def test_a_document_that_kills_its_worker_is_rejected_and_the_others_are_cleaned(rules, tmp_path, monkeypatch):
    folder = corpus(tmp_path / "in", 6)
    real_clean = page.clean_document

    def crash_on_doc02(raw, r):  # inherited by the forked workers
        if raw.id == "doc02.txt":
            os._exit(3)
        return real_clean(raw, r)

    monkeypatch.setattr(page, "clean_document", crash_on_doc02)
    report = run_cleaning([str(folder)], tmp_path / "out", rules, RunOptions(workers=2, dedup=None))
    rejects = (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8")
    assert "doc02.txt" in rejects and "crashed" in rejects
    assert report.written == 5 and report.rejected == 2  # the crash and the empty file


def test_progress_line_names_the_stage_with_rate_and_eta_when_the_total_is_known():
    stream = io.StringIO()
    progress = Progress(stream=stream, terminal=True)
    progress.stage("stories", 10)
    progress.last_draw = -1e9
    progress.update(4)
    line = stream.getvalue()
    assert line.startswith("\rstorysift: stories: 4/10 documents") and "docs/s" in line and "ETA" in line
    quiet = io.StringIO()
    silent = Progress(quiet=True, stream=quiet, terminal=True)
    silent.stage("cleaning", 10)
    silent.last_draw = -1e9
    silent.update(4)
    assert quiet.getvalue() == ""


def test_progress_off_a_terminal_is_a_plain_line_every_interval(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    stream = io.StringIO()
    progress = Progress(stream=stream, terminal=False, every=30)
    progress.stage("cleaning")
    for done in range(1, 101):
        clock[0] += 1  # a document a second
        progress.update(done)
    assert stream.getvalue().splitlines() == [
        "storysift: cleaning: 30 documents, 1.0 docs/s",
        "storysift: cleaning: 60 documents, 1.0 docs/s",
        "storysift: cleaning: 90 documents, 1.0 docs/s",
    ]
    progress.stage("writing")
    clock[0] += 5
    progress.update(1)
    assert progress.line() == "storysift: writing: 1 document, 0.2 docs/s"
    progress.close()
    assert progress.timings() == {"cleaning": 100.0, "writing": 5.0}


def test_clean_command_with_two_workers_writes_the_same_records(tmp_path):
    from typer.testing import CliRunner

    from storysift.cli import app

    folder = corpus(tmp_path / "in", 30)
    runner = CliRunner()
    one = runner.invoke(app, ["clean", str(folder), "--out", str(tmp_path / "one.jsonl")])
    two = runner.invoke(app, ["clean", str(folder), "--out", str(tmp_path / "two.jsonl"), "--workers", "2"])
    assert one.exit_code == two.exit_code == 0
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert len((tmp_path / "one.jsonl").read_text(encoding="utf-8").splitlines()) == 30


@pytest.mark.parametrize("change", ["content", "mtime", "new file"])
def test_resume_refuses_an_input_changed_since_the_killed_run(rules, tmp_path, monkeypatch, small_shards, change):
    import os

    folder, out = corpus(tmp_path / "in", 8), tmp_path / "out"
    undo = kill_reading_at(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        run_cleaning([str(folder)], out, rules, RunOptions())
    undo()
    first = sorted(folder.iterdir())[0]  # in a finished shard: resuming would keep its old text
    if change == "content":
        first.write_text(first.read_text(encoding="utf-8").replace("the", "a"), encoding="utf-8")
    elif change == "mtime":
        os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 1_000_000_000))
    else:
        (folder / "aaa-new.txt").write_text("A page added before the others.\n", encoding="utf-8")
    with pytest.raises(ResumeError, match=f"the input {folder} changed since the killed run"):
        run_cleaning([str(folder)], out, rules, RunOptions(resume=True))
    run_cleaning([str(folder)], out, rules, RunOptions(fresh=True))
