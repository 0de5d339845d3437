"""Writing, rejects as a command meets them: each one into the rejects file (created at the first
reject, so a run with none leaves none), the first few on stderr, and at the end a count per
reason. A wrong --text-field over a million records prints a few lines and holds counts, never
the rejects themselves. Records skipped by design (a WARC's requests and images) are only counted,
each reason with its detail ("HTTP 404", "not HTML (image/png)")."""

from __future__ import annotations

import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from storysift.document import Reject
from storysift.write.outputs import JsonlSink, atomic_text, remove_output
from storysift.write.report import RunReport, reason_group

# Rejects listed one by one on stderr; past them, a count per reason at the end.
MAX_LISTED_REJECTS = 20


class RejectLog:
    """`path`: the rejects file this log writes (None: none, or the rejects are written elsewhere,
    in a resumable run's shards); `listed_in`: the file the summary names (default `path`)."""

    def __init__(self, path: str | Path | None = None, listed_in: str | Path | None = None,
                 stream: TextIO | None = None, listed: int = MAX_LISTED_REJECTS):
        self.path = path
        self.listed_in = listed_in or path
        self.stream = stream or sys.stderr
        self.listed = listed
        self.rejected = 0
        self.reasons: Counter[str] = Counter()
        self.skips: Counter[str] = Counter()
        self._files = ExitStack()
        self._sink: JsonlSink | None = None

    def __enter__(self) -> RejectLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self._files.close()  # the file appears whole, or (on an exception) not at all
        if exc[0] is None and self._sink is None and self.path is not None and str(self.path) != "-":
            remove_output(self.path)  # no rejects: a previous run's file must not stay

    def add(self, reject: Reject) -> None:
        """Count the reject, write it to the file, and list it while there are few."""
        if reject.skipped:
            self.skips[reject.reason] += 1
            return
        self.rejected += 1
        self.reasons[reason_group(reject.reason)] += 1
        if self.path is not None:
            if self._sink is None:
                self._sink = JsonlSink(self._files.enter_context(atomic_text(self.path)))
            self._sink.write(reject.as_record())
        if self.rejected <= self.listed:
            self.say(f"rejected {reject.source}: {reject.reason}")

    def say(self, line: str) -> None:
        self.stream.write(f"storysift: {line}\n")

    def summary(self, counts: RunReport | None = None) -> None:
        """The counts, once the run is over (`counts`: the whole run's, when this log saw only the
        part a resumed run did): rejects past the listed ones by reason, and skips."""
        counts = counts or self
        if counts.rejected > self.listed:
            where = (f"listed in {self.listed_in}" if self.listed_in
                     else "the first ones are listed above; --rejects FILE keeps them all")
            self.say(f"{counts.rejected} rejected in all, {where}:")
            for reason, count in sorted(counts.reasons.items(), key=lambda item: (-item[1], item[0])):
                self.say(f"  {count} {reason}")
        for reason, count in sorted(counts.skips.items()):
            self.say(f"{reason}: {count}")
