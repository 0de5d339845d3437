"""Maps a text back onto a page's blocks: how much of each block an extractor's output (or a
gold text) holds. Extractors return plain text, reformatted their own way; compared as
lower-cased word sequences, a block is found in the output where its words occur there in
order. Long blocks are found first and anchor the order; a short block ("Home", "By Ann
Lee") counts only where it sits between the anchors around it, so a menu word is not found
in the article because the article uses the same word."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence

WORD = re.compile(r"\w+")
# A block of at least this many words is rarely repeated by chance: found anywhere in the
# output, it is kept there, and fixes the order for the shorter blocks around it.
ANCHOR_WORDS = 4
SHINGLE = 3  # a long block only partly in the output (a dropped link, a cut caption) counts its shared 3-grams


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


class Claims:
    """Spans of the output already given to a block, kept sorted for the overlap test."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        k = bisect_right(self.starts, start)
        if k and self.ends[k - 1] > start:
            return False
        return k == len(self.starts) or self.starts[k] >= end

    def take(self, start: int, end: int) -> None:
        k = bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)


def find_free(joined: str, key: str, claims: Claims) -> int:
    """The first place `key` occurs in `joined` that no other block has taken, or -1."""
    found = joined.find(key)
    while found >= 0:
        if claims.free(found, found + len(key) - 1):
            return found
        found = joined.find(key, found + 1)
    return -1


def grams_of(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    return list(zip(*(tokens[k:] for k in range(SHINGLE))))


def coverage(blocks: Sequence[Sequence[str]], output: str) -> list[float]:
    """For each block (its words, lower-cased), the share of it found in `output`: 1.0 or 0.0,
    or for a long block found only in part, the share of its 3-grams the output holds. Each
    part of the output counts for one block: the longest blocks take theirs first, so a
    teaser repeating an article's first lines, or a second copy of the article, is not found
    in the one copy the output holds."""
    out_words = words(output)
    result = [0.0] * len(blocks)
    if not out_words:
        return result
    joined = " " + " ".join(out_words) + " "
    claims = Claims()
    where: dict[int, tuple[int, int]] = {}
    long_blocks = sorted((i for i, b in enumerate(blocks) if len(b) >= ANCHOR_WORDS), key=lambda i: -len(blocks[i]))
    for index in long_blocks:
        key = " " + " ".join(blocks[index]) + " "
        found = find_free(joined, key, claims)
        if found >= 0:
            result[index] = 1.0
            where[index] = (found, found + len(key) - 1)
            claims.take(*where[index])
    # Anchors: the whole blocks whose places rise with the page's order.
    anchors: list[tuple[int, int, int]] = []
    for index in sorted(where):
        start, end = where[index]
        if not anchors or start > anchors[-1][2]:
            anchors.append((index, start, end))
    # Short blocks: searched, in order, between the anchors around them.
    bounds = [(-1, 0)] + [(index, end) for index, _, end in anchors]
    starts = [start for _, start, _ in anchors] + [len(joined)]
    for k, (after, low) in enumerate(bounds):
        stop = anchors[k][0] if k < len(anchors) else len(blocks)
        cursor = low
        for index in range(after + 1, stop):
            block = blocks[index]
            if not block or len(block) >= ANCHOR_WORDS:
                continue
            key = " " + " ".join(block) + " "
            found = joined.find(key, cursor, starts[k] + 1)
            if found >= 0:
                result[index] = 1.0
                cursor = found + len(key) - 1
    partial = [i for i in long_blocks if not result[i]]
    if partial:
        # What the whole blocks did not take of the output's 3-grams, shared out in page order.
        grams = Counter(grams_of(out_words))
        for index in where:
            grams.subtract(grams_of(blocks[index]))
        for index in sorted(partial):
            block_grams = grams_of(blocks[index])
            found = 0
            for gram in block_grams:
                if grams.get(gram, 0) > 0:  # not grams[gram]: Counter's __missing__ is a Python call
                    grams[gram] -= 1
                    found += 1
            result[index] = found / len(block_grams)
    return result
