"""Scaling of the cleaning stage with worker processes, on the devset pages.

    python bench/workers.py [--devset DIR] [--workers 1 2] [--repeat 2]

Runs storysift's cleaning stage (readers + clean_parallel, as `storysift run --workers N`
does, without dedup) over the same pages once per worker count, `--repeat` times, and prints
pages/s per count (median of the repeats) and its ratio to one worker. The single-worker
rate against trafilatura alone is measured by bench/devset_quality.py.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from storysift.read.files import iter_inputs
from storysift.ruleset.load import load_rules
from storysift.run.pool import clean_limited, clean_parallel
from _devdata import require

DEFAULT_DEVSET = Path(__file__).resolve().parent.parent.parent / "shared" / "devset"


def pages_per_s(pages: list[str], rules, workers: int) -> float:
    started = time.perf_counter()
    items = iter_inputs(pages)
    stream = clean_limited(items, rules) if workers == 1 else clean_parallel(items, rules, workers)
    count = sum(1 for _ in stream)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    require(args.devset)
    pages = sorted(str(p) for p in (args.devset / "html").glob("*.html"))
    rules = load_rules()
    rates = {w: [] for w in args.workers}
    for _ in range(args.repeat):
        for workers in args.workers:  # interleaved, so load from other processes hits all counts
            rates[workers].append(pages_per_s(pages, rules, workers))
    base = statistics.median(rates[args.workers[0]])
    for workers, runs in rates.items():
        median = statistics.median(runs)
        print(f"{workers} worker(s): {median:6.1f} pages/s (runs: {', '.join(f'{r:.1f}' for r in runs)})"
              f"  x{median / base:.2f} of {args.workers[0]}")


if __name__ == "__main__":
    main()
