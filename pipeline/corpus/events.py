"""Coverage of one event: distinct stories whose salient terms (the names they repeat) overlap.
Each story's canonical text gives a small set of its most frequent names; sets are MinHash'd,
candidates come from LSH and are verified on the exact Jaccard of the sets, and union-find
joins stories into events. Explainable: an event's members share the names listed for it."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from storysift.corpus.minhash import Signer
from storysift.corpus.shingles import word_hashes
from storysift.corpus.stories import UnionFind, lsh_candidates, stable_id

# A word (names are the capitalised ones: OpenAI, Wall, AI). Figures are matched as tokens of
# their own but are not terms: shared years and counts joined unrelated devset stories.
TOKEN = re.compile(r"\d[\d.,]*\d|[^\W\d_][\w'’-]*")
INSIDE = re.compile(r"(?<=[\w,] )[^\W\d_][\w'’-]*")
# Endings dropped from a name: a word holds no newline, so this is what the regex ['’]s$ drops.
POSSESSIVE = ("'s", "’s")
# The most frequent names of a story; on the seeds the 20 most frequent hold the companies,
# people and products of the event, and deeper in the list come one-off names.
MAX_TERMS = 20
# A name must occur this often in the story to be salient (one mention is incidental).
MIN_TERM_COUNT = 2
# Seeds (five articles on one event): pairwise Jaccard of the name sets 0.20..1.0, joined into
# one event. Devset (607 pages, 604 distinct stories, unrelated but for a few): at 0.2 four
# pairs join: one event (two Brexit vote reports), two of one topic (German car finance, the
# 2020 Democratic primary) and one spurious (Docker and Python install guides, at 0.20).
DEFAULT_EVENT_THRESHOLD = 0.2
# A story with fewer salient names than this (a recipe, a how-to) is an event of its own.
MIN_TERMS = 3
EVENT_NUM_PERM = 64


def salient_terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The story's most frequent names, casefolded. A capitalised word is a name
    only if it is capitalised somewhere inside a sentence (after a word or a comma) and never
    written in lower case, so "The", "However" and "According" are not names."""
    counts = Counter(TOKEN.findall(text))  # distinct words, not every occurrence, go through Python
    lowered = {word for word in counts if word.islower()}
    names = {}  # capitalised word -> (its name, casefolded), when never written in lower case
    for word in counts:
        if word[0].isupper():
            name = word[:-2] if word.endswith(POSSESSIVE) else word
            if len(name) > 1 and name.lower() not in lowered:
                names[word] = (name, name.casefold())
    terms: Counter[str] = Counter()
    for word, (_, folded) in names.items():
        terms[folded] += counts[word]
    if all(n < MIN_TERM_COUNT for n in terms.values()):
        return []  # none could be salient: the second scan (half the time) is not needed
    inside = {word[:-2] if word.endswith(POSSESSIVE) else word for word in set(INSIDE.findall(text)) if word[0].isupper()}
    terms = Counter()
    for word, (name, folded) in names.items():
        if name in inside:
            terms[folded] += counts[word]
    ranked = sorted((t for t, n in terms.items() if n >= MIN_TERM_COUNT), key=lambda t: (-terms[t], t))
    return ranked[:limit]


def term_jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def term_hashes(terms: list[str]) -> np.ndarray:
    """A story's terms as their 64-bit hashes, which `group_events` takes in place of the
    strings: 8 bytes a term instead of ~60 (20 terms a story, for every story of the corpus)."""
    return word_hashes(terms)


def group_events(terms: dict[str, list[str] | np.ndarray], threshold: float = DEFAULT_EVENT_THRESHOLD) -> dict[str, str]:
    """Story id to event id, from each story's terms or their `term_hashes` (the same events,
    but for two terms of one pair of stories with equal 64-bit hashes). Events are named after
    their smallest story id, so an event's id depends on its members only."""
    def hashes(story: str) -> np.ndarray:
        held = terms[story]
        return held if isinstance(held, np.ndarray) else word_hashes(held)

    def comparable(story: str) -> list:
        held = terms[story]
        return held.tolist() if isinstance(held, np.ndarray) else held

    ids = sorted(terms)
    index = {story: i for i, story in enumerate(ids)}
    union = UnionFind(range(len(ids)))
    usable = [i for i, story in enumerate(ids) if len(terms[story]) >= MIN_TERMS]
    if len(usable) > 1:
        signer = Signer(EVENT_NUM_PERM)
        sets = [np.unique((hashes(ids[i]) >> np.uint64(32)).astype(np.uint32)) for i in usable]
        rows = dict(zip(usable, signer.sign(sets)))
        for a, b in lsh_candidates(signer, rows, threshold):
            if union.find(a) != union.find(b) and term_jaccard(comparable(ids[a]), comparable(ids[b])) >= threshold:
                union.union(a, b)
    events = {}
    for root, members in union.groups().items():
        event = stable_id("e-", ids[root])
        for member in members:
            events[ids[member]] = event
    assert set(events) == set(index)
    return events
