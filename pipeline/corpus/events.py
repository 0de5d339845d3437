"""Coverage of one event: distinct stories whose salient terms (the names they repeat) overlap.
Each story's canonical text (its site's template removed) gives a small set of its most frequent
names (a name of several words counts once, by its last words; months and weekdays are no names),
less the names of the corpus's sites, and marks those its lead holds; sets are MinHash'd and LSH
proposes pairs. A pair is related when it shares MIN_RARE_SHARED rare names, one of them in both
leads, and their rarity-weighted overlap reaches the threshold: a name many stories use ("US",
"Apple") weighs little. Stories join an event by average linkage, so one shared name cannot
chain unrelated stories through a third. Explainable: an event's members share the names listed
for them."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection

import numpy as np

from storysift.corpus.minhash import Signer
from storysift.corpus.options import DEFAULT_EVENT_THRESHOLD  # defined with the stage's other options
from storysift.corpus.shingles import word_hashes
from storysift.corpus.stories import lsh_candidates, stable_id

# A word (names are the capitalised ones: OpenAI, Wall, AI). Figures are matched as tokens of
# their own but are not terms: shared years and counts joined unrelated devset stories.
TOKEN = re.compile(r"\d[\d.,]*\d|[^\W\d_][\w'’-]*")
INSIDE = re.compile(r"(?<=[\w,] )[^\W\d_][\w'’-]*")
# Endings dropped from a name: a word holds no newline, so this is what the regex ['’]s$ drops.
POSSESSIVE = ("'s", "’s")
# "I'm", "I'd", "I've", "I'll": capitalised inside sentences and never in lower case, but no
# name: two first-person blog posts shared them as if they were (bench/stories.py's events).
FIRST_PERSON = ("I'", "I’")
# A word and the next, both maybe names ("Las Vegas", "Mr. Romney"; a word in ASCII lower case
# is never the first). A word FOLD_SHARE of whose occurrences come right before a name is the
# first part of a longer name, which then counts once: "Las Vegas", "Wall Street", "Barack
# Obama" were two shared names each, and made most of the unrelated pairs of bench/stories.py's
# events.
NAME_PAIR = re.compile(r"(?<![\w'’-])([^\W\d_a-z][\w'’-]*)\.? (?=([^\W\d_a-z][\w'’-]*))")
FOLD_SHARE = 0.8
# The headline and lead of a story: the first LEAD_WORDS words. Stories of one event name its
# people and places there; stories that share names only further down share a topic, a byline
# or a related-stories list. From 120 to 200 words the events `python bench/stories.py --events`
# prints are the same; at 60 a page whose text opens with left-over furniture loses its lead.
LEAD_WORDS = 120
LEAD_BIT = np.uint64(1 << 63)  # of a term's hash: the name is in the story's lead
NAME_BITS = np.uint64((1 << 63) - 1)
# Months and weekdays: capitalised, never in lower case, and in every dated story (datelines,
# archive lists): they joined unrelated stories of bench/stories.py's corpus.
CALENDAR = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"})
# The most frequent names of a story; on the seeds the 20 most frequent hold the companies,
# people and products of the event, and deeper in the list come one-off names.
MAX_TERMS = 20
# A name must occur this often in the story to be salient (one mention is incidental).
MIN_TERM_COUNT = 2
# Two stories of one event share at least this many names, of which MIN_RARE_SHARED are rare (in
# at most RARE_SHARE of the corpus's stories, or RARE_STORIES, for a small corpus) and
# MIN_LEAD_SHARED rare and in both leads. Two rare names were a topic as often as an event
# ("Microsoft" and "Windows", "HIV" and "AIDS", "Vegas" and a blogger's husband): with three,
# `python bench/stories.py --events` joins 1 unrelated pair of true stories on each rendition,
# against 5, 11 and 7 with two.
MIN_SHARED_TERMS = 2
MIN_RARE_SHARED = 3
MIN_LEAD_SHARED = 1
RARE_SHARE = 0.05
RARE_STORIES = 5
# A story joins an event when it is related to at least this share of the event's stories (and
# two events join when this share of their pairs is related): average linkage, not a chain.
LINKAGE = 0.5
# A story with fewer salient names than this (a recipe, a how-to) is an event of its own.
MIN_TERMS = 3
EVENT_NUM_PERM = 64
# Candidate pairs checked in one numpy pass: some 50 bytes for each name of the story with fewer
# (at most MAX_TERMS), so at most about 50 MB a pass.
PAIRS_PER_PASS = 50_000
# Related pairs join events from the most similar down; similarities equal to this many digits are
# ties, taken in story order, whatever order the sums of their weights were taken in.
SIMILARITY_DIGITS = 9


def salient_terms(text: str, limit: int = MAX_TERMS) -> Names:
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
        return Names([])  # none could be salient: the second scan (half the time) is not needed
    inside = {word[:-2] if word.endswith(POSSESSIVE) else word for word in set(INSIDE.findall(text)) if word[0].isupper()}
    folded_of = {word: folded for word, (name, folded) in names.items() if name in inside}
    parts = first_parts(text, folded_of, counts)
    terms = Counter()
    for word, folded in folded_of.items():
        if folded not in CALENDAR and word not in parts:
            terms[folded] += counts[word]
    ranked = sorted((t for t, n in terms.items() if n >= MIN_TERM_COUNT), key=lambda t: (-terms[t], t))[:limit]
    lead_words = TOKEN.findall(" ".join(text.split(maxsplit=LEAD_WORDS)[:LEAD_WORDS]))
    return Names(ranked, lead=frozenset({folded_of[word] for word in lead_words if word in folded_of} & set(ranked)))


def first_parts(text: str, folded_of: dict[str, str], counts: Counter) -> set[str]:
    """Words that are the first part of a longer name ("Amelia" of "Amelia Earhart", "Las" of
    "Las Vegas", "Mr"): FOLD_SHARE of their occurrences are right before a name. The name they
    begin counts once, by the words after them."""
    followers: dict[str, Counter] = {}
    for first, second in NAME_PAIR.findall(text):
        if first in folded_of and second in folded_of:
            followers.setdefault(first, Counter())[folded_of[second]] += 1
    return {word for word, after in followers.items()
            if after.total() >= FOLD_SHARE * counts[word] and folded_of[word] not in after}


class Names(list):
    """A story's salient names, most frequent first, and `lead`: those of them its first
    LEAD_WORDS words hold (the headline and the lead of a story)."""

    def __init__(self, names: list[str], lead: frozenset[str] = frozenset()) -> None:
        super().__init__(names)
        self.lead = lead


# Labels of a host that name no site ("www.bbc.co.uk" is named by "bbc").
HOST_LABELS = frozenset({"www", "com", "org", "net", "edu", "gov", "co", "uk", "de", "fr", "io", "info", "news",
                         "blog", "blogs", "online", "m", "amp", "en"})


def site_names(sites: set[str]) -> list[str]:
    """The names the corpus's sites go by, as terms: each label of their hosts ("nytimes",
    "bbc"), whose mentions (a credit line, "Reuters") say nothing of the event."""
    return sorted({label for site in sites if not site.startswith("~")
                   for label in site.replace("-", ".").split(".") if len(label) > 2 and label not in HOST_LABELS})


def term_hashes(terms: list[str], lead: Collection[str] | None = None) -> np.ndarray:
    """A story's terms as their 64-bit hashes, which `group_events` takes in place of the
    strings: 8 bytes a term instead of ~60 (20 terms a story, for every story of the corpus).
    The top bit says whether the term is in the story's `lead` (None: the terms' own `Names.lead`,
    and for plain terms all are)."""
    hashes = word_hashes(list(terms)) & NAME_BITS
    lead = getattr(terms, "lead", None) if lead is None else lead
    if lead is None:
        return hashes | LEAD_BIT
    return np.where(np.array([term in lead for term in terms], dtype=bool), hashes | LEAD_BIT, hashes)


def group_events(terms: dict[str, list[str] | np.ndarray], threshold: float = DEFAULT_EVENT_THRESHOLD,
                 ignored: list[str] | np.ndarray = ()) -> dict[str, str]:
    """Story id to event id, from each story's terms or their `term_hashes` (the same events,
    but for two terms of one pair of stories with equal 64-bit hashes); terms in `ignored` (the
    sites' names) do not count. Events are named after their smallest story id, so an event's
    id depends on its members only."""
    ignore = set(((word_hashes(list(ignored)) if len(ignored) and isinstance(ignored[0], str)
                   else np.asarray(ignored, dtype=np.uint64)) & NAME_BITS).tolist())
    ids = sorted(terms)
    sets: list[set[int]] = []
    leads: list[set[int]] = []
    for story in ids:
        hashed = terms[story]
        if not isinstance(hashed, np.ndarray):
            hashed = term_hashes(hashed)
        sets.append(set((hashed & NAME_BITS).tolist()) - ignore)
        leads.append(set((hashed[(hashed & LEAD_BIT) > 0] & NAME_BITS).tolist()) - ignore)
    frequency = Counter(term for held in sets for term in held)
    weight = {term: math.log(1 + len(ids) / n) for term, n in frequency.items()}
    rare = max(RARE_STORIES, RARE_SHARE * len(ids))
    related: dict[int, set[int]] = {i: set() for i in range(len(ids))}
    usable = [i for i in range(len(ids)) if len(sets[i]) >= MIN_TERMS]
    edges: list[tuple[float, int, int]] = []
    if len(usable) > 1:
        signer = Signer(EVENT_NUM_PERM)
        folded = [np.array(sorted({term >> 32 for term in sets[i]}), dtype=np.uint32) for i in usable]
        left, right = lsh_candidates(signer, dict(zip(usable, signer.sign(folded))), threshold)
        table = NameTable(sets, leads, weight, {term for term, n in frequency.items() if n <= rare})
        for start in range(0, len(left), PAIRS_PER_PASS):
            a, b = left[start:start + PAIRS_PER_PASS], right[start:start + PAIRS_PER_PASS]
            similarity, passed = table.related(a, b, threshold)
            for value, x, y in zip(similarity[passed].tolist(), a[passed].tolist(), b[passed].tolist()):
                related[x].add(y)
                related[y].add(x)
                edges.append((round(value, SIMILARITY_DIGITS), x, y))
    # Each story's group so far, named by one of its members; a merge relabels the smaller group.
    group_of = list(range(len(ids)))
    members = {i: [i] for i in range(len(ids))}
    for _, a, b in sorted(edges, key=lambda edge: (-edge[0], edge[1], edge[2])):
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        small, large = (ga, gb) if len(members[ga]) <= len(members[gb]) else (gb, ga)
        linked = sum(1 for x in members[small] for y in related[x] if group_of[y] == large)
        if linked >= LINKAGE * len(members[small]) * len(members[large]):
            for x in members[small]:
                group_of[x] = large
            members[large] += members.pop(small)
    # An event is named after its smallest story (ids are sorted)
    names = {group: stable_id("e-", ids[min(group_members)]) for group, group_members in members.items()}
    return {story: names[group_of[i]] for i, story in enumerate(ids)}


class NameTable:
    """Every story's names, one after the other (each story's ascending), as indices into the
    corpus's names, with their weights, rarity and lead marks: `related` checks a candidate pair
    by looking the names of its story with fewer up among the other's, for many pairs in one
    numpy pass. Checked set by set in Python, the candidate pairs of bench/load.py's 100,000
    documents (over a million) took about half of the stage's time."""

    def __init__(self, sets: list[set[int]], leads: list[set[int]], weight: dict[int, float], rare: set[int]):
        names = sorted(weight)
        index = {term: i for i, term in enumerate(names)}
        rows = [sorted(index[term] for term in held) for held in sets]
        self.count = np.array([len(row) for row in rows], dtype=np.int64)
        self.start = np.cumsum(self.count) - self.count
        self.names = np.array([i for row in rows for i in row], dtype=np.int64)
        self.lead = np.array([names[i] in led for row, led in zip(rows, leads) for i in row], dtype=bool)
        # story * len(names) + name, ascending: a pair's look-up is one binary search
        self.keys = np.repeat(np.arange(len(rows), dtype=np.int64), self.count) * len(names) + self.names
        self.span = len(names)
        self.weight = np.array([weight[term] for term in names])
        self.rare = np.array([term in rare for term in names], dtype=bool)
        self.total = np.bincount(np.repeat(np.arange(len(rows)), self.count), weights=self.weight[self.names],
                                 minlength=len(rows))

    def related(self, a: np.ndarray, b: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """For the pairs (a[i], b[i]): their weighted overlap (the weight of the shared names over
        that of the story with less: a short story whose names all recur in a longer report of the
        event scores 1), and whether they are related: MIN_SHARED_TERMS shared names, of which
        MIN_RARE_SHARED rare and MIN_LEAD_SHARED rare and in both leads, and the overlap at the
        threshold."""
        swap = self.count[a] > self.count[b]
        fewer, other = np.where(swap, b, a), np.where(swap, a, b)
        pair = np.repeat(np.arange(len(a)), self.count[fewer])  # one entry per name of the story with fewer
        first_entry = np.cumsum(self.count[fewer]) - self.count[fewer]
        at = self.start[fewer][pair] + np.arange(len(pair)) - first_entry[pair]
        name = self.names[at]
        key = other[pair] * self.span + name
        found_at = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        shared = self.keys[found_at] == key
        rare = shared & self.rare[name]
        in_leads = rare & self.lead[at] & self.lead[found_at]
        common = np.bincount(pair, weights=np.where(shared, self.weight[name], 0.0), minlength=len(a))
        overlap = np.divide(common, np.minimum(self.total[a], self.total[b]), out=np.zeros(len(a)), where=common > 0)
        passed = ((np.bincount(pair, weights=shared, minlength=len(a)) >= MIN_SHARED_TERMS)
                  & (np.bincount(pair, weights=rare, minlength=len(a)) >= MIN_RARE_SHARED)
                  & (np.bincount(pair, weights=in_leads, minlength=len(a)) >= MIN_LEAD_SHARED)
                  & (overlap >= threshold))
        return overlap, passed
