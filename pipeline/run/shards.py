"""Shards of a run (`run`, or `clean --out FILE`): cleaned records are written in shards of a
fixed number of inputs, each finished by a completion marker holding its part of the report. A
killed run restarted with --resume skips the finished shards; at the end the shards are merged
into the final files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable

from storysift.document import Document, Reject
from storysift.write.outputs import JsonlSink, atomic_text, make_folder, record_sink, write_json
from storysift.write.report import RunReport

# Inputs per shard: a killed run redoes at most this many documents (about 30 s of cleaning
# on one core), and a million-page corpus makes a thousand shard files, not a million.
SHARD_SIZE = 1000
WORK_DIR = ".storysift-work"


class ResumeError(ValueError):
    """--resume on a work folder left by a different command, or a fresh start that would
    discard a killed run's finished shards without --fresh."""


class ShardStore:
    def __init__(self, work_dir: Path, fingerprint: dict[str, Any]):
        self.dir = work_dir  # `run`: OUT/.storysift-work; `clean --out F`: .F.storysift-work beside F
        self.fingerprint = fingerprint
        self.key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()

    def start(self, resume: bool, fresh: bool = False) -> int:
        """Prepare the work folder; the number of finished shards to skip. Finished work of a
        killed run is discarded only when asked (`fresh`)."""
        manifest = self.dir / "manifest.json"
        if not resume and not fresh and (done := self.finished()):
            raise ResumeError(
                f"{self.dir}: a killed run left {done} finished shard{'s' * (done > 1)} here; "
                "--resume continues it, --fresh discards it and starts over"
            )
        if resume and manifest.exists():
            found = json.loads(manifest.read_text(encoding="utf-8"))
            was, now = found.get("input_states") or {}, self.fingerprint.get("input_states") or {}
            if changed := [name for name in now if name in was and was[name] != now[name]]:
                raise ResumeError(
                    f"{self.dir}: the input {changed[0]} changed since the killed run (a file in it has another "
                    "size or modification time): resuming would mix old and new content; "
                    "--fresh discards the finished shards and starts over"
                )
            if found.get("key") != self.key:
                raise ResumeError(
                    f"{self.dir}: left by a run with other inputs or options; "
                    "--fresh discards it and starts over"
                )
            return self.finished()
        shutil.rmtree(self.dir, ignore_errors=True)
        make_folder(self.dir)
        write_json(manifest, {"key": self.key, "shard_size": SHARD_SIZE, **self.fingerprint})
        return 0

    def finished(self) -> int:
        count = 0
        while (self.dir / f"{count:06d}.done").exists():
            count += 1
        return count

    def write(self, index: int, items: Iterable[Document | Reject]) -> RunReport:
        """Write one shard's records, then its marker; returns the shard's report."""
        report = RunReport()
        with atomic_text(self.dir / f"clean-{index:06d}.jsonl") as clean_out, \
                atomic_text(self.dir / f"rejects-{index:06d}.jsonl") as rejects_out:
            clean_sink, reject_sink = JsonlSink(clean_out), JsonlSink(rejects_out)
            for item in items:
                if isinstance(item, Reject):
                    report.add_reject(item)
                    if not item.skipped:  # a WARC's requests and images are counted, not listed
                        reject_sink.write(item.as_record())
                else:
                    report.add_document(item)
                    clean_sink.write(item.as_record())
        write_json(self.dir / f"{index:06d}.done", report.counts())
        return report

    def report(self) -> RunReport:
        """The report of every finished shard, merged."""
        report = RunReport()
        for index in range(self.finished()):
            report.add_counts(json.loads((self.dir / f"{index:06d}.done").read_text(encoding="utf-8")))
        return report

    def merge(self, clean_path: Path | str, rejects_path: Path | str | None,
              settle: Callable[[dict], dict] | None = None) -> None:
        """Concatenate every finished shard into the records file (JSON Lines, compressed by its
        suffix, or Parquet) and the rejects file (None: none written); `settle`, when given,
        rewrites each record on the way."""
        shards = range(self.finished())
        if settle is not None or str(clean_path).lower().endswith(".parquet"):
            settle = settle or (lambda record: record)
            with record_sink(clean_path) as sink:
                for index in shards:
                    with (self.dir / f"clean-{index:06d}.jsonl").open(encoding="utf-8") as part:
                        for line in part:
                            sink.write(settle(json.loads(line)))
        else:
            self._concatenate("clean", shards, clean_path)
        if rejects_path is not None:
            self._concatenate("rejects", shards, rejects_path)

    def _concatenate(self, name: str, shards: range, target: Path | str) -> None:
        with atomic_text(target) as out:
            for index in shards:
                with (self.dir / f"{name}-{index:06d}.jsonl").open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, out)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

