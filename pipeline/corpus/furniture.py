"""Furniture repeated across the corpus: blocks (a paragraph, or a run of short lines such as
a related-headlines list) whose near duplicates occur in at least K distinct stories. Blocks
are MinHash'd and joined by LSH, so a list whose items rotate from page to page still matches;
stories, not documents, are counted, so the paragraphs that copies of one story share stay."""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from typing import Hashable

import numpy as np

from storysift.clean.normalize import join_paragraphs
from storysift.corpus.minhash import Rows, Signer
from storysift.corpus.shingles import shingle_hashes
from storysift.corpus.stories import LSH_SLACK, components, lsh_params
from storysift.document import Removal

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
    """Every judged block of the corpus: identical blocks share a node, nodes are clustered.
    Held as flat arrays (per node: words, digest, signature; per occurrence: node, document,
    first line, lines), not a Python object per block: on 20,000 generated pages (121,862
    nodes, 420,000 occurrences) lists of tuples and row arrays held 105 MB, and the per-cluster
    sets and per-page dicts `furniture` read another 35 MB."""

    signer: Signer = field(default_factory=lambda: Signer(BLOCK_NUM_PERM))
    nodes: dict[bytes, int] | None = field(default_factory=dict)  # digest -> node, until cluster()
    node_words: array = field(default_factory=lambda: array("i"))
    doc_words: array = field(default_factory=lambda: array("i"))  # by document index
    _digests: bytearray = field(default_factory=bytearray)  # 16 bytes a node
    _occurrences: tuple[array, array, array, array] = field(
        default_factory=lambda: (array("i"), array("i"), array("i"), array("i")))  # node, doc, first line, lines
    _pending: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = Rows(self.signer.num_perm)

    def add(self, doc: int, line_sizes: list[int], hashes: np.ndarray) -> None:
        """Register a document's blocks, from its words per line and its word hashes."""
        if self.nodes is None:
            raise RuntimeError("blocks are added before cluster(), which lets go of their digests and signatures")
        if doc >= len(self.doc_words):
            self.doc_words.extend([0] * (doc + 1 - len(self.doc_words)))
        self.doc_words[doc] = len(hashes)
        starts = np.concatenate(([0], np.cumsum(line_sizes)))
        rolled = within_line = None
        occ_node, occ_doc, occ_first, occ_lines = self._occurrences
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
                node = self.nodes[digest] = len(self.node_words)
                self.node_words.append(end - start)
                self._digests += digest
                # Shingles within a line only: a list whose items rotate keeps the shingles of
                # the items it keeps, whatever their order.
                elements = rolled[start:end - BLOCK_SHINGLE_SIZE + 1]
                inside = elements[within_line[start:end - BLOCK_SHINGLE_SIZE + 1]]
                self._pending.append(inside if len(inside) else elements)
                if len(self._pending) >= 2048:
                    self._flush()
            # A block is a run of consecutive lines: its first line and how many.
            occ_node.append(node)
            occ_doc.append(doc)
            occ_first.append(block[0])
            occ_lines.append(len(block))

    def _flush(self) -> None:
        if self._pending:
            self.rows.append(self.signer.sign(self._pending))
            self._pending = []

    def cluster(self, threshold: float = BLOCK_THRESHOLD) -> int:
        """Join near-duplicate nodes; returns the number of clusters. Bands of the signatures
        are bucketed with numpy (datasketch's banding for LSH_SLACK x threshold, without a Python
        call per block); each node in a bucket is verified against the bucket's first node on
        the signature estimate (blocks are short: their shingle sets are not kept)."""
        self._flush()
        count = len(self.node_words)
        # Nodes in the order of their digests, not of the input, so clusters do not depend on it:
        # a node's position in that order names it in the union (big-endian words sort as bytes).
        digests = np.frombuffer(self._digests, dtype=">u8").reshape(count, 2)
        position = np.empty(count, dtype=np.int64)
        position[np.lexsort((digests[:, 1], digests[:, 0]))] = np.arange(count)
        del digests
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        if count > 1:
            bands, rows = lsh_params(threshold * LSH_SLACK, self.signer.num_perm)
            multipliers = np.array([(0x9E3779B97F4A7C15 * (2 * k + 1)) % (1 << 64) for k in range(rows)],
                                   dtype=np.uint64)
            with np.errstate(over="ignore"):
                for band in range(bands):
                    # The band's slots folded into one 64-bit key (a collision only costs a check).
                    keys = (self.rows.columns(band * rows, (band + 1) * rows).astype(np.uint64) * multipliers).sum(axis=1)
                    order = np.lexsort((position, keys))  # nodes by key, then by digest
                    sorted_keys = keys[order]
                    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
                    sizes = np.diff(np.r_[starts, len(order)])
                    # Every member of a bucket against the bucket's first member, in one pass.
                    firsts = np.repeat(order[starts], sizes)
                    paired = firsts != order
                    firsts, others = firsts[paired], order[paired]
                    similar = estimate_pairs(self.rows, firsts, others) >= threshold
                    left.append(position[firsts[similar]])
                    right.append(position[others[similar]])
        labels = components(count, np.concatenate(left) if left else [], np.concatenate(right) if right else [])
        self.cluster_of = labels[position].astype(np.int32)
        # Signatures and digests are done with: on 100,000 generated pages, 239 of the 450 MB
        # the stage held after reading.
        self.nodes, self.rows, self._digests = None, Rows(self.signer.num_perm), bytearray()
        # What `furniture` reads on every round: per page and cluster, the words the page
        # holds in that cluster (pairs sorted by page, then cluster; a page has at most
        # MAX_WORDS words, so int32 sums).
        occ_node, occ_doc = (np.frombuffer(a, dtype=np.int32) for a in self._occurrences[:2])
        order = np.lexsort((self.cluster_of[occ_node], occ_doc))
        nodes = occ_node[order]
        docs = occ_doc[order]
        del order
        clusters = self.cluster_of[nodes]
        starts = np.flatnonzero(np.r_[True, (docs[1:] != docs[:-1]) | (clusters[1:] != clusters[:-1])])
        self._pair_doc, self._pair_cluster = docs[starts], clusters[starts]
        del docs, clusters
        words = np.frombuffer(self.node_words, dtype=np.int32)[nodes]
        self._pair_words = np.add.reduceat(words, starts) if len(starts) else words
        return len(np.unique(self.cluster_of))

    def furniture(self, story_of: dict[int, Hashable], min_stories: int) -> dict[int, list[tuple[int, ...]]]:
        """Per document, the blocks (line indices) whose cluster occurs in `min_stories` or more
        distinct stories and is not story text (see STORY_SHARE). A document absent from
        `story_of` counts as a story of its own."""
        pair_doc, pair_cluster, pair_words = self._pair_doc, self._pair_cluster, self._pair_words
        docs, doc_pairs = np.unique(pair_doc, return_index=True)
        doc_pairs = np.r_[doc_pairs, len(pair_doc)]
        codes: dict[Hashable, int] = {}
        story = np.array([codes.setdefault(story_of.get(doc, ("doc", doc)), len(codes)) for doc in docs.tolist()],
                         dtype=np.int64)
        pair_story = story[np.searchsorted(docs, pair_doc)]
        size = len(self.cluster_of)
        by_cluster = np.lexsort((pair_story, pair_cluster))
        clusters, stories = pair_cluster[by_cluster], pair_story[by_cluster]
        distinct = np.r_[True, (clusters[1:] != clusters[:-1]) | (stories[1:] != stories[:-1])]
        candidate = ((np.bincount(pair_cluster, minlength=size) >= min_stories)
                     & (np.bincount(clusters[distinct], minlength=size) >= min_stories))
        doc_words = np.frombuffer(self.doc_words, dtype=np.int32).astype(np.int64)
        bounds = np.searchsorted(clusters, np.arange(size + 1))
        cluster_docs = pair_doc[by_cluster]
        furniture = []
        for cluster in np.flatnonzero(candidate).tolist():
            members = np.sort(cluster_docs[bounds[cluster]:bounds[cluster + 1]])  # one pair per page
            # Every (page, cluster) pair of the members, and which member it belongs to.
            at = np.searchsorted(docs, members)
            first, lengths = doc_pairs[at], doc_pairs[at + 1] - doc_pairs[at]
            owner = np.repeat(np.arange(len(members)), lengths)
            picked = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(first, lengths)
            held_clusters, held_words = pair_cluster[picked], pair_words[picked]
            # Clusters that every member holds (one pair per page and cluster).
            present, counts = np.unique(held_clusters, return_counts=True)
            shared = np.isin(held_clusters, present[counts == len(members)])
            held = np.bincount(owner, weights=held_words * shared, minlength=len(members)).astype(np.int64)
            # Words of other widespread blocks are furniture of their own, not text of the page.
            other = candidate[held_clusters] & ~shared
            own = doc_words[members] - np.bincount(owner, weights=held_words * other,
                                                   minlength=len(members)).astype(np.int64)
            if float(np.median(held / np.maximum(own, 1))) <= STORY_SHARE:
                furniture.append(cluster)
        occ_node, occ_doc, occ_first, occ_lines = (np.frombuffer(a, dtype=np.int32) for a in self._occurrences)
        chosen = np.isin(self.cluster_of[occ_node], furniture)
        removed: dict[int, list[tuple[int, ...]]] = {}
        for doc, first, lines in zip(occ_doc[chosen].tolist(), occ_first[chosen].tolist(), occ_lines[chosen].tolist()):
            removed.setdefault(doc, []).append(tuple(range(first, first + lines)))
        return {doc: sorted(blocks) for doc, blocks in sorted(removed.items())}


def estimate_pairs(rows: Rows, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of row pairs (left[i], right[i]), in chunks to bound memory."""
    out = np.empty(len(left))
    for start in range(0, len(left), 8192):
        end = start + 8192
        out[start:end] = (rows.take(left[start:end]) == rows.take(right[start:end])).mean(axis=1)
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
