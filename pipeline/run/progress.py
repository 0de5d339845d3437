"""Progress of a run, stage by stage: the stage (cleaning, stories, site templates, events,
writing...), its documents done, documents per second and, when the stage knows its total, an
ETA. On a terminal one line redrawn in place; otherwise (a batch job's log) a plain line every
`every` seconds. Every stage's time is kept for report.json, and each stage change is logged
(INFO, logger `storysift.progress`: `-v` shows it)."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from storysift.run.signals import raise_pending

# Redrawing more often than this costs time on fast runs and shows nothing a reader can use.
REDRAW_EVERY_S = 0.25
# A log line every this many seconds when stderr is not a terminal (--progress-every).
LOG_EVERY_S = 30.0

log = logging.getLogger("storysift.progress")


class Progress:
    def __init__(self, quiet: bool = False, stream: TextIO | None = None, every: float = LOG_EVERY_S,
                 terminal: bool | None = None):
        self.stream = stream or sys.stderr
        terminal = self.stream.isatty() if terminal is None else terminal
        self.mode = None if quiet else "line" if terminal else "log"
        self.interval = REDRAW_EVERY_S if terminal else every
        self.started = self.stage_started = self.last_draw = time.perf_counter()
        self.name = ""  # no stage yet
        self.total: int | None = None
        self.done = 0
        self.seconds: dict[str, float] = {}
        self.drawn = False

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins; its documents are counted from zero, out of `total` if known."""
        now = time.perf_counter()
        self._close_stage(now)
        self._clear()  # a log line must not land on the end of the redrawn one
        log.info("stage: %s%s", name, f" ({total:,} documents)" if total is not None else "")
        self.name, self.total, self.done, self.stage_started = name, total, 0, now

    def update(self, done: int) -> None:
        raise_pending()
        self.done = done
        if self.mode is None:
            return
        now = time.perf_counter()
        if now - self.last_draw >= self.interval:
            self.last_draw = now
            if self.mode == "line":
                self.stream.write("\r" + self.line(now) + "\033[K")
                self.drawn = True
            else:
                self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self.stage_started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            remaining = (self.total - self.done) / rate if rate else float("inf")
            return (f"storysift: {self.name}: {self.done:,}/{self.total:,} documents, {rate:,.1f} docs/s, "
                    f"ETA {format_seconds(remaining)}")
        return f"storysift: {self.name}: {self.done:,} document{'' if self.done == 1 else 's'}, {rate:,.1f} docs/s"

    def close(self) -> None:
        """The run is over (or stopped): the last stage's time is counted, the line cleared."""
        self._close_stage(time.perf_counter())
        self.name = ""
        self._clear()

    def _clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False

    def timings(self) -> dict[str, float]:
        """Seconds per stage, in the order the stages first ran (a stage run twice is summed)."""
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}

    def _close_stage(self, now: float) -> None:
        if self.name:
            self.seconds[self.name] = self.seconds.get(self.name, 0.0) + now - self.stage_started
            self.stage_started = now


def format_seconds(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
