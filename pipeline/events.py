"""Coverage of one event: distinct stories whose salient terms (the names they repeat) overlap.
Each story's canonical text gives a small set of its most frequent names; sets are MinHash'd,
candidates come from LSH and are verified on the exact Jaccard of the sets, and union-find
joins stories into events. Explainable: an event's members share the names listed for it."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from pipeline.minhash import Signer
from pipeline.shingles import word_hashes
from pipeline.stories import UnionFind, lsh_candidates, stable_id

# A word (names are the capitalised ones: OpenAI, Wall, AI). Figures are matched as tokens of
# their own but are not terms: shared years and counts joined unrelated devset stories.
TOKEN = re.compile(r"\d[\d.,]*\d|[^\W\d_][\w'’-]*")
INSIDE = re.compile(r"(?<=[\w,] )[^\W\d_][\w'’-]*")
POSSESSIVE = re.compile(r"['’]s$")
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
    tokens = TOKEN.findall(text)
    lowered = set(filter(str.islower, tokens))
    inside = {POSSESSIVE.sub("", word) for word in INSIDE.findall(text) if word[0].isupper()}
    terms: Counter[str] = Counter()
    for word, count in Counter(tokens).items():
        if word[0].isupper():
            name = POSSESSIVE.sub("", word)
            if len(name) > 1 and name in inside and name.lower() not in lowered:
                terms[name.casefold()] += count
    ranked = sorted((t for t, n in terms.items() if n >= MIN_TERM_COUNT), key=lambda t: (-terms[t], t))
    return ranked[:limit]


def term_jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def group_events(terms: dict[str, list[str]], threshold: float = DEFAULT_EVENT_THRESHOLD) -> dict[str, str]:
    """Story id to event id. Events are named after their smallest story id, so an event's id
    depends on its members only."""
    ids = sorted(terms)
    index = {story: i for i, story in enumerate(ids)}
    union = UnionFind(range(len(ids)))
    usable = [i for i, story in enumerate(ids) if len(terms[story]) >= MIN_TERMS]
    if len(usable) > 1:
        signer = Signer(EVENT_NUM_PERM)
        sets = [np.unique((word_hashes(terms[ids[i]]) >> np.uint64(32)).astype(np.uint32)) for i in usable]
        rows = dict(zip(usable, signer.sign(sets)))
        for a, b in lsh_candidates(signer, rows, threshold):
            if union.find(a) != union.find(b) and term_jaccard(terms[ids[a]], terms[ids[b]]) >= threshold:
                union.union(a, b)
    events = {}
    for root, members in union.groups().items():
        event = stable_id("e-", ids[root])
        for member in members:
            events[ids[member]] = event
    assert set(events) == set(index)
    return events
