"""Whole-process measurements for the speed benches: wall time of a command and the peak of its
resident memory summed over the process and every process it starts (workers, pools), sampled
from /proc every SAMPLE_S seconds."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.05


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmRSS:"))) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr: str


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run `command` to its end; its wall time and peak tree RSS."""
    with tempfile.TemporaryFile() as errors:  # a pipe would block a chatty command (datatrove logs a lot)
        started = time.perf_counter()
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(SAMPLE_S)
        seconds = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read()[-4000:].decode("utf-8", errors="replace")
    return Measured(seconds, peak / 2**20, process.returncode, stderr)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes) and cores, to print beside timings."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
