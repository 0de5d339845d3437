"""The corpus stage's work on each document on a process pool (`--workers`): reading records,
keying lines for the site templates, removing templates, hashing, shingling and signing
(pipeline/corpus/batches.py) run on worker processes a batch at a time; the results come back in
batch order, so the files are byte-identical to the single-process stage's whatever the number
of workers. Clustering (LSH buckets, verified joins, union-find) stays in this process: it
replays joins in bucket order and is a small part of the stage."""

from __future__ import annotations

import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Iterator

from storysift.corpus.batches import Work
from storysift.corpus.dedup import DedupOptions, LocalSteps, Silent, dedup_file
from storysift.run.lifeline import die_with_parent
from storysift.run.pool import ordered

# Batches in flight per worker: each is at most batches.BATCH_BYTES of raw records.
IN_FLIGHT_PER_WORKER = 3
# Below this many bytes of records the stage runs in this process: starting the workers (~0.3 s
# each, importing the stage) costs more than they save (~2 ms of work a page).
POOL_MIN_BYTES = 4 << 20


def _init_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    die_with_parent(parent)


def run_work(work: Work, context: Any, batch: list) -> list:
    """A batch of the work on each document (corpus/batches.py): reading, template removal,
    shingling and signing, or writing; on a pool worker or, from ray_dedup.py, a Ray task."""
    return work(context, batch)


class PoolSteps(LocalSteps):
    """`LocalSteps` whose `map` runs on `workers` processes, results in batch order."""

    def __init__(self, workers: int):
        self.workers = workers
        self.executor = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(os.getpid(),))

    def map(self, work: Work, context: Any, batches: Iterable[list], step: str = "") -> Iterator[tuple[list, list]]:
        # The context goes with every batch: pickling it costs little next to a batch of raw
        # records (a template view is a few MB at most and sent once per batch to one worker).
        # Results keep the batch order, so whichever worker did a batch the output is the same.

        def submit(batch: list) -> Future:
            return self.executor.submit(run_work, work, context, batch)

        def collect(batch: list, future: Future) -> list[tuple[list, list]]:
            return [(batch, future.result())]

        return ordered(batches, submit, collect, self.workers * IN_FLIGHT_PER_WORKER)

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def dedup_parallel(path: Path | str, out_dir: Path | str, options: DedupOptions, workers: int,
                   on_reject: Any = None, progress: Silent | None = None,
                   min_bytes: int = POOL_MIN_BYTES) -> dict[str, Any]:
    """`dedup_file` with its work on each document on `workers` processes (in this process for
    a file under `min_bytes`); the same files either way."""
    if workers <= 1 or Path(path).stat().st_size < min_bytes:
        return dedup_file(path, out_dir, options, on_reject=on_reject, progress=progress)
    steps = PoolSteps(workers)
    try:
        return dedup_file(path, out_dir, options, steps, on_reject=on_reject, progress=progress)
    finally:
        steps.close()
