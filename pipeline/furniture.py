"""Furniture repeated across the corpus: blocks (a paragraph, or a run of short lines such as
a related-headlines list) whose near duplicates occur in at least K distinct stories. Blocks
are MinHash'd and joined by LSH, so a list whose items rotate from page to page still matches;
stories, not documents, are counted, so the paragraphs that copies of one story share stay."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Hashable

import numpy as np

from pipeline.document import Removal
from pipeline.minhash import Signer
from pipeline.normalize import join_paragraphs
from pipeline.shingles import shingle_hashes
from pipeline.stories import LSH_SLACK, UnionFind, lsh_params

RULE_ID = "corpus.repeated-block"
# Lines of at most this many words run together into one block (list items, footer links);
# a longer line is a paragraph and a block of its own. Devset headline items are 4..14 words.
SHORT_LINE_WORDS = 14
# A block needs this many words to be judged: shorter ones are headings such as "Key
# Takeaways" or "Conclusion", which distinct articles share without being furniture.
MIN_BLOCK_WORDS = 5
# Blocks are short, so they are shingled finer than documents.
BLOCK_SHINGLE_SIZE = 3
# 64 permutations estimate a block Jaccard of 0.5 within +-0.06 (one standard deviation);
# blocks are verified on that estimate, as their shingle sets are not kept.
BLOCK_NUM_PERM = 64
# A related-headlines list that keeps 4 of its 6 items from page to page has Jaccard ~0.5 with
# its neighbours; 0.4 joins those while two different articles' paragraphs stay apart.
BLOCK_THRESHOLD = 0.4
# A block in at least this many distinct stories is furniture. Bench: K=4..10 give F1 0.999
# (361 stories found of 360), K=2..3 0.999 (362); no corpus furniture at all 0.847. 4 lets a
# corpus of a dozen stories qualify, and a quote that two or three stories share is kept.
DEFAULT_MIN_STORIES = 4
# Below this many distinct stories the count "in K stories" says nothing about furniture.
MIN_CORPUS_STORIES_FACTOR = 3


def split_blocks(line_sizes: list[int]) -> list[list[int]]:
    """Line indices of each block, from each line's word count: a run of consecutive short
    lines, or one long line. Blank lines end a run."""
    blocks: list[list[int]] = []
    run: list[int] = []
    for index, size in enumerate(line_sizes):
        if size and size <= SHORT_LINE_WORDS:
            run.append(index)
            continue
        if run:
            blocks.append(run)
            run = []
        if size:
            blocks.append([index])
    if run:
        blocks.append(run)
    return blocks


# Of a page's words (less those of other widespread blocks), the share in blocks that every
# page holding a block holds too; the median over those pages. On the bench, before the first
# furniture round, clusters of one story's text (copies not joined yet) score 0.76..1.0 and
# clusters of site furniture 0.0..0.31. Above this share a block is story text.
STORY_SHARE = 0.5


@dataclass
class BlockIndex:
    """Every judged block of the corpus: identical blocks share a node, nodes are clustered."""

    signer: Signer = field(default_factory=lambda: Signer(BLOCK_NUM_PERM))
    nodes: dict[bytes, int] = field(default_factory=dict)
    occurrences: list[list[tuple[int, tuple[int, ...]]]] = field(default_factory=list)  # node -> (doc, lines)
    node_words: list[int] = field(default_factory=list)
    doc_words: dict[int, int] = field(default_factory=dict)
    rows: list[np.ndarray] = field(default_factory=list)
    _pending: list[np.ndarray] = field(default_factory=list)
    cluster_of: list[int] = field(default_factory=list)

    def add(self, doc: int, line_sizes: list[int], hashes: np.ndarray) -> None:
        """Register a document's blocks, from its words per line and its word hashes."""
        self.doc_words[doc] = len(hashes)
        starts = np.concatenate(([0], np.cumsum(line_sizes)))
        rolled = within_line = None
        for block in split_blocks(line_sizes):
            start, end = int(starts[block[0]]), int(starts[block[-1] + 1])
            if end - start < MIN_BLOCK_WORDS:
                continue
            if rolled is None:  # the 3-word shingles of the whole page; a block takes its slice
                rolled = shingle_hashes(hashes, BLOCK_SHINGLE_SIZE)
                line_of = np.repeat(np.arange(len(line_sizes)), line_sizes)
                within_line = line_of[:len(rolled)] == line_of[BLOCK_SHINGLE_SIZE - 1:]
            digest = hashlib.blake2b(hashes[start:end].tobytes(), digest_size=16).digest()
            node = self.nodes.get(digest)
            if node is None:
                node = self.nodes[digest] = len(self.occurrences)
                self.occurrences.append([])
                self.node_words.append(end - start)
                # Shingles within a line only: a list whose items rotate keeps the shingles of
                # the items it keeps, whatever their order.
                elements = rolled[start:end - BLOCK_SHINGLE_SIZE + 1]
                inside = elements[within_line[start:end - BLOCK_SHINGLE_SIZE + 1]]
                self._pending.append(inside if len(inside) else elements)
                if len(self._pending) >= 2048:
                    self._flush()
            self.occurrences[node].append((doc, tuple(block)))

    def _flush(self) -> None:
        if self._pending:
            self.rows.extend(self.signer.sign(self._pending))
            self._pending = []

    def cluster(self, threshold: float = BLOCK_THRESHOLD) -> int:
        """Join near-duplicate nodes; returns the number of clusters. Bands of the signatures
        are bucketed with numpy (datasketch's banding for LSH_SLACK x threshold, without a Python
        call per block); each node in a bucket is verified against the bucket's first node on
        the signature estimate (blocks are short: their shingle sets are not kept)."""
        self._flush()
        # Nodes in the order of their digests, not of the input, so clusters do not depend on it.
        by_digest = [node for _, node in sorted((digest, node) for digest, node in self.nodes.items())]
        union = UnionFind(range(len(self.rows)))
        if len(self.rows) > 1:
            table = np.vstack([self.rows[node] for node in by_digest])
            bands, rows = lsh_params(threshold * LSH_SLACK, self.signer.num_perm)
            multipliers = np.array([(0x9E3779B97F4A7C15 * (2 * k + 1)) % (1 << 64) for k in range(rows)],
                                   dtype=np.uint64)
            with np.errstate(over="ignore"):
                for band in range(bands):
                    # The band's slots folded into one 64-bit key (a collision only costs a check).
                    keys = (table[:, band * rows:(band + 1) * rows].astype(np.uint64) * multipliers).sum(axis=1)
                    order = np.argsort(keys, kind="stable")
                    sorted_keys = keys[order]
                    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
                    sizes = np.diff(np.r_[starts, len(order)])
                    # Every member of a bucket against the bucket's first member, in one pass.
                    firsts = np.repeat(order[starts], sizes)
                    similar = (firsts != order) & (estimate_pairs(table, firsts, order) >= threshold)
                    for first, other in zip(firsts[similar].tolist(), order[similar].tolist()):
                        union.union(first, other)
        cluster_of = [0] * len(self.rows)
        for position, node in enumerate(by_digest):
            cluster_of[node] = union.find(position)
        self.cluster_of = cluster_of
        # What `furniture` reads on every round: the pages of each cluster, and per page the
        # words it holds in each cluster.
        self._docs: dict[int, set[int]] = {}
        self._clusters_of_doc: dict[int, dict[int, int]] = {}
        for node, places in enumerate(self.occurrences):
            cluster, words = cluster_of[node], self.node_words[node]
            self._docs.setdefault(cluster, set()).update(doc for doc, _ in places)
            for doc, _ in places:
                held = self._clusters_of_doc.setdefault(doc, {})
                held[cluster] = held.get(cluster, 0) + words
        return len(set(self.cluster_of))

    def furniture(self, story_of: dict[int, Hashable], min_stories: int) -> dict[int, list[tuple[int, ...]]]:
        """Per document, the blocks (line indices) whose cluster occurs in `min_stories` or more
        distinct stories and is not story text (see STORY_SHARE). A document absent from
        `story_of` counts as a story of its own."""
        docs, clusters_of_doc = self._docs, self._clusters_of_doc
        candidates = {cluster for cluster, members in docs.items() if len(members) >= min_stories
                      and len({story_of.get(doc, ("doc", doc)) for doc in members}) >= min_stories}
        furniture = set()
        for cluster in candidates:
            members = docs[cluster]
            shared = set.intersection(*(set(clusters_of_doc[doc]) for doc in members))
            shares = []
            for doc in members:
                clusters = clusters_of_doc[doc]
                held = sum(clusters[c] for c in shared)
                # Words of other widespread blocks are furniture of their own, not text of the page.
                own = self.doc_words[doc] - sum(w for c, w in clusters.items() if c in candidates and c not in shared)
                shares.append(held / max(own, 1))
            if float(np.median(shares)) <= STORY_SHARE:
                furniture.add(cluster)
        removed: dict[int, list[tuple[int, ...]]] = {}
        for node, places in enumerate(self.occurrences):
            if self.cluster_of[node] in furniture:
                for doc, block in places:
                    removed.setdefault(doc, []).append(block)
        return {doc: sorted(blocks) for doc, blocks in sorted(removed.items())}


def estimate_pairs(table: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of row pairs (left[i], right[i]), in chunks to bound memory."""
    out = np.empty(len(left))
    for start in range(0, len(left), 8192):
        end = start + 8192
        out[start:end] = (table[left[start:end]] == table[right[start:end]]).mean(axis=1)
    return out


def remove_blocks(text: str, blocks: list[tuple[int, ...]]) -> tuple[str, list[Removal]]:
    """The text without the given blocks, and a removal per block. Corpus removals have no
    line span: they are judged on the clean text, not on the text the line rules saw."""
    if not blocks:
        return text, []
    lines = text.split("\n")
    dropped = {i for block in blocks for i in block}
    removals = [Removal(RULE_ID, "\n".join(lines[i] for i in block)) for block in blocks]
    return join_paragraphs([line for i, line in enumerate(lines) if i not in dropped]), removals
