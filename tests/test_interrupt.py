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
