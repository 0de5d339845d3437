"""Where a run writes (issue 14): a pipe or a device named as an output is written as it is, never
replaced; a write that fails (disk full, read-only folder) ends the command with a message that
names the file and the reason, exit code 4, and no temporary file left behind."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storysift.cli import app
from storysift.write import outputs
from tests.conftest import output_bytes

runner = CliRunner()
posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and devices")
PAGE = "The harbour board voted on Tuesday to run a night ferry between the two piers for six months.\n"


def storysift(*args):
    return runner.invoke(app, [str(a) for a in args])


def inputs(tmp_path: Path, count: int = 3) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(count):
        (folder / f"page{n}.txt").write_text(f"Page {n}. {PAGE}", encoding="utf-8")
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


@posix
def test_clean_out_dev_null_writes_to_it_and_leaves_it_a_device(tmp_path):
    # As root, the temporary file and rename replaced the system's /dev/null with a regular file.
    result = storysift("clean", inputs(tmp_path), "--out", "/dev/null")
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not Path("/dev/null.rejects.jsonl").exists()
    assert not [p for p in Path("/dev").glob(".null.*.tmp")]


@posix
def test_clean_out_fifo_streams_into_the_pipe_and_keeps_it(tmp_path):
    fifo = tmp_path / "records.jsonl"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = storysift("clean", inputs(tmp_path), "--out", fifo, "--rejects", tmp_path / "rejects.jsonl")
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [json.loads(line)["id"] for line in received[0].decode().splitlines()] == [
        "page0.txt", "page1.txt", "page2.txt"]


@posix
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_is_named_with_exit_code_4(tmp_path):
    result = storysift("clean", inputs(tmp_path), "--out", "/dev/full")
    assert result.exit_code == 4
    assert result.stderr == "storysift: error: cannot write /dev/full: No space left on device\n"


@posix
def test_run_refuses_an_out_folder_holding_a_pipe_under_an_output_name(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "report.json")
    result = storysift("run", inputs(tmp_path), "--out", out)
    assert result.exit_code == 2
    assert "report.json there is a named pipe (FIFO), which a run would replace" in result.stderr
    assert stat.S_ISFIFO(os.stat(out / "report.json").st_mode)
    result = storysift("run", tmp_path / "in", "--out", "/dev/null")
    assert result.exit_code == 2 and "--out /dev/null is a character device; a run writes a folder" in result.stderr


def test_run_on_a_full_disk_names_the_file_keeps_the_shards_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from storysift.write.complete import read_complete

    folder, out = inputs(tmp_path), tmp_path / "out"
    assert storysift("run", folder / "page0.txt", "--out", out, "-q").exit_code == 0
    previous = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write = outputs._OutputFile.write

    def full_disk(self, data):  # as _OutputFile.write fails on a full disk (/dev/full above)
        if self.target.name == "stories.jsonl":  # the disk fills up during the dedup stage
            raise outputs.OutputError(self.target, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
        return real_write(self, data)

    monkeypatch.setattr(outputs._OutputFile, "write", full_disk)
    result = storysift("run", folder, "--out", out, "-q")
    assert result.exit_code == 4, result.output
    staged = out / ".storysift-staged" / "stories.jsonl"
    assert result.stderr.startswith(f"storysift: error: cannot write {staged}: No space left on device;")
    assert f"; {out}/ still holds its previous complete output; the finished shards are kept" in result.stderr
    assert "rerun with --resume" in result.stderr and "Traceback" not in result.output
    assert leftovers(out) == []
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == previous  # whole, with its manifest
    read_complete(out, ("clean.jsonl", "report.json"))
    monkeypatch.undo()
    again = storysift("run", folder, "--out", out, "-q", "--resume")
    assert again.exit_code == 0, again.output
    assert len((out / "clean.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_a_read_only_out_folder_is_named_with_exit_code_4(tmp_path, monkeypatch):
    # Simulated: as root (CI) a folder's permissions do not stop a write.
    folder, out = inputs(tmp_path), tmp_path / "out"
    out.mkdir()
    real_open, real_mkdir = os.open, os.mkdir

    def read_only(function):
        def refused(path, *args, **kwargs):
            if Path(path).is_relative_to(out) and Path(path) != out:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return function(path, *args, **kwargs)
        return refused

    monkeypatch.setattr(os, "open", read_only(real_open))
    monkeypatch.setattr(os, "mkdir", read_only(real_mkdir))
    for command in (["run", folder, "--out", out, "-q"], ["clean", folder, "--out", out / "clean.jsonl"]):
        result = storysift(*command)
        assert result.exit_code == 4, result.output
        assert f"{out}" in result.stderr and ": Read-only file system" in result.stderr
        assert result.stderr.startswith("storysift: error: cannot ") and "Traceback" not in result.output
        assert "--resume" not in result.stderr  # nothing was finished
    assert list(out.iterdir()) == []


# One command at a time per output folder ----------------------------------------------------------


@posix
def test_a_command_into_a_folder_another_is_writing_refuses_and_touches_nothing(tmp_path):
    from storysift.run.lock import LOCK_NAME, output_lock

    folder, out = inputs(tmp_path), tmp_path / "out"
    assert storysift("run", folder, "--out", out, "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert LOCK_NAME not in before  # removed when the run ends
    with output_lock(out):
        for command in (["run", folder, "--out", out, "-q"], ["run", folder, "--out", out, "--fresh", "-q"],
                        ["dedup", out / "clean.jsonl", "--out", out, "-q"],
                        # issue 14 audit: clean --out FILE (or its rejects) in that folder
                        ["clean", folder, "--out", out / "clean.jsonl", "-q"],
                        ["clean", folder, "--out", tmp_path / "elsewhere.jsonl", "--rejects", out / "rejects.jsonl"]):
            result = storysift(*command)
            assert result.exit_code == 2
            assert result.stderr == (f"storysift: error: {out}: another storysift command (pid {os.getpid()}) is "
                                     "writing into this folder; wait for it to end, or choose another --out\n")
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != LOCK_NAME} == before
    assert storysift("run", folder, "--out", out, "-q").exit_code == 0


@posix
def test_two_runs_started_into_one_folder_leave_the_first_ones_output_whole(tmp_path):
    import subprocess
    import sys
    import time

    from storysift.run.lock import LOCK_NAME

    pipe, out = tmp_path / "pages.jsonl", tmp_path / "out"
    os.mkfifo(pipe)  # the first run waits on it, holding the folder, until the test writes the pages
    command = [sys.executable, "-m", "storysift.cli", "run", str(pipe), "--out", str(out), "-q", "--workers", "1"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / LOCK_NAME).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        second = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and f"another storysift command (pid {first.pid})" in second.stderr
        with pipe.open("w", encoding="utf-8") as stream:
            for n in range(20):
                stream.write(json.dumps({"id": f"story-{n}", "text": f"Story {n}. {PAGE}"}) + "\n")
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        first.kill()
        first.wait()
    assert len((out / "clean.jsonl").read_text(encoding="utf-8").splitlines()) == 20


@posix
def test_a_child_forked_by_a_killed_run_does_not_keep_its_folder_locked(tmp_path):
    # A cleaning worker shares its parent's open files: it must not inherit the folder's lock.
    import subprocess
    import sys

    from storysift.run.lock import output_lock

    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from storysift.run.lock import output_lock\n"
        "with output_lock(Path(sys.argv[1])):\n"
        "    child = os.fork()\n"
        "    if child == 0:\n"
        "        for stream in (1, 2):\n"
        "            os.dup2(os.open(os.devnull, os.O_WRONLY), stream)  # the test reads to the end of stdout\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "    print(child, flush=True)\n"
        "    os._exit(0)  # dies holding the lock, as under SIGKILL\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=60)
    child = int(done.stdout)
    try:
        with output_lock(tmp_path / "out"):
            pass
    finally:
        os.kill(child, 9)


# The output folder as a set ------------------------------------------------------------------------


def manifest_of(out: Path) -> dict:
    return json.loads((out / "complete.json").read_text(encoding="utf-8"))


def test_a_run_writes_its_manifest_last_naming_every_file_it_switched_in(tmp_path):
    import hashlib

    from storysift.write.complete import read_complete

    folder = inputs(tmp_path)
    for out in (tmp_path / "one", tmp_path / "two"):
        assert storysift("run", folder, "--out", out, "-q").exit_code == 0
    manifest = manifest_of(tmp_path / "one")
    assert sorted(manifest["files"]) == ["clean.jsonl", "rejects.jsonl", "report.html", "report.json", "stories.jsonl"]
    for name, described in manifest["files"].items():
        data = (tmp_path / "one" / name).read_bytes()
        assert described == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    # the same but for report.json's run section (times), and so its size and digest
    assert output_bytes(tmp_path / "one" / "complete.json") == output_bytes(tmp_path / "two" / "complete.json")
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted([*manifest["files"], "complete.json"])
    read_complete(tmp_path / "one", tuple(manifest["files"]))


def test_a_run_that_fails_after_cleaning_leaves_the_previous_output_whole(tmp_path, monkeypatch):
    # The probe's case: killed after the merge, the new clean.jsonl (without story fields) sat
    # beside the previous run's report.json and stories.jsonl.
    from storysift.run import engine

    folder, out = inputs(tmp_path), tmp_path / "out"
    assert storysift("run", folder / "page0.txt", "--out", out, "-q").exit_code == 0
    previous = {p.name: p.read_bytes() for p in out.iterdir()}

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "dedup_stage", killed)
    assert storysift("run", folder, "--out", out, "-q").exit_code == 130
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == previous


def test_a_run_stopped_while_switching_its_files_in_has_no_manifest_and_resume_completes_it(tmp_path, monkeypatch):
    from storysift.write import complete

    folder, out = inputs(tmp_path), tmp_path / "out"
    assert storysift("run", folder / "page0.txt", "--out", out, "-q").exit_code == 0
    real_replace, switched = os.replace, []

    def stopped_after_one(source, target):
        if Path(target).parent == out:  # switching a staged output in
            if switched:
                raise KeyboardInterrupt  # as SIGKILL between two renames
            switched.append(target)
        real_replace(source, target)

    monkeypatch.setattr(complete.os, "replace", stopped_after_one)
    assert storysift("run", folder, "--out", out, "-q").exit_code == 130
    monkeypatch.undo()
    assert [Path(p).name for p in switched] == ["clean.jsonl"] and not (out / "complete.json").exists()
    refused = storysift("dedup", out / "clean.jsonl", "--out", out, "-q")
    assert refused.exit_code == 3
    assert refused.stderr.startswith(f"storysift: error: {out}/ has no complete.json: its files are not one "
                                     "command's complete output")
    assert storysift("run", folder, "--out", out, "-q", "--resume").exit_code == 0
    whole = tmp_path / "whole"
    assert storysift("run", folder, "--out", whole, "-q").exit_code == 0
    assert {p.name: output_bytes(p) for p in out.iterdir()} == {p.name: output_bytes(p) for p in whole.iterdir()}


def test_an_output_a_run_does_not_write_again_is_removed_with_the_rest(tmp_path):
    folder, out = inputs(tmp_path), tmp_path / "out"
    assert storysift("run", folder, "--out", out, "-q").exit_code == 0
    (folder / "empty.txt").write_text("")
    assert storysift("run", folder, "--out", out, "-q", "--strict", "--no-html-report").exit_code == 1
    assert not (out / "stories.jsonl").exists() and not (out / "report.html").exists()  # not the earlier run's
    assert sorted(manifest_of(out)["files"]) == ["clean.jsonl", "rejects.jsonl", "report.json"]


def test_resume_on_a_folder_holding_the_runs_complete_output_does_no_work(tmp_path, monkeypatch):
    from storysift.clean import page

    folder, out = inputs(tmp_path), tmp_path / "out"
    assert storysift("run", folder, "--out", out, "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    cleaned = []
    real_clean = page.clean_document
    monkeypatch.setattr(page, "clean_document", lambda raw, rules: cleaned.append(raw.id) or real_clean(raw, rules))
    resumed = storysift("run", folder, "--out", out, "--resume", "--workers", "1")
    assert resumed.exit_code == 0 and cleaned == []
    assert "3 read, 3 written, 0 rejected" in resumed.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    again = storysift("run", folder, "--out", out, "-q", "--resume", "--threshold", "0.6", "--workers", "1")
    assert again.exit_code == 0 and len(cleaned) == 3  # other options: other files


def test_a_report_read_back_from_report_json_is_the_report_that_wrote_it(tmp_path):
    from storysift.write.report import RunReport

    folder, out = inputs(tmp_path), tmp_path / "out"
    (folder / "empty.txt").write_text("")
    assert storysift("run", folder, "--out", out, "-q").exit_code == 0
    written = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert RunReport.from_dict(written).as_dict() == written


@posix
@pytest.mark.parametrize("command", ["clean", "clean-stream", "dedup"])
def test_a_rejects_target_that_is_a_pipe_or_device_is_never_removed_when_there_are_no_rejects(tmp_path, command):
    # With no rejects, the rejects file a previous run left is removed: as root, --rejects
    # /dev/null removed /dev/null. A FIFO (or, for root, a character device) stays as it was.
    special = tmp_path / "rejects.jsonl"
    if os.geteuid() == 0:
        os.mknod(special, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    else:
        os.mkfifo(special)
    folder = inputs(tmp_path)
    if command == "dedup":
        assert storysift("clean", folder, "--out", tmp_path / "clean.jsonl").exit_code == 0
        result = storysift("dedup", tmp_path / "clean.jsonl", "--out", tmp_path / "dd", "--rejects", special, "-q")
    else:
        out = "/dev/null" if command == "clean-stream" else tmp_path / "out.jsonl"
        result = storysift("clean", folder, "--out", out, "--rejects", special, "-q")
    assert result.exit_code == 0, result.output
    assert os.path.lexists(special) and not stat.S_ISREG(os.lstat(special).st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_resume_refuses_an_input_rewritten_at_the_same_size_with_its_old_modification_time(tmp_path):
    folder = inputs(tmp_path)
    out = tmp_path / "out"
    assert storysift("run", folder, "--out", out, "-q", "--workers", "1").exit_code == 0
    page = folder / "page0.txt"
    before = page.stat()
    page.write_text(page.read_text(encoding="utf-8").upper(), encoding="utf-8")  # same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # as touch -r or cp -p would
    assert storysift("run", folder, "--out", out, "-q", "--resume", "--workers", "1").exit_code == 0
    texts = [json.loads(line)["text"] for line in (out / "clean.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(text.startswith("PAGE 0.") for text in texts)  # cleaned again, not the old output kept
