"""Consensus extraction, the HTML stage's choice of the blocks that are the page's main content.
trafilatura and resiliparse vote on every page; readability-lxml only where the two disagree
(or both keep the whole page).
Each voter's text is mapped back onto the blocks (clean/alignment.py), and the consensus model
(clean/model.py) decides per block from the votes and the block's own features
(clean/features.py). Every dropped block is recorded under `extract.boilerplate` with the votes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from storysift.clean.alignment import coverage
from storysift.clean.blocks import Block
from storysift.clean.features import VOTER_NAMES, feature_rows
from storysift.clean.model import load_model
from storysift.clean.voters import VOTERS

RULE_ID = "extract.boilerplate"
# readability-lxml costs more than the two others together (bench/train_consensus.py prints
# each voter's ms a page), and where trafilatura and resiliparse agree on this share of the
# page's words it changes little: it runs only below it. The same gate is applied when the
# model is trained, so it learns the votes as they are given.
AGREEMENT_FOR_TWO = 0.9
# Where trafilatura and resiliparse both keep this share of the page's words they have not found
# a main content but kept the page (an old table-layout page: menu column, story, ad column),
# and readability votes too.
WHOLE_PAGE = 0.9
# Without a block the model trusts this much, a page keeps the blocks within this share of its
# most likely one: an empty output scores nothing, a short video caption something.
FALLBACK_SHARE = 0.5


@dataclass
class Consensus:
    """The decision on a page's blocks, and what each voter said about them."""

    keep: list[bool]
    probability: list[float]
    votes: dict[str, list[float] | None]
    texts: dict[str, str] = field(default_factory=dict)  # each voter's own output
    seconds: dict[str, float] = field(default_factory=dict)  # each voter's time on this page

    def votes_of(self, index: int) -> str:
        """One block's votes, each voter's keep (1) or drop (0), "-" for one that did not run:
        "trafilatura=0 resiliparse=1 readability=-"."""
        return " ".join(f"{name}={'-' if self.votes[name] is None else int(self.votes[name][index] >= 0.5)}"
                        for name in VOTER_NAMES)


def agreement(blocks: Sequence[Block], first: list[float], second: list[float]) -> float:
    """The share of the page's words on whose blocks two voters agree (both keep or both drop)."""
    total = agreed = 0
    for block, a, b in zip(blocks, first, second):
        size = len(block.words)
        total += size
        if (a >= 0.5) == (b >= 0.5):
            agreed += size
    return agreed / total if total else 1.0


def needs_readability(blocks: Sequence[Block], votes: dict[str, list[float] | None]) -> bool:
    """readability votes where the two others disagree, or agree on keeping the whole page."""
    first, second = votes["trafilatura"], votes["resiliparse"]
    assert first is not None and second is not None
    if agreement(blocks, first, second) < AGREEMENT_FOR_TWO:
        return True
    total = sum(len(block.words) for block in blocks)
    kept = sum(len(block.words) for block, a, b in zip(blocks, first, second) if a >= 0.5 and b >= 0.5)
    return bool(total) and kept >= WHOLE_PAGE * total


def gated_votes(blocks: Sequence[Block], votes: dict[str, list[float] | None]) -> dict[str, list[float]]:
    """The votes the model reads: where readability did not run, the mean of the two others."""
    if votes.get("readability") is not None:
        return votes  # type: ignore[return-value]
    first, second = votes["trafilatura"], votes["resiliparse"]
    assert first is not None and second is not None
    return {**votes, "readability": [(a + b) / 2 for a, b in zip(first, second)]}


def decide(blocks: Sequence[Block], votes: dict[str, list[float] | None]) -> tuple[list[bool], list[float]]:
    """Keep a block every voter that ran keeps, and any other the model finds likely enough.
    Unanimity stands whatever the model says: on the dragnet CV, overruling it gained 0.0002
    of mean F1 (bench/train_consensus.py), and on a page unlike the training pages (a short
    fixture, a new kind of site) the trees alone dropped paragraphs all the voters kept."""
    model = load_model()
    probability = model.probabilities(feature_rows(blocks, gated_votes(blocks, votes)))
    columns = [column for column in votes.values() if column is not None]
    keep = [p >= model.threshold or all(column[i] >= 0.5 for column in columns)
            for i, p in enumerate(probability)]
    if probability and not any(keep):
        best = max(probability)
        keep = [p >= best * FALLBACK_SHARE for p in probability]
    return keep, probability


def run_voters(blocks: Sequence[Block], page: HtmlElement, html: str, url: str | None) -> Consensus:
    """Run the voters the page needs and decide on its blocks."""
    words = [block.words for block in blocks]
    votes: dict[str, list[float] | None] = {name: None for name in VOTER_NAMES}
    texts: dict[str, str] = {}
    seconds: dict[str, float] = {}

    def vote(name: str) -> None:
        start = time.perf_counter()
        texts[name] = VOTERS[name](page, html, url)
        seconds[name] = time.perf_counter() - start
        votes[name] = coverage(words, texts[name])

    vote("trafilatura")
    vote("resiliparse")
    if needs_readability(blocks, votes):
        vote("readability")
    keep, probability = decide(blocks, votes)
    return Consensus(keep, probability, votes, texts, seconds)
