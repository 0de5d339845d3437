"""Progress on stderr for long runs: documents done, documents per second and, when the
number of inputs is known, an ETA. Silent when stderr is not a terminal or with --quiet."""

from __future__ import annotations

import sys
import time
from typing import TextIO

# Redrawing more often than this costs time on fast runs and shows nothing a reader can use.
REDRAW_EVERY_S = 0.25


class Progress:
    def __init__(self, total: int | None = None, enabled: bool | None = None, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        now = time.perf_counter()
        if self.enabled and now - self.last_draw >= REDRAW_EVERY_S:
            self.last_draw = now
            self.stream.write("\r" + self.line(now) + "\033[K")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"storysift: {self.done:,} documents, {rate:,.1f} docs/s"
        if self.total:
            remaining = (self.total - self.done) / rate if rate else float("inf")
            text = f"storysift: {self.done:,}/{self.total:,} documents, {rate:,.1f} docs/s, ETA {format_seconds(remaining)}"
        return text

    def close(self) -> None:
        if self.enabled and self.last_draw:
            self.stream.write("\r\033[K")
            self.stream.flush()


def format_seconds(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
