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
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_two_workers_give_byte_identical_output(rules, tmp_path):
    folder = corpus(tmp_path / "in", 40)
    run_cleaning([str(folder)], tmp_path / "one", rules, RunOptions(workers=1))
    run_cleaning([str(folder)], tmp_path / "two", rules, RunOptions(workers=2))
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert not (tmp_path / "two" / shards.WORK_DIR).exists()


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of three inputs, so a small corpus makes several."""
    monkeypatch.setattr(engine, "SHARD_SIZE", 3)
    monkeypatch.setattr(shards, "SHARD_SIZE", 3)


def cleaned_ids(monkeypatch) -> list[str]:
    """The ids of the documents cleaned from now on (in this process), in order."""
    cleaned: list[str] = []
    real_clean = page.clean_document
    monkeypatch.setattr(page, "clean_document", lambda raw, r: cleaned.append(raw.id) or real_clean(raw, r))
    return cleaned


def killed_run(rules, folder, out, monkeypatch, after: int) -> None:
    """A run of `folder` into `out` interrupted (as by Ctrl-C) as it reads input number `after`."""
    real_iter = iter_inputs

    def killed(inputs, options):
        for count, item in enumerate(real_iter(inputs, options)):
            if count == after:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(engine, "iter_inputs", killed)
    with pytest.raises(KeyboardInterrupt):
        run_cleaning([str(folder)], out, rules, RunOptions())
    monkeypatch.setattr(engine, "iter_inputs", real_iter)


def test_killed_run_resumes_skipping_finished_shards_with_identical_output(rules, tmp_path, monkeypatch, small_shards):
    folder = corpus(tmp_path / "in", 12)
    run_cleaning([str(folder)], tmp_path / "whole", rules, RunOptions())

    killed_run(rules, folder, tmp_path / "resumed", monkeypatch, after=7)
    assert not (tmp_path / "resumed" / "clean.jsonl").exists()
    assert (tmp_path / "resumed" / shards.WORK_DIR / "000001.done").exists()  # two shards of three finished

    with pytest.raises(ResumeError, match="left 2 finished shards here; --resume continues it, --fresh discards it"):
        run_cleaning([str(folder)], tmp_path / "resumed", rules, RunOptions())  # neither: the work is kept
    assert (tmp_path / "resumed" / shards.WORK_DIR / "000001.done").exists()

    cleaned = cleaned_ids(monkeypatch)
    run_cleaning([str(folder)], tmp_path / "resumed", rules, RunOptions(resume=True))
    assert outputs(tmp_path / "resumed") == outputs(tmp_path / "whole")
    assert len(cleaned) == 12 - 6  # 13 inputs, one is an empty-file reject; the first 6 were done
    assert "doc00.txt" not in cleaned


def test_fresh_discards_a_killed_runs_shards_and_starts_over(rules, tmp_path, monkeypatch, small_shards):
    folder = corpus(tmp_path / "in", 12)
    run_cleaning([str(folder)], tmp_path / "whole", rules, RunOptions())
    killed_run(rules, folder, tmp_path / "again", monkeypatch, after=4)
    cleaned = cleaned_ids(monkeypatch)
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


def test_progress_line_shows_rate_and_eta_when_the_total_is_known():
    stream = io.StringIO()
    progress = Progress(total=10, enabled=True, stream=stream)
    progress.last_draw = -1e9
    progress.update(4)
    line = stream.getvalue()
    assert "4/10 documents" in line and "docs/s" in line and "ETA" in line
    quiet = io.StringIO()
    Progress(total=10, enabled=False, stream=quiet).update(4)
    assert quiet.getvalue() == ""


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
    killed_run(rules, folder, out, monkeypatch, after=4)
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
