"""The dedup stage on Ray (--engine ray): the corpus-wide steps of story clustering run as Ray
tasks, the rest of pipeline/corpus/dedup.py on the driver, and the files are byte-identical to the
local engine's whatever the chunk sizes or the order tasks finish in.

As Ray tasks: the work on each document (corpus/batches.py: reading records, site template
keys and removal, shingling and MinHash signing, writing records), LSH band bucketing (groups
of bands, each task given those band columns of every signature; the driver merges and sorts
the buckets) and candidate verification (chunks of buckets: exact Jaccard of shingle sets).

On the driver: the connected components, by replaying the verified joins in bucket order with union-find (which
pairs are checked depends on the joins before them, at most 3 sets per key in a bucket), each
check answered by a task's verdict or, when no task foresaw it, computed there; corpus
furniture (block LSH: a few numpy passes over small signatures, 4% of the stage on 20,000
generated pages), events (one set of at most 20 names per story) and writing."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from storysift.corpus.batches import Work
from storysift.corpus.dedup import DedupOptions, LocalSteps, dedup_file
from storysift.corpus.stories import (
    LSH_SLACK,
    UNRELATED,
    UnionFind,
    Verification,
    buckets_in_bands,
    join_similar,
    lsh_params,
)
from storysift.run.pool import ordered
from storysift.run.pool_dedup import run_work
from storysift.run.ray_clean import connect

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chunks:
    """How the steps are cut into tasks; any sizes give the same output."""

    # Measured for pages of ~1,000 shingles: a check takes 12 us.
    docs: int = 256  # documents per task of the work on each document (at most corpus/batches.py's batches)
    bands: int = 8  # LSH bands per bucketing task: 5 tasks for the default 37 bands
    bucket_keys: int = 20_000  # bucket members per verification task: at most 3 checks each, ~0.7 s
    in_flight_per_cpu: int = 2  # tasks pending per cluster CPU, bounding what the driver has shipped

    def __post_init__(self) -> None:
        small = [name for name, value in vars(self).items() if value < 1]
        if small:
            raise ValueError(f"chunk sizes must be at least 1: {', '.join(small)}")


DEFAULT_CHUNKS = Chunks()


def packed(sets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Shingle sets as one array and their lengths: a task's argument pickled as one buffer,
    not an object per set (which took the driver longer than signing the sets itself)."""
    lengths = np.array([len(shingles) for shingles in sets], dtype=np.int64)
    joined = np.concatenate(sets) if sets else np.empty(0, dtype=np.uint32)
    return joined, lengths


def unpacked(joined: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return np.split(joined, np.cumsum(lengths)[:-1]) if len(lengths) else []


def bucket_bands(keys: np.ndarray, block: np.ndarray, rows: int) -> set[tuple[int, ...]]:
    """The buckets of the bands whose columns (`rows` a band) `block` holds, one row per key."""
    return buckets_in_bands(keys, lambda start, end: block[:, start:end], range(block.shape[1] // rows), rows)


def verify_buckets(buckets: list[list[int]], keys: list[int], joined: np.ndarray, lengths: np.ndarray,
                   roots: list[int], verification: Verification) -> dict[tuple[int, int], int]:
    """Run the joins of a chunk of buckets from the driver's sets when it was sent (each key's
    root in `roots`) and return every check's kind (stories.Verification.kind): what the
    driver's replay will ask, unless joins made since change which pairs it checks (the driver
    also decides which kinds join, which a task foresees as "any")."""
    shingles = dict(zip(keys, unpacked(joined, lengths)))
    union = UnionFind(keys)
    for key, root in zip(keys, roots):
        union.union(key, root)
    kinds: dict[tuple[int, int], int] = {}

    def similar(head: int, key: int) -> bool:
        kinds[head, key] = kind = verification.kind(shingles[head], shingles[key])
        return kind != UNRELATED

    join_similar(buckets, similar, union)
    return kinds


def bucket_parts(buckets: list[list[int]], members: int) -> Iterator[list[list[int]]]:
    """Consecutive runs of buckets holding about `members` keys each."""
    part: list[list[int]] = []
    held = 0
    for bucket in buckets:
        part.append(bucket)
        held += len(bucket)
        if held >= members:
            yield part
            part, held = [], 0
    if part:
        yield part


class RaySteps(LocalSteps):
    """`LocalSteps` as Ray tasks; `tasks` counts them per step and `checks_on_driver` the
    verifications no task had done."""

    def __init__(self, address: str | None = None, chunks: Chunks | None = None):
        self.ray = connect(address)
        self.chunks = chunks or DEFAULT_CHUNKS
        cpus = max(1, int(self.ray.cluster_resources().get("CPU", 1)))
        self.in_flight = cpus * self.chunks.in_flight_per_cpu
        self.remote = {name: self.ray.remote(task) for name, task in
                       (("map", run_work), ("bucket", bucket_bands), ("verify", verify_buckets))}
        self.tasks: Counter[str] = Counter()
        self.checks_on_driver = 0

    def _submit(self, step: str, *args: Any) -> Any:
        self.tasks[step] += 1
        return self.remote[step].remote(*args)

    def map(self, work: Work, context: Any, batches: Iterable[list], step: str = "") -> Iterator[tuple[list, list]]:
        context_ref = self.ray.put(context)

        def submit(batch: list) -> Any:
            return self._submit("map", work, context_ref, batch)

        size = self.chunks.docs
        parts = (batch[start:start + size] for batch in batches for start in range(0, len(batch), size))
        return ordered(parts, submit, lambda batch, ref: [(batch, self.ray.get(ref))], self.in_flight)

    def buckets(self, keys: np.ndarray, slots_of: Callable[[int, int], np.ndarray], num_perm: int,
                threshold: float) -> list[list[int]]:
        bands, rows = lsh_params(threshold * LSH_SLACK, num_perm)
        keys_ref = self.ray.put(keys)

        def submit(first: int) -> Any:
            last = min(first + self.chunks.bands, bands)
            return self._submit("bucket", keys_ref, slots_of(first * rows, last * rows), rows)

        found: set[tuple[int, ...]] = set()
        for part in ordered(range(0, bands, self.chunks.bands), submit, lambda _, ref: [self.ray.get(ref)],
                            self.in_flight):
            found |= part
        return [list(bucket) for bucket in sorted(found)]

    def join(self, buckets: list[list[int]], shingles_of: Callable[[int], np.ndarray], verification: Verification,
             union: UnionFind, allow: Callable[[int, int, int], bool] | None = None) -> tuple[int, int]:
        allow = allow or (lambda head, key, kind: kind != UNRELATED)
        failed: set[int] = set()  # across the parts, as one join_similar over all buckets

        def submit(part: list[list[int]]) -> Any:
            keys = sorted({key for bucket in part for key in bucket})
            return self._submit("verify", part, keys, *packed([shingles_of(key) for key in keys]),
                                [union.find(key) for key in keys], verification)

        def replay(part: list[list[int]], ref: Any) -> list[tuple[int, int]]:
            kinds = self.ray.get(ref)

            def similar(head: int, key: int) -> bool:
                kind = kinds.get((head, key))
                if kind is None:
                    self.checks_on_driver += 1
                    kind = verification.kind(shingles_of(head), shingles_of(key))
                return allow(head, key, kind)

            return [join_similar(part, similar, union, failed)]

        counts = list(ordered(bucket_parts(buckets, self.chunks.bucket_keys), submit, replay, self.in_flight))
        return sum(candidates for candidates, _ in counts), sum(checks for _, checks in counts)

    def summary(self) -> str:
        return (f"{self.tasks['map']} per-document, {self.tasks['bucket']} bucketing and {self.tasks['verify']} "
                f"verification tasks; {self.checks_on_driver} checks on the driver")


def dedup_on_ray(path: Path, out_dir: Path, options: DedupOptions, address: str | None, **hooks: Any) -> dict[str, Any]:
    """`dedup_file` with its corpus-wide steps on Ray; logs how many tasks each step ran.
    `hooks`: dedup_file's on_reject and progress."""
    steps = RaySteps(address)
    stats = dedup_file(path, out_dir, options, steps, **hooks)
    log.info("dedup stage on Ray: %s", steps.summary())
    return stats
