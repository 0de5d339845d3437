"""What the consensus model reads about each block: the voters' coverage of it and of its
neighbours, its shape (length, links, tag, punctuation) and what its containers' class and id
tokens say. One row of numbers per block, in FEATURES order; bench/train_consensus.py trains on
the same rows, so the two never drift apart."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from storysift.clean.blocks import Block

VOTER_NAMES = ("trafilatura", "resiliparse", "readability")
# Class and id words that say what a container is, as trafilatura's and readability's own
# lists group them (trafilatura/xpaths.py, readability's unlikelyCandidates/positive).
CONTAINER_WORDS = {
    "content": re.compile(r"article|body|content|entry|main|post|story|text|blog"),
    "furniture": re.compile(r"nav|menu|footer|header|sidebar|widget|breadcrumb|sponsor|promo|banner|share|social"
                            r"|related|recommend|more|tag|categor|login|subscribe|newsletter|cookie|ad-|ads|advert"),
    "comment": re.compile(r"comment|reply|respon|discuss|disqus"),
    "meta": re.compile(r"byline|author|date|time|meta|caption|credit|dateline"),
}
TAGS = ("p", "h", "li", "td", "div", "br", "pre", "blockquote")
SENTENCE_END = re.compile(r"[.!?…:\"”’)]$")
NEIGHBOURS = 3  # blocks on each side whose votes count as context
# Each tag group's one-hot columns, in TAGS order.
TAG_COLUMNS = {group: [1.0 if group == tag else 0.0 for tag in TAGS] for group in TAGS}

FEATURES: tuple[str, ...] = (
    *VOTER_NAMES,
    *(f"{name} around" for name in VOTER_NAMES),
    *(f"{name} {side}" for name in VOTER_NAMES for side in ("before", "after")),
    *(f"{name} parent" for name in VOTER_NAMES),
    *(f"{name} page" for name in VOTER_NAMES),
    "agreement", "log words", "link share", "sentence end", "commas", "position", "log depth",
    *(f"tag {tag}" for tag in TAGS), "heading", "list",
    *(f"container {word}" for word in CONTAINER_WORDS),
    "log words around", "link share around",
)


@lru_cache(maxsize=2**16)
def token_flags(token: str) -> tuple[bool, ...]:
    """Which CONTAINER_WORDS one class or id token holds. No pattern spans a space, so a
    container holds a word where one of its tokens does; tokens recur on every page of a site."""
    return tuple(pattern.search(token) is not None for pattern in CONTAINER_WORDS.values())


def tag_group(block: Block) -> str:
    if block.in_heading:
        return "h"
    tag = block.tag
    if tag in ("td", "th", "tr"):
        return "td"
    if tag in ("li", "dd", "dt"):
        return "li"
    return tag if tag in TAGS else "div"


def feature_rows(blocks: Sequence[Block], votes: dict[str, list[float]]) -> list[list[float]]:
    """One row of FEATURES per block. `votes` holds each voter's coverage of the blocks.
    Column by column over the page, in the float64 arithmetic and order of a loop over the
    blocks: the same rows, to the bit, as the model was trained on."""
    count = len(blocks)
    if not count:
        return []
    sizes = np.fromiter((len(block.words) for block in blocks), dtype=np.int64, count=count)
    total = int(sizes.sum()) or 1
    columns = np.array([votes[name] for name in VOTER_NAMES], dtype=np.float64)  # (voters, blocks)
    weighted = columns * sizes
    # Sums in page order, one term at a time (cumsum), as a loop adds them: no pairwise summation.
    prefixes = np.concatenate([np.zeros((len(VOTER_NAMES), 1)), np.cumsum(weighted, axis=1)], axis=1)
    page_share = prefixes[:, -1] / total
    prefix_words = np.concatenate(([0], np.cumsum(sizes)))
    link_chars = np.fromiter((block.link_chars for block in blocks), dtype=np.int64, count=count)
    chars = np.fromiter((len(block.text) for block in blocks), dtype=np.int64, count=count)
    link_prefix = np.concatenate(([0], np.cumsum(link_chars)))
    char_prefix = np.concatenate(([0], np.cumsum(chars)))
    # Parent: the mean vote over the blocks with the same block element or its runs of text.
    _, parent = np.unique(np.fromiter((block.parent for block in blocks), dtype=np.int64, count=count),
                          return_inverse=True)
    siblings = np.bincount(parent)
    parent_votes = np.array([np.bincount(parent, weights=column) for column in columns]) / siblings
    index = np.arange(count)
    low, high = np.maximum(0, index - NEIGHBOURS), np.minimum(count, index + NEIGHBOURS + 1)
    around_words = prefix_words[high] - prefix_words[low] - sizes
    before_words, after_words = prefix_words[index] - prefix_words[low], prefix_words[high] - prefix_words[index + 1]

    def ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
        return np.divide(part, whole, out=np.zeros(part.shape), where=whole != 0)

    # Around: the word-weighted mean vote of the blocks within NEIGHBOURS on either side.
    around = ratio(prefixes[:, high] - prefixes[:, low] - columns * sizes, around_words)
    # Before and after apart: a heading goes with the blocks it introduces ("Related stories",
    # "More on this topic" over a list the voters drop), a caption or a source line with the
    # paragraph above it.
    before = ratio(prefixes[:, index] - prefixes[:, low], before_words)
    after = ratio(prefixes[:, high] - prefixes[:, index + 1], after_words)
    sides = np.stack([before, after], axis=1).reshape(2 * len(VOTER_NAMES), count)
    agreement = 1.0 - (columns.max(axis=0) - columns.min(axis=0))
    around_chars = char_prefix[high] - char_prefix[low] - chars
    around_links = link_prefix[high] - link_prefix[low] - link_chars
    container_flags: dict[str, list[float]] = {}  # many blocks share their containers' tokens
    per_block = []
    for block in blocks:
        text, container = block.text, block.container
        flags = container_flags.get(container)
        if flags is None:
            held = [token_flags(token) for token in container.split()]
            flags = container_flags[container] = [float(any(h[k] for h in held)) for k in range(len(CONTAINER_WORDS))]
        per_block.append([
            1.0 if SENTENCE_END.search(text) else 0.0, min(text.count(","), 10) / 10, math.log1p(block.depth),
            *TAG_COLUMNS[tag_group(block)], 1.0 if block.in_heading else 0.0, 1.0 if block.in_list else 0.0, *flags,
        ])
    shape = np.array(per_block)
    rows = np.column_stack([
        columns.T, around.T, sides.T, parent_votes[:, parent].T, np.tile(page_share, (count, 1)),
        agreement, np.log1p(sizes), ratio(link_chars, chars), shape[:, :2], index / count, shape[:, 2:],
        np.log1p(around_words / np.maximum(high - low - 1, 1)), ratio(around_links, around_chars),
    ])
    return rows.tolist()
