"""The site of every document, the first step of the corpus stage: the host of its URL or the
page's og:site_name, as cleaning recorded it; for documents with neither (a folder of .txt
files), site-mates inferred from the furniture they share. Site templates (templates.py) are
learnt per site. An inferred site is named "~" and a hash of its smallest member's id."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import numpy as np

from storysift.document import without_lone_surrogates
from storysift.clean.html import host_of
from storysift.corpus.minhash import Signer
from storysift.corpus.stories import UnionFind, join_similar, lsh_buckets, stable_id

# Two pages are site-mates when the furniture lines (what single-page cleaning removed) of one
# and the other have Jaccard >= this. On ../shared/devcorpus-syndication's txt rendition, pairs
# of pages of one site have a median of 0.66, copies of one story on two sites 0.01 (99th
# percentile 0.21) and unrelated pages 0.006 (99th percentile 0.19); 0.3 chains blogs that
# share archive-month lists, 0.5 splits sites more (`python bench/stories.py` prints the
# inferred sites' pair precision and recall).
SITE_THRESHOLD = 0.4
# A page with fewer distinct furniture lines says nothing of its site.
MIN_FURNITURE_LINES = 3
# A group of at least this many pages has a core (its lines on half its pages or more); a
# smaller group, or a lone page, joins the group whose core it holds the most of, when it holds
# at least CORE_COVER of it: a page whose template rotates more than most is still its site's.
MIN_CORE_PAGES = 3
CORE_SHARE = 0.5
CORE_COVER = 0.5
SITE_NUM_PERM = 64


def site_of(record: dict) -> str | None:
    """The site a record names: its `site` field (set by cleaning from the URL's host or the
    page's og:site_name), else the host of its `url`."""
    site = record.get("site")
    if isinstance(site, str) and site.strip():
        return without_lone_surrogates(site.strip().lower())  # hashed and written as UTF-8
    url = record.get("url")
    return host_of(without_lone_surrogates(url)) if isinstance(url, str) else None


def infer_sites(furniture: dict[int, np.ndarray], names: dict[int, str]) -> dict[int, str]:
    """Site names for documents by their furniture line keys (sorted distinct uint64 arrays):
    pages whose furniture overlaps enough are one site (MinHash LSH proposes, the exact Jaccard
    decides), and small groups join the site whose core they hold. `names` gives each
    document's id, from which a site's name derives, so names do not depend on input order.
    A document with too little furniture is a site of its own."""
    usable = sorted(doc for doc, lines in furniture.items() if len(lines) >= MIN_FURNITURE_LINES)
    union = UnionFind(furniture)
    if len(usable) > 1:
        signer = Signer(SITE_NUM_PERM)
        folded = [np.unique((furniture[doc] >> np.uint64(32)).astype(np.uint32)) for doc in usable]
        buckets = lsh_buckets(signer, dict(zip(usable, signer.sign(folded))), SITE_THRESHOLD)
        join_similar(buckets, lambda a, b: _jaccard(furniture[a], furniture[b]) >= SITE_THRESHOLD, union)
    groups = union.groups()
    _join_cores(groups, furniture, union)
    sites: dict[int, str] = {}
    for members in union.groups().values():
        name = stable_id("~", min(names[doc] for doc in members))
        for doc in members:
            sites[doc] = name
    return sites


def _join_cores(groups: dict, furniture: dict[int, np.ndarray], union: UnionFind) -> None:
    """Small groups join the large group whose core they hold the most of (ties: the group of
    the smallest document), if they hold CORE_COVER of it."""
    cores: dict[int, np.ndarray] = {}
    for root, members in groups.items():
        if len(members) >= MIN_CORE_PAGES:
            counts = Counter(key for doc in members for key in furniture[doc].tolist())
            core = [key for key, n in counts.items() if n >= CORE_SHARE * len(members)]
            if core:
                cores[root] = np.array(sorted(core), dtype=np.uint64)
    if not cores:
        return
    holders: dict[int, list[int]] = {}
    for root, core in cores.items():
        for key in core.tolist():
            holders.setdefault(key, []).append(root)
    for root, members in sorted(groups.items()):
        if len(members) >= MIN_CORE_PAGES:
            continue
        held = Counter(core for key in _keys(members, furniture) for core in holders.get(key, ()))
        best = max(held, key=lambda core: (held[core] / len(cores[core]), -core), default=None)
        if best is not None and held[best] / len(cores[best]) >= CORE_COVER:
            union.union(best, root)


def _keys(members: Iterable[int], furniture: dict[int, np.ndarray]) -> set[int]:
    return {key for doc in members for key in furniture[doc].tolist()}


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared) if shared else 0.0
