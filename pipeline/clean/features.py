"""What the consensus model reads about each block: the voters' coverage of it and of its
neighbours, its shape (length, links, tag, punctuation) and what its containers' class and id
tokens say. One row of numbers per block, in FEATURES order; bench/train_consensus.py trains on
the same rows, so the two never drift apart."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

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
    """One row of FEATURES per block. `votes` holds each voter's coverage of the blocks."""
    count = len(blocks)
    if not count:
        return []
    sizes = [len(block.words) for block in blocks]
    total = sum(sizes) or 1
    columns = [votes[name] for name in VOTER_NAMES]
    page_share = [sum(v * n for v, n in zip(column, sizes)) / total for column in columns]
    # Around: the word-weighted mean vote of the blocks within NEIGHBOURS on either side.
    weighted = [[v * n for v, n in zip(column, sizes)] for column in columns]
    prefix_words = [0]
    for n in sizes:
        prefix_words.append(prefix_words[-1] + n)
    prefixes = []
    for column in weighted:
        prefix = [0.0]
        for value in column:
            prefix.append(prefix[-1] + value)
        prefixes.append(prefix)
    link_prefix = [0]
    for block in blocks:
        link_prefix.append(link_prefix[-1] + block.link_chars)
    char_prefix = [0]
    for block in blocks:
        char_prefix.append(char_prefix[-1] + len(block.text))
    # Parent: the mean vote over the blocks with the same block element or its runs of text.
    by_parent: dict[int, list[int]] = {}
    for i, block in enumerate(blocks):
        by_parent.setdefault(block.parent, []).append(i)
    parent_votes = {parent: [sum(column[j] for j in siblings) / len(siblings) for column in columns]
                    for parent, siblings in by_parent.items()}
    container_flags: dict[str, list[float]] = {}  # many blocks share their containers' tokens
    rows = []
    for i, block in enumerate(blocks):
        low, high = max(0, i - NEIGHBOURS), min(count, i + NEIGHBOURS + 1)
        around_words = prefix_words[high] - prefix_words[low] - sizes[i]
        around = [(prefix[high] - prefix[low] - column[i] * sizes[i]) / around_words if around_words else 0.0
                  for prefix, column in zip(prefixes, columns)]
        # Before and after apart: a heading goes with the blocks it introduces ("Related stories",
        # "More on this topic" over a list the voters drop), a caption or a source line with the
        # paragraph above it.
        before_words, after_words = prefix_words[i] - prefix_words[low], prefix_words[high] - prefix_words[i + 1]
        sides = [value for prefix in prefixes for value in (
            (prefix[i] - prefix[low]) / before_words if before_words else 0.0,
            (prefix[high] - prefix[i + 1]) / after_words if after_words else 0.0)]
        parent = parent_votes[block.parent]
        own = [column[i] for column in columns]
        agreement = 1.0 - (max(own) - min(own))
        text = block.text
        around_chars = char_prefix[high] - char_prefix[low] - len(text)
        around_links = link_prefix[high] - link_prefix[low] - block.link_chars
        container = block.container
        flags = container_flags.get(container)
        if flags is None:
            flags = container_flags[container] = [1.0 if pattern.search(container) else 0.0
                                                  for pattern in CONTAINER_WORDS.values()]
        rows.append([
            *own, *around, *sides, *parent, *page_share,
            agreement,
            math.log1p(sizes[i]),
            block.link_chars / len(text) if text else 0.0,
            1.0 if SENTENCE_END.search(text) else 0.0,
            min(text.count(","), 10) / 10,
            i / count,
            math.log1p(block.depth),
            *TAG_COLUMNS[tag_group(block)],
            1.0 if block.in_heading else 0.0,
            1.0 if block.in_list else 0.0,
            *flags,
            math.log1p(around_words / (high - low - 1 or 1)),
            around_links / around_chars if around_chars > 0 else 0.0,
        ])
    return rows
