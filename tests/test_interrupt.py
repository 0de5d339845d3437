"""Outputs are atomic (issue 6): a run killed with SIGKILL while writing leaves the previous
complete output, or none, never a truncated clean.jsonl; the same command run again completes."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

RECORDS = 1500  # ~3 s of work: time to see a partial output and kill the run


def write_corpus(path: Path, records: int) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for n in range(records):
            text = "\n\n".join(
                f"Paragraph {p} of story {n}: the harbour council met on day {n % 31} to vote on ferry route {p}."
                for p in range(6))
            stream.write(json.dumps({"id": f"story-{n}", "text": f"Story number {n}\n\n{text}"}) + "\n")


def command(corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "storysift.cli", "run", str(corpus), "--out", str(out), "-q"]


def lines_of(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), "a truncated last line"
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed into place since it was listed
        return 0


def kill_once_writing(corpus: Path, out: Path) -> None:
    """Start the run, wait until one of its temporary files (a shard in the work folder, or
    clean.jsonl being merged) holds data, then SIGKILL it."""
    process = subprocess.Popen(command(corpus, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    partial: list[Path] = []
    try:
        while time.monotonic() < deadline and process.poll() is None:
            partial = [p for p in out.rglob(".clean*.jsonl.*.tmp") if size_of(p) > 64 * 1024]  # shards too
            if partial:
                break
            time.sleep(0.005)
        assert process.poll() is None, "the run ended before it could be interrupted: make the corpus bigger"
        assert partial, "no partial output seen before the deadline"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


def test_killed_first_run_leaves_no_output_and_rerun_completes(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, RECORDS)
    out = tmp_path / "out"
    kill_once_writing(corpus, out)
    assert not (out / "clean.jsonl").exists()
    assert not (out / "report.json").exists()
    rerun = subprocess.run(command(corpus, out), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"] == {"read": RECORDS, "written": RECORDS, "rejected": 0, "skipped": 0}
    assert len(lines_of(out / "clean.jsonl")) == RECORDS


def test_killed_rerun_leaves_the_previous_complete_output(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 50)
    out = tmp_path / "out"
    subprocess.run(command(corpus, out), check=True, timeout=120)
    previous = {name: hashlib.sha256((out / name).read_bytes()).hexdigest()
                for name in ("clean.jsonl", "report.json")}

    write_corpus(corpus, RECORDS)  # the corpus grew; the same command runs again and is killed
    corpus_hash = hashlib.sha256(corpus.read_bytes()).hexdigest()
    kill_once_writing(corpus, out)
    assert {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in previous} == previous
    assert len(lines_of(out / "clean.jsonl")) == 50

    subprocess.run(command(corpus, out), check=True, timeout=120)
    assert len(lines_of(out / "clean.jsonl")) == RECORDS
    assert hashlib.sha256(corpus.read_bytes()).hexdigest() == corpus_hash  # the input is never touched


# Workers end with their parent; SIGTERM ends a run as Ctrl-C does (issue 14) ------------------


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pids: list[int]) -> list[int]:
    """Those of `pids` still running (a zombie has ended)."""
    running = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.append(pid)
    return running


def hangup_not_ignored() -> None:
    """A run started from a terminal: SIGHUP at its default, even when the tests run under nohup
    (whose ignored SIGHUP a run keeps ignoring, as it should)."""
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def signal_run_with_workers(tmp_path: Path, sent: signal.Signals) -> tuple[subprocess.Popen, list[int], Path, Path]:
    """Start a run on two worker processes, send it `sent` once it has finished a shard and
    wait for it: the process, its workers, the corpus and the output folder."""
    corpus, out = tmp_path / "corpus.jsonl", tmp_path / "out"
    write_corpus(corpus, RECORDS * 2)
    process = subprocess.Popen(command(corpus, out) + ["--workers", "2"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, preexec_fn=hangup_not_ignored)
    deadline = time.monotonic() + 60
    while not list(out.rglob("*.done")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    workers = children_of(process.pid)
    assert process.poll() is None and len(workers) >= 2, "the run ended before it could be signalled"
    process.send_signal(sent)
    process.wait(timeout=60)
    return process, workers, corpus, out


def gone_within(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive(pids)


linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@linux
def test_workers_of_a_killed_run_end_with_it(tmp_path):
    process, workers, _, _ = signal_run_with_workers(tmp_path, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert gone_within(workers, 10) == []  # they stayed blocked for good


@linux
def test_sigterm_ends_a_run_as_ctrl_c_does_and_resume_completes_it(tmp_path):
    process, workers, corpus, out = signal_run_with_workers(tmp_path, signal.SIGTERM)
    assert process.returncode == 128 + signal.SIGTERM
    assert process.stderr.read() == (f"storysift: error: interrupted; the finished shards are kept in {out}/: "
                                     "rerun with --resume to continue\n")
    assert gone_within(workers, 10) == []
    assert list(out.rglob("*.tmp")) == [] and not (out / "clean.jsonl").exists()
    resumed = subprocess.run(command(corpus, out) + ["--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(lines_of(out / "clean.jsonl")) == RECORDS * 2


@linux
def test_a_worker_whose_parent_dies_ends_where_the_kernel_cannot_tell_it(tmp_path):
    # The watchdog thread alone (as on macOS): the child sees its parent pid change and exits.
    script = (
        "import os, sys, time\n"
        "from storysift.run import lifeline\n"
        "lifeline.sys.platform = 'darwin'\n"
        "lifeline.PARENT_CHECK_S = 0.05\n"
        "parent = os.getpid()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    for stream in (1, 2):\n"
        "        os.dup2(os.open(os.devnull, os.O_WRONLY), stream)\n"
        "    lifeline.die_with_parent(parent)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print(child, flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    child = int(done.stdout)
    try:
        assert gone_within([child], 10) == [], "the orphan kept running"
    finally:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


@linux
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP")
def test_sighup_of_a_closed_terminal_ends_a_run_as_sigterm_does(tmp_path):
    process, workers, corpus, out = signal_run_with_workers(tmp_path, signal.SIGHUP)
    assert process.returncode == 128 + signal.SIGHUP
    assert process.stderr.read().endswith("rerun with --resume to continue\n")
    assert gone_within(workers, 10) == []
    assert list(out.rglob("*.tmp")) == [] and not (out / "clean.jsonl").exists()


@pytest.fixture
def no_pending_signal():
    from storysift.run.signals import clear_pending

    clear_pending()
    yield
    clear_pending()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowing is the point
def test_a_signal_whose_exception_a_finalizer_swallowed_still_ends_the_run(no_pending_signal):
    from storysift.run.progress import Progress
    from storysift.run.signals import Terminated, clear_pending, interrupted_code, on_ending_signal

    class SignalledInFinalizer:
        def __del__(self):
            on_ending_signal(signal.SIGHUP, None)  # Python prints "Exception ignored" and goes on

    SignalledInFinalizer()
    progress = Progress(quiet=True)
    with pytest.raises(Terminated) as caught:
        progress.update(1)
    assert interrupted_code(caught.value) == 128 + signal.SIGHUP
    clear_pending()
    progress.update(2)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_swallowed_signal_ends_dedup_before_its_outputs_are_switched_in(tmp_path, monkeypatch, no_pending_signal):
    from typer.testing import CliRunner

    from storysift import cli
    from storysift.run.signals import on_ending_signal

    corpus = tmp_path / "clean.jsonl"
    write_corpus(corpus, 20)
    real_write_json = cli.write_json

    def write_json_then_signal(path, data):
        real_write_json(path, data)

        class SignalledInFinalizer:
            def __del__(self):
                on_ending_signal(signal.SIGTERM, None)

        SignalledInFinalizer()

    monkeypatch.setattr(cli, "write_json", write_json_then_signal)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.app, ["dedup", str(corpus), "--out", str(out), "-q"])
    assert result.exit_code == 128 + signal.SIGTERM
    assert not (out / "stories.jsonl").exists() and not (out / "complete.json").exists()
    from storysift.run.signals import raise_pending
    raise_pending()  # the command's end cleared it: nothing is left for the next caller
