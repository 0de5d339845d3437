"""The cleaning stage on a process pool: raw documents go to worker processes in bounded
batches and come back in input order, so output is identical to the single-process stage.
A document that exceeds the time limit, or crashes its worker, becomes a reject."""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.document import Document, RawDocument
from pipeline.engine import clean_stream
from pipeline.readers import Reject
from pipeline.rules import RuleSet, load_rules

# Documents per task: large enough that pickling overhead stays small next to ~10-20 ms of
# cleaning per HTML page, small enough that a crash costs little to redo one by one.
BATCH_SIZE = 16
# Batches in flight per worker: bounds memory to a few batches of raw pages per worker.
IN_FLIGHT_PER_WORKER = 4
DEFAULT_TIMEOUT_S = 30.0

_rules: RuleSet | None = None
_timeout: float = DEFAULT_TIMEOUT_S


class DocumentTimeout(BaseException):
    """Not an Exception: the stage's guard for broken pages must not swallow it."""


def _init_worker(rule_dirs: list[str], timeout: float) -> None:
    global _rules, _timeout
    _rules, _timeout = load_rules(rule_dirs), timeout
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _on_alarm(signum: int, frame: object) -> None:
    raise DocumentTimeout()


def clean_with_limit(raw: RawDocument, rules: RuleSet, timeout: float) -> Document | Reject:
    """Clean one document, rejecting it past `timeout` seconds (checked between Python
    bytecodes, so a parser stuck inside C code is caught by the crash path instead)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return next(iter(clean_stream([raw], rules)))
    except DocumentTimeout:
        return Reject(raw.source, f"cleaning took longer than the {timeout:g}s limit per document (--timeout)", raw.id)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def clean_limited(items: Iterable[RawDocument | Reject], rules: RuleSet,
                  timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[Document | Reject]:
    """The single-process stage with the per-document time limit, where signals allow it
    (the main thread); elsewhere, as `engine.clean_stream`."""
    if threading.current_thread() is not threading.main_thread():
        yield from clean_stream(items, rules)
        return
    for item in items:
        yield item if isinstance(item, Reject) else clean_with_limit(item, rules, timeout)


def _clean_batch(batch: list[RawDocument]) -> list[Document | Reject]:
    assert _rules is not None
    return [clean_with_limit(raw, _rules, _timeout) for raw in batch]


def _batches(items: Iterable[RawDocument | Reject]) -> Iterator[list[RawDocument | Reject]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch


def clean_parallel(items: Iterable[RawDocument | Reject], rule_dirs: list[Path | str], workers: int,
                   timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[Document | Reject]:
    """Like `engine.clean_stream`, on `workers` processes; results keep the input order."""
    dirs = [str(d) for d in rule_dirs]
    pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(dirs, timeout))
    pending: list[tuple[list[RawDocument | Reject], object]] = []
    try:
        for batch in _batches(items):
            docs = [item for item in batch if isinstance(item, RawDocument)]
            pending.append((batch, pool.submit(_clean_batch, docs)))
            while len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                pool, results = _collect(pending.pop(0), pool, dirs, workers, timeout)
                yield from results
        while pending:
            pool, results = _collect(pending.pop(0), pool, dirs, workers, timeout)
            yield from results
    finally:
        pool.shutdown(cancel_futures=True)


def _collect(entry, pool, dirs, workers, timeout):
    batch, future = entry
    try:
        cleaned = iter(future.result())
    except BrokenProcessPool:
        # A worker died (segfault, out of memory). Redo the batch one document at a time in
        # fresh single-use pools to find the culprit; every other document is still cleaned.
        pool.shutdown(cancel_futures=True)
        cleaned = iter([_isolate(raw, dirs, timeout) for raw in batch if isinstance(raw, RawDocument)])
        pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(dirs, timeout))
    results = [item if isinstance(item, Reject) else next(cleaned) for item in batch]
    return pool, results


def _isolate(raw: RawDocument, dirs: list[str], timeout: float) -> Document | Reject:
    with ProcessPoolExecutor(1, initializer=_init_worker, initargs=(dirs, timeout)) as single:
        try:
            return single.submit(_clean_batch, [raw]).result()[0]
        except BrokenProcessPool:
            return Reject(raw.source, "the worker cleaning this document crashed", raw.id)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

