"""The cleaning stage on Ray: the same batches and per-batch function as the process pool,
run as Ray tasks on a local or remote cluster, results back in input order so the output
files are identical to the local engine's. Needs the optional extra: storysift[ray]."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from storysift.document import Document, RawDocument, Reject
from storysift.ruleset.load import RuleSet
from storysift.run.pool import Batch, batches, clean_batch, in_order, ordered

# Batches in flight per cluster CPU: keeps every CPU busy while bounding the raw pages held
# in the object store.
IN_FLIGHT_PER_CPU = 4


class RayUnavailable(RuntimeError):
    pass


def connect(address: str | None) -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--engine ray needs Ray: pip install 'storysift[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    return ray


def clean_ray(items: Iterable[RawDocument | Reject], rules: RuleSet, address: str | None,
              timeout: float) -> Iterator[Document | Reject]:
    ray = connect(address)
    task = ray.remote(clean_batch)
    rules_ref = ray.put(rules)
    in_flight = max(1, int(ray.cluster_resources().get("CPU", 1))) * IN_FLIGHT_PER_CPU

    def submit(batch: Batch) -> Any:
        return task.remote([i for i in batch if isinstance(i, RawDocument)], rules_ref, timeout)

    def collect(batch: Batch, ref: Any) -> list[Document | Reject]:
        try:
            return in_order(batch, ray.get(ref))
        except ray.exceptions.RayError:
            # A task that failed after Ray's own retries: clean its documents one per task so
            # only the culprit is rejected.
            return in_order(batch, [one(raw) for raw in batch if isinstance(raw, RawDocument)])

    def one(raw: RawDocument) -> Document | Reject:
        try:
            return ray.get(task.remote([raw], rules_ref, timeout))[0]
        except ray.exceptions.RayError as exc:
            return Reject(raw.source, f"the Ray task cleaning this document failed: {type(exc).__name__}", raw.id)

    yield from ordered(batches(items), submit, collect, in_flight)
