"""The cleaning stage on a process pool: raw documents go to worker processes in bounded
batches and come back in input order, so output is identical to the single-process stage.
A document that exceeds the time limit, or crashes its worker, becomes a reject."""

from __future__ import annotations

import os
import signal
import threading
from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from storysift.document import Document, RawDocument, Reject
from storysift.ruleset.load import RuleSet
from storysift.run.lifeline import die_with_parent

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Seconds of cleaning per document before it is rejected: the slowest devset page takes under
# 1 s; trafilatura needs minutes only on multi-MB pages of inline tags (bench/fuzz.py).
DEFAULT_TIMEOUT_S = 30.0
# Documents per task: large enough that pickling overhead stays small next to ~10-20 ms of
# cleaning per HTML page, small enough that a crash costs little to redo one by one.
BATCH_SIZE = 16
# Batches in flight per worker: bounds memory to a few batches of raw pages per worker.
IN_FLIGHT_PER_WORKER = 4

Batch = list[RawDocument | Reject]

_rules: RuleSet | None = None
_timeout: float = DEFAULT_TIMEOUT_S


class DocumentTimeout(BaseException):
    """Not an Exception: the stage's guard for broken pages must not swallow it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise DocumentTimeout()


def clean_with_limit(raw: RawDocument, rules: RuleSet, timeout: float) -> Document | Reject:
    """Clean one document, rejecting it past `timeout` seconds (checked between Python
    bytecodes, so a parser stuck inside C code is caught by the crash path instead)."""
    from storysift.clean.page import clean_stream  # the extractors load when a page is cleaned

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
        from storysift.clean.page import clean_stream

        yield from clean_stream(items, rules)
        return
    for item in items:
        yield item if isinstance(item, Reject) else clean_with_limit(item, rules, timeout)


def clean_batch(batch: list[RawDocument], rules: RuleSet, timeout: float) -> list[Document | Reject]:
    return list(clean_limited(batch, rules, timeout))


def batches(items: Iterable[RawDocument | Reject]) -> Iterator[Batch]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch


def in_order(batch: Batch, cleaned: list[Document | Reject]) -> list[Document | Reject]:
    """The batch's items with each raw document replaced by its cleaned result."""
    results = iter(cleaned)
    return [item if isinstance(item, Reject) else next(results) for item in batch]


def _init_worker(rules: RuleSet, timeout: float, parent: int) -> None:
    global _rules, _timeout
    _rules, _timeout = rules, timeout
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # and SIGTERM: a worker told to end just ends
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal: the parent ends the workers
    die_with_parent(parent)


def _clean_in_worker(batch: list[RawDocument]) -> list[Document | Reject]:
    assert _rules is not None
    return clean_batch(batch, _rules, _timeout)


class _Pool:
    def __init__(self, workers: int, rules: RuleSet, timeout: float):
        self.workers, self.rules, self.timeout = workers, rules, timeout
        self.executor = self._new(workers)

    def _new(self, workers: int) -> ProcessPoolExecutor:
        # Imported here: multiprocessing's import is a twentieth of `storysift --help`, which
        # needs no pool, nor does `clean --workers 1`.
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(self.rules, self.timeout, os.getpid()))

    def submit(self, batch: Batch) -> Future:
        return self.executor.submit(_clean_in_worker, [item for item in batch if isinstance(item, RawDocument)])

    def collect(self, batch: Batch, future: Future) -> list[Document | Reject]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return in_order(batch, future.result())
        except BrokenProcessPool:
            # A worker died (segfault, out of memory). Redo the batch one document at a time
            # in single-use pools to find the culprit; every other document is still cleaned.
            self.executor.shutdown(cancel_futures=True)
            self.executor = self._new(self.workers)
            return in_order(batch, [self._isolated(raw) for raw in batch if isinstance(raw, RawDocument)])

    def _isolated(self, raw: RawDocument) -> Document | Reject:
        from concurrent.futures.process import BrokenProcessPool

        with self._new(1) as single:
            try:
                return single.submit(_clean_in_worker, [raw]).result()[0]
            except BrokenProcessPool:
                return Reject(raw.source, "the worker cleaning this document crashed", raw.id)

    def close(self) -> None:
        """Shut the pool down: the batches not started are cancelled, the running ones finish
        (terminating a worker mid-batch can leave the pool's own threads waiting for good)."""
        self.executor.shutdown(cancel_futures=True)


def ordered(batches_in: Iterable[Batch], submit: Callable[[Batch], Any],
            collect: Callable[[Batch, Any], list[Document | Reject]], in_flight: int) -> Iterator[Document | Reject]:
    """Keep up to `in_flight` submitted batches pending and yield their results in input
    order: the one scheduling loop of the process pool and of Ray."""
    pending: deque[tuple[Batch, Any]] = deque()
    for batch in batches_in:
        pending.append((batch, submit(batch)))
        if len(pending) >= in_flight:
            yield from collect(*pending.popleft())
    while pending:
        yield from collect(*pending.popleft())


def clean_parallel(items: Iterable[RawDocument | Reject], rules: RuleSet, workers: int,
                   timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[Document | Reject]:
    """Like `engine.clean_stream`, on `workers` processes; results keep the input order."""
    pool = _Pool(workers, rules, timeout)
    try:
        yield from ordered(batches(items), pool.submit, pool.collect, workers * IN_FLIGHT_PER_WORKER)
    finally:
        pool.close()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
