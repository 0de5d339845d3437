"""The fate of each block of an HTML page, and the page's own headline and byline among the
kept ones: the headline (a block equal or near-equal to the page's title) goes to `title` and
the byline or dateline under it to `author`/`date`, each removed from the text under its own
rule id (`extract.title`, `extract.byline`), as a block the consensus dropped is under
`extract.boilerplate`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storysift.clean.alignment import words
from storysift.clean.blocks import Block
from storysift.clean.consensus import RULE_ID as BOILERPLATE_RULE_ID
from storysift.document import Removal

TITLE_RULE = "extract.title"
BYLINE_RULE = "extract.byline"
# The headline is searched among the first kept blocks only: further down, a block equal to the
# title is a teaser or a "related" link to the page itself.
HEADLINE_WITHIN = 5
# Near-equal: the block holds this share of the title's words and the title this share of the
# block's ("Ferry Timetable Approved" against "Ferry Timetable Approved | The Courier").
HEADLINE_OVERLAP = 0.8
MIN_SITE_SUFFIX_WORDS = 2  # a title needs this many words for a headline to be a part of it
# A byline or dateline is a short block right around the headline.
BYLINE_WITHIN = 3
BYLINE_MAX_WORDS = 12
BY = re.compile(r"(?i)^(by|von|par|por|di|door)\s+\S")
MONTH_OR_NUMERIC_DATE = re.compile(
    r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b"
    r"|\b\d{1,2}\.?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mär|mai|okt|dez)[a-zä]*\.?\s+\d{4}\b")


@dataclass
class BlockFate:
    """A block of the page after pruning: its text, the rule that removed it (None: kept) and,
    for a block the consensus dropped, the voters' votes and the model's probability."""

    rule: str | None
    text: str
    votes: str = ""
    probability: float | None = None


def kept_positions(view: list[BlockFate]) -> list[int]:
    return [i for i, fate in enumerate(view) if fate.rule is None]


def is_headline(block: list[str], title: list[str]) -> bool:
    if not block or not title:
        return False
    if block == title:
        return True
    shared = sum(1 for word in set(block) if word in set(title))
    if shared >= HEADLINE_OVERLAP * len(set(block)) and shared >= HEADLINE_OVERLAP * len(set(title)):
        return True
    # "Headline | Site", "Site - Headline": the block is the title's first or last part.
    return len(title) > len(block) >= MIN_SITE_SUFFIX_WORDS and (title[:len(block)] == block or
                                                                  title[-len(block):] == block)


def mark_headline(blocks: list[Block], view: list[BlockFate], title: str | None) -> str | None:
    """Mark the page's own headline among the first kept blocks; return the title to record,
    the headline's own text when found (it carries no site name)."""
    if not title:
        return title
    title_words = words(title)
    for position in kept_positions(view)[:HEADLINE_WITHIN]:
        if is_headline(blocks[position].words, title_words):
            view[position].rule = TITLE_RULE
            return blocks[position].text
    return title


def is_byline(block: Block, author: str | None, date: str | None) -> bool:
    text = block.text
    if len(block.words) > BYLINE_MAX_WORDS or not block.words:
        return False
    if BY.match(text):
        return True
    if author and " ".join(words(author)) in " ".join(block.words):
        return True
    return bool(date) and MONTH_OR_NUMERIC_DATE.search(text) is not None and len(block.words) <= BYLINE_MAX_WORDS // 2 + 2


def mark_byline(blocks: list[Block], view: list[BlockFate], author: str | None, date: str | None) -> None:
    """Mark the byline and dateline blocks just around the headline, kept or dropped by the
    consensus (or at the top of the kept text, when no headline was found)."""
    headline = next((i for i, fate in enumerate(view) if fate.rule == TITLE_RULE), None)
    if headline is None:
        around = kept_positions(view)[:BYLINE_WITHIN]
    else:
        around = [*range(max(0, headline - 1), headline), *range(headline + 1, min(len(view), headline + 1 + BYLINE_WITHIN))]
    for position in around:
        if view[position].rule in (None, BOILERPLATE_RULE_ID) and is_byline(blocks[position], author, date):
            view[position] = BlockFate(BYLINE_RULE, view[position].text)


def removals_of(view: list[BlockFate]) -> list[Removal]:
    """One removal per run of neighbouring blocks removed by one rule with the same votes; a
    run of dropped blocks records its votes and its highest probability."""
    removals: list[Removal] = []
    run: list[BlockFate] = []

    def close() -> None:
        if run:
            votes = run[0].votes
            if run[0].probability is not None:
                votes = f"{votes} p<={max(f.probability or 0.0 for f in run):.2f}"
            removals.append(Removal(run[0].rule or "", "\n".join(f.text for f in run), votes=votes or None))
            run.clear()

    for fate in view:
        if fate.rule is None or run and (fate.rule, fate.votes) != (run[0].rule, run[0].votes):
            close()
        if fate.rule is not None:
            run.append(fate)
    close()
    return removals
