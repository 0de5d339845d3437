"""Coverage of one event: distinct stories whose salient terms (the names they repeat) overlap.
Each story's canonical text (its site's template removed) gives a small set of its most frequent
names, less the names of the corpus's sites; sets are MinHash'd and LSH proposes pairs. A pair
is related when it shares MIN_SHARED_TERMS names and their rarity-weighted Jaccard reaches the
threshold: a name many stories use ("US", "Apple", "November") weighs little. Stories join an
event by average linkage, so one shared name cannot chain unrelated stories through a third.
Explainable: an event's members share the names listed for them."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from storysift.corpus.minhash import Signer
from storysift.corpus.options import DEFAULT_EVENT_THRESHOLD  # defined with the stage's other options
from storysift.corpus.shingles import word_hashes
from storysift.corpus.stories import UnionFind, lsh_candidates, stable_id

# A word (names are the capitalised ones: OpenAI, Wall, AI). Figures are matched as tokens of
# their own but are not terms: shared years and counts joined unrelated devset stories.
TOKEN = re.compile(r"\d[\d.,]*\d|[^\W\d_][\w'’-]*")
INSIDE = re.compile(r"(?<=[\w,] )[^\W\d_][\w'’-]*")
# Endings dropped from a name: a word holds no newline, so this is what the regex ['’]s$ drops.
POSSESSIVE = ("'s", "’s")
# "I'm", "I'd", "I've", "I'll": capitalised inside sentences and never in lower case, but no
# name: two first-person blog posts shared them as if they were (bench/stories.py's events).
FIRST_PERSON = ("I'", "I’")
# The most frequent names of a story; on the seeds the 20 most frequent hold the companies,
# people and products of the event, and deeper in the list come one-off names.
MAX_TERMS = 20
# A name must occur this often in the story to be salient (one mention is incidental).
MIN_TERM_COUNT = 2
# Two stories of one event share at least this many names, of which MIN_RARE_SHARED are rare: in
# at most RARE_SHARE of the corpus's stories (or RARE_STORIES, for a small corpus).
MIN_SHARED_TERMS = 2
MIN_RARE_SHARED = 2
RARE_SHARE = 0.05
RARE_STORIES = 5
# A story joins an event when it is related to at least this share of the event's stories (and
# two events join when this share of their pairs is related): average linkage, not a chain.
LINKAGE = 0.5
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
            if len(name) > 1 and name.lower() not in lowered and not name.startswith(FIRST_PERSON):
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


# Labels of a host that name no site ("www.bbc.co.uk" is named by "bbc").
HOST_LABELS = frozenset({"www", "com", "org", "net", "edu", "gov", "co", "uk", "de", "fr", "io", "info", "news",
                         "blog", "blogs", "online", "m", "amp", "en"})


def site_names(sites: set[str]) -> list[str]:
    """The names the corpus's sites go by, as terms: each label of their hosts ("nytimes",
    "bbc"), whose mentions (a credit line, "Reuters") say nothing of the event."""
    return sorted({label for site in sites if not site.startswith("~")
                   for label in site.replace("-", ".").split(".") if len(label) > 2 and label not in HOST_LABELS})


def term_hashes(terms: list[str]) -> np.ndarray:
    """A story's terms as their 64-bit hashes, which `group_events` takes in place of the
    strings: 8 bytes a term instead of ~60 (20 terms a story, for every story of the corpus)."""
    return word_hashes(terms)


def group_events(terms: dict[str, list[str] | np.ndarray], threshold: float = DEFAULT_EVENT_THRESHOLD,
                 ignored: list[str] | np.ndarray = ()) -> dict[str, str]:
    """Story id to event id, from each story's terms or their `term_hashes` (the same events,
    but for two terms of one pair of stories with equal 64-bit hashes); terms in `ignored` (the
    sites' names) do not count. Events are named after their smallest story id, so an event's
    id depends on its members only."""
    ignore = set(word_hashes(list(ignored)).tolist() if len(ignored) and isinstance(ignored[0], str)
                 else np.asarray(ignored, dtype=np.uint64).tolist())
    ids = sorted(terms)
    sets: list[set[int]] = []
    for story in ids:
        held = terms[story]
        hashed = held if isinstance(held, np.ndarray) else word_hashes(list(held))
        sets.append(set(hashed.tolist()) - ignore)
    frequency = Counter(term for held in sets for term in held)
    weight = {term: math.log(1 + len(ids) / n) for term, n in frequency.items()}
    rare = max(RARE_STORIES, RARE_SHARE * len(ids))
    related: dict[int, set[int]] = {i: set() for i in range(len(ids))}
    usable = [i for i in range(len(ids)) if len(sets[i]) >= MIN_TERMS]
    edges: list[tuple[float, int, int]] = []
    if len(usable) > 1:
        signer = Signer(EVENT_NUM_PERM)
        folded = [np.unique((np.array(sorted(sets[i]), dtype=np.uint64) >> np.uint64(32)).astype(np.uint32))
                  for i in usable]
        rows = dict(zip(usable, signer.sign(folded)))
        for a, b in lsh_candidates(signer, rows, threshold):
            shared = sets[a] & sets[b]
            similarity = weighted_overlap(sets[a], sets[b], weight)
            if len(shared) >= MIN_SHARED_TERMS and sum(frequency[t] <= rare for t in shared) >= MIN_RARE_SHARED \
                    and similarity >= threshold:
                related[a].add(b)
                related[b].add(a)
                edges.append((similarity, a, b))
    union = UnionFind(range(len(ids)))
    members = {i: [i] for i in range(len(ids))}
    for _, a, b in sorted(edges, key=lambda edge: (-edge[0], edge[1], edge[2])):
        ra, rb = union.find(a), union.find(b)
        if ra == rb:
            continue
        linked = sum(1 for x in members[ra] for y in members[rb] if y in related[x])
        if linked >= LINKAGE * len(members[ra]) * len(members[rb]):
            union.union(ra, rb)
            root = union.find(ra)
            members[root] = members.pop(ra if root == rb else rb) + members[root]
    events = {}
    for root, group in union.groups().items():
        event = stable_id("e-", ids[root])
        for member in group:
            events[ids[member]] = event
    return events


def weighted_overlap(a: set[int], b: set[int], weight: dict[int, float]) -> float:
    """The weight of the shared names over that of the story with less: a short story whose
    names all recur in a longer report of the event scores 1."""
    shared = sum(weight[t] for t in a & b)
    return shared / min(sum(weight[t] for t in a), sum(weight[t] for t in b)) if shared else 0.0
