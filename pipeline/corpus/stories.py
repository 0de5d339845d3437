"""Copies of one story: exact duplicates by digest, near duplicates by MinHash LSH (datasketch's
bands and rows, bucketed with numpy) with every join verified on the exact Jaccard of the
shingle sets, clusters by union-find (a copy of a copy is in the same story), a canonical
member by a fixed rule, stable story ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Hashable, Iterable

import numpy as np

from storysift.corpus.minhash import Signer


# A text with fewer words (its headline counted) is a stub (a teaser, an empty extraction): its
# shingles would match anything or nothing, so it joins a story by its headline only
# (dedup.join_by_headline) and is otherwise kept out. The shortest seed has ~340 words.
MIN_WORDS = 8


@dataclass(frozen=True, slots=True)
class Member:
    """What story clustering knows of one document: no text, only what the rules read."""

    index: int  # position in the corpus
    id: str
    source: str
    words: int
    removals: int
    date: str | None = None
    site: str | None = None

    @property
    def stub(self) -> bool:
        """Too short for its shingles to say which story it is (MIN_WORDS)."""
        return self.words < MIN_WORDS


class UnionFind:
    """Disjoint sets over hashable keys; a set's root is its smallest key, so the result does
    not depend on the order the pairs were joined in."""

    def __init__(self, keys: Iterable[Hashable] = ()):
        self.parent: dict = {key: key for key in keys}

    def add(self, key: Hashable) -> None:
        self.parent.setdefault(key, key)

    def find(self, key: Hashable) -> Hashable:
        self.add(key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: Hashable, b: Hashable) -> bool:
        """Join the sets of a and b; False when they were already one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True

    def groups(self) -> dict[Hashable, list[Hashable]]:
        """Root to sorted members, for every set."""
        out: dict = {}
        for key in sorted(self.parent):
            out.setdefault(self.find(key), []).append(key)
        return out


def exact_groups(digests: dict[int, bytes]) -> dict[int, list[int]]:
    """Documents with identical text: the smallest index of each digest to all its indices."""
    by_digest: dict[bytes, list[int]] = {}
    for index in sorted(digests):
        by_digest.setdefault(digests[index], []).append(index)
    return {group[0]: group for group in by_digest.values()}


# datasketch's bands and rows for the thresholds the defaults use (documents: 0.5 x LSH_SLACK
# with 128 permutations, sites: 0.4 x LSH_SLACK with 64, events: 0.2 x LSH_SLACK with 64).
# datasketch finds them by numerical integration, which took 75 ms of every run (7% of the
# stage on the syndication bench); tests/test_stories.py checks them against datasketch.
KNOWN_LSH_PARAMS = {(0.3, 128): (37, 3), (0.24, 64): (19, 2), (0.3 * 0.6, 64): (32, 2)}


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's bands and rows for a threshold; worked out once (it integrates numerically)."""
    if (threshold, num_perm) in KNOWN_LSH_PARAMS:
        return KNOWN_LSH_PARAMS[threshold, num_perm]
    from datasketch import MinHashLSH  # its import (scipy's integration) is needed here only

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


# The LSH proposes pairs at this fraction of the verification threshold. datasketch's bands for
# 0.5 itself (b=25, r=5) propose a pair of Jaccard 0.5 with probability 0.55 only; for 0.3
# (b=37, r=3) with 0.99, and 0.64 at Jaccard 0.3. Verification removes what is proposed extra.
LSH_SLACK = 0.6


def lsh_buckets(signer: Signer, rows: dict[int, np.ndarray], threshold: float,
                slack: float = LSH_SLACK) -> list[list[int]]:
    """The band buckets that hold two or more keys, sorted and distinct: see `band_buckets`."""
    keys = sorted(rows)
    table = np.array([rows[key] for key in keys], dtype=np.uint32).reshape(len(keys), signer.num_perm)
    return band_buckets(np.array(keys, dtype=np.int64), lambda start, end: table[:, start:end], signer.num_perm,
                        threshold, slack)


def band_buckets(keys: np.ndarray, slots_of: Callable[[int, int], np.ndarray], num_perm: int, threshold: float,
                 slack: float = LSH_SLACK) -> list[list[int]]:
    """The buckets of datasketch's MinHashLSH set up for `slack` x `threshold` (its bands and
    rows), for signatures named by ascending `keys`, whose slots start..end-1 `slots_of` gives
    (one row per key: a band at a time, not a copy of every signature): per band, the keys whose
    slots in the band are all equal, where two or more are; sorted, distinct. The same buckets as
    inserting every row into MinHashLSH and reading its hash tables (tests/test_stories.py),
    without its Python dict entry, set and bytes key per band and row: measured on 20,000
    generated pages (15,931 distinct texts, b=37), MinHashLSH held 181 MB, 11 KB a text."""
    bands, rows = lsh_params(threshold * slack, num_perm)
    return [list(bucket) for bucket in sorted(buckets_in_bands(keys, slots_of, range(bands), rows))]


def buckets_in_bands(keys: np.ndarray, slots_of: Callable[[int, int], np.ndarray], bands: range,
                     rows: int) -> set[tuple[int, ...]]:
    """The buckets of two or more keys in the given bands (`rows` slots each), as key tuples:
    the union over every band's result, sorted, is `band_buckets`."""
    found: set[tuple[int, ...]] = set()
    for band in bands:
        slots = slots_of(band * rows, (band + 1) * rows)
        order = np.lexsort(slots.T[::-1])  # stable: equal slots keep their keys ascending
        ordered = slots[order]
        starts = np.flatnonzero(np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)])
        sizes = np.diff(np.r_[starts, len(order)])
        shared = sizes > 1
        for start, size in zip(starts[shared].tolist(), sizes[shared].tolist()):
            found.add(tuple(keys[order[start:start + size]].tolist()))
    return found


def components(size: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of 0..size-1 joined by the pairs (left[i], right[i]): each key's
    label is the smallest key of its component, as `UnionFind` roots are, in numpy passes."""
    labels = np.arange(size)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    while len(left):
        lowest = np.minimum(labels[left], labels[right])
        np.minimum.at(labels, left, lowest)
        np.minimum.at(labels, right, lowest)
        while True:  # point every key at its label's label until nothing moves
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels[left], labels[right]):
            break
    return labels


def lsh_candidates(signer: Signer, rows: dict[int, np.ndarray], threshold: float,
                   slack: float = LSH_SLACK) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (left[i] < right[i]) that shares a bucket, in ascending order, as two arrays:
    a bucket of k keys gives its k(k-1)/2 pairs in one numpy step (events: up to a million pairs)."""
    codes = [np.empty(0, dtype=np.int64)]
    span = max(rows, default=0) + 1
    for bucket in lsh_buckets(signer, rows, threshold, slack):
        keys = np.array(bucket, dtype=np.int64)
        first, second = pair_indices(len(keys))
        codes.append(keys[first] * span + keys[second])
    pairs = np.unique(np.concatenate(codes))  # sorted, distinct
    return pairs // span, pairs % span


def pair_indices(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions (i < j) of every pair among `size` keys (read-only; a small bucket's are kept)."""
    return _small_pair_indices(size) if size <= SMALL_BUCKET else _read_only(np.triu_indices(size, 1))


# Buckets of up to this many keys are most of them; their pair positions are computed once.
SMALL_BUCKET = 64


@lru_cache(maxsize=SMALL_BUCKET)
def _small_pair_indices(size: int) -> tuple[np.ndarray, np.ndarray]:
    return _read_only(np.triu_indices(size, 1))


def _read_only(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.flags.writeable = False
    return arrays


# In one bucket a key is checked against at most this many sets already formed there. Copies
# join the first set they are checked against; the cap keeps a bucket of thousands of near
# copies (or of unrelated pages colliding by chance) linear instead of quadratic.
MAX_CHECKS_PER_KEY = 3
# Failed pairs remembered (about 70 bytes each): a pair of texts shares a bucket in several
# bands. On bench/dedup_speed.py's 10,000-document corpus, `storysift dedup` made 64,976 checks
# without the memo and 45,819 with it (`jaccard_checks` in report.json; set this to 0 to see the
# first). Past this many, pairs are checked again.
MAX_FAILED_PAIRS = 1_000_000


# A text whose shingles the other holds at this share or more is a part of it: a teaser of
# the first paragraphs, a copy with its last paragraphs dropped. On the true article bodies of
# ../shared/devcorpus-syndication, Jaccard alone joins the copies of a story at pair F1 0.83
# (teasers keep 20-50 % of the text), Jaccard or containment >= 0.5 .. 0.8 at 0.999
# (`python bench/stories.py`, the "datasketch body" row shows Jaccard alone).
DEFAULT_CONTAINMENT = 0.7
# The smaller text needs this many shingles for containment to count: a short line that many
# pages hold (a slogan, a quote) must not pull them into one story.
MIN_CONTAINED_SHINGLES = 8
UNRELATED, COPIES, FIRST_WITHIN, SECOND_WITHIN = 0, 1, 2, 3


@dataclass(frozen=True)
class Verification:
    """How a candidate pair is checked on exact shingle sets: copies at Jaccard >= threshold,
    or one within the other at `containment`. Picklable: Ray tasks run it too."""

    threshold: float
    containment: float = DEFAULT_CONTAINMENT
    min_contained: int = MIN_CONTAINED_SHINGLES

    def kind(self, a: np.ndarray, b: np.ndarray) -> int:
        if len(a) == 0 or len(b) == 0:
            return UNRELATED
        shared = len(np.intersect1d(a, b, assume_unique=True))
        if shared / (len(a) + len(b) - shared) >= self.threshold:
            return COPIES
        smaller = min(len(a), len(b))
        if smaller >= self.min_contained and shared >= self.containment * smaller:
            return FIRST_WITHIN if len(a) <= len(b) else SECOND_WITHIN
        return UNRELATED


def join_buckets(buckets: list[list[int]], shingles_of: Callable[[int], np.ndarray], verification: Verification,
                 union: UnionFind, allow: Callable[[int, int, int], bool] | None = None) -> tuple[int, int]:
    """Join keys that share a bucket when `verification` finds them copies or one within the
    other, and `allow(head, key, kind)` agrees (by default, any such pair). A pair already in
    one set needs no check; every join is verified. Returns (candidates, checks)."""
    allow = allow or (lambda head, key, kind: kind != UNRELATED)
    return join_similar(buckets, lambda a, b: allow(a, b, verification.kind(shingles_of(a), shingles_of(b))), union)


def join_similar(buckets: list[list[int]], similar: Callable[[int, int], bool], union: UnionFind,
                 failed: set[int] | None = None) -> tuple[int, int]:
    """`join_buckets` with the verification as `similar(head, key)`. Which pairs are checked
    depends on the joins made before, so buckets must come in order; running a list of buckets
    in consecutive parts with one `union` and one `failed` gives the same sets and counts as
    running it whole. A (head, key) pair that failed is not checked again when another band's
    bucket holds it too (it counts as a try, not as a check): a refusal is final, as its texts do
    not change and `Dedup.allowed` only comes to refuse more. Ordered, since which text counts as
    the one contained may depend on the order."""
    failed = set() if failed is None else failed
    candidates = checks = 0
    for bucket in buckets:
        heads: list[int] = []  # the first key of each set met in this bucket
        for key in bucket:
            candidates += 1
            root = union.find(key)
            tried = 0
            joined = False
            for head in heads:
                if union.find(head) == root:
                    joined = True
                    break
                if tried < MAX_CHECKS_PER_KEY:
                    tried += 1
                    pair = (head << 32) | key
                    if pair in failed:
                        continue
                    checks += 1
                    if similar(head, key):
                        union.union(head, key)
                        joined = True
                        break
                    if len(failed) < MAX_FAILED_PAIRS:
                        failed.add(pair)
            if not joined:
                heads.append(key)
    return candidates, checks


def canonical_key(member: Member) -> tuple:
    """The canonical member of a story sorts first: the most complete text (most words), then
    the fewest removals (the cleanest page), then the earliest date when one is known (ISO
    dates compare as text), then the smallest id and source, so the choice never depends on
    input order."""
    dated = (0, member.date) if member.date else (1, "")
    return (-member.words, member.removals, dated, member.id, member.source)


def choose_canonical(members: Iterable[Member]) -> Member:
    return min(members, key=canonical_key)


def stable_id(prefix: str, key: str) -> str:
    """A short id that depends only on `key` (not on input order or on the process)."""
    return prefix + hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()


def member_keys(members: Iterable[Member]) -> dict[int, str]:
    """The key that names each document: its id, or id and source when ids repeat."""
    members = list(members)
    seen: dict[str, int] = {}
    for member in members:
        seen[member.id] = seen.get(member.id, 0) + 1
    return {m.index: m.id if seen[m.id] == 1 else f"{m.id}\t{m.source}" for m in members}
