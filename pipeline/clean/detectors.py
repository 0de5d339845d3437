"""Structural detectors: furniture recognised by the shape of a run of lines rather than by
one line's words (headline lists, blocks repeated within a page, bylines, author bios,
trailers). Each detector reads the live lines of a document and returns the groups of line
indices to remove; their parameters come from the rule that names the detector."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from storysift.ruleset.load import Rule


@dataclass
class Hit:
    """Lines one rule removes as one piece, metadata it found there (author, date, title), and
    for a classifier the score it removed them with."""

    indices: list[int]
    meta: dict[str, str] = field(default_factory=dict)
    score: float | None = None


# `lines` are the normalised lines of the document; `live` the indices, in order, of the
# non-blank lines no earlier rule has removed (blank and removed lines are transparent);
# `matched` the indices of the lines the rule's pattern matches, when it has one.
Detector = Callable[[Rule, list[str], list[int], set[int]], list[Hit]]

POSSESSIVE = re.compile(r"['’]s$")
BULLET_PREFIX = ("- ", "* ", "• ", "· ", "– ", "— ")
SENTENCE_END = (".", ":", ";", ",", "…")
HEADING_NOT = (".", "!", "?")  # a line ending so is a sentence, never a trailer heading
CLOSING_QUOTES = "\"'”’»)]"


def is_sentence(line: str) -> bool:
    """Ends with a full stop, before any closing quote or bracket: 'It was closed.', '“Go.”'.
    Headlines end in "!" or "?" often ("44 Clean Jokes for Kids, by Kids!"), prose in "." ."""
    line = line.rstrip(CLOSING_QUOTES)
    return line.endswith(".") and not line.endswith("...")


def words(line: str) -> list[str]:
    return line.split()


def strip_bullet(line: str) -> str:
    for prefix in BULLET_PREFIX:
        if line.startswith(prefix):
            return line[len(prefix):]
    return line


# A month and a day at the start of a line: a date ("June 9 – Paris", "Sept. 14: Dallas"); a
# month and a year ("June 2012") is an archive link, not data.
DATE_START = re.compile(
    r"(?i)^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|"
    r"august|september|october|november|december|januar|februar|märz|juni|juli|oktober|dezember|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\.? \d{1,2}(?!\d)")
# A run of title-like lines is a data list, not other stories' headlines, when this share of its
# lines are keyed by a word and a number ("Section 2 Definitions", "June 9 – Paris") or name a person
# ("Lionel Messi (Inter Miami)", "Kylian Mbappé, forward"): a roster, a bill's sections, a cast.
DATA_RUN_SHARE = 0.6
# What follows a name in a roster line: a club, a role, a number.
AFTER_NAME = re.compile(r"\s*(?:[,(–—|]|\s-\s).*$")


def is_data_line(line: str) -> bool:
    """A list item that states a quantity or a fact rather than a headline: it starts with a
    digit ("250 g Mehl", "1. Dorothea Wierer", "1957–1959 Erster Bauabschnitt") or a date
    ("June 9 – Paris, Olympia"), or is a short "Label: value" pair ("Laufzeit: drei Jahre",
    "Termin: 29.02.2020, 19 Uhr"). Recipes, spec sheets, tour dates and results tables are such
    lists, and in German every noun is capitalised, so they pass for Title Case. A headline's
    colon is followed by a longer phrase."""
    if line[:1].isdigit() or DATE_START.match(line):
        return True
    label, colon, value = line.partition(":")
    rest = value.split()
    return bool(colon and rest) and len(label.split()) <= 3 and (len(rest) <= 4 or rest[0][:1].isdigit())


def is_title_like(line: str, max_words: int, min_title_ratio: float) -> bool:
    """A short line in Title Case without sentence punctuation: a headline, a heading, a
    name. Words of three letters or fewer (of, the, in, a) do not count either way."""
    line = strip_bullet(line)
    tokens = words(line)
    if not 2 <= len(tokens) <= max_words or line.endswith(SENTENCE_END) or "|" in line:
        return False
    return not is_data_line(line) and capitalised_share(tokens) >= min_title_ratio


def capitalised_share(tokens: list[str]) -> float:
    """The share of words over three letters that start with a capital (0 when there are none)."""
    significant = [t for t in tokens if len(t) > 3 and t[0].isalpha()]
    return sum(1 for t in significant if t[0].isupper()) / len(significant) if significant else 0.0


def is_name_like(line: str) -> bool:
    """Two to four capitalised words with no digits or punctuation but hyphens and
    apostrophes: how a person's name stands on a line of its own."""
    tokens = words(line)
    return 2 <= len(tokens) <= 4 and all(
        t[0].isupper() and all(c.isalpha() or c in "-'’." for c in t) for t in tokens
    )


def repeated_block(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Every window of `min_lines` consecutive live lines that occurs `min_repeats` or more
    times in the document marks its lines. A window seen fewer than `injected_repeats` times
    keeps its first copy: the page said it once and showed it again (a pull quote repeating a
    paragraph, a table shown twice). One seen that often was injected between paragraphs (an
    ad or promo template): every copy goes. Adjacent marked lines form one removed block."""
    size, repeats, injected = rule.params["min_lines"], rule.params["min_repeats"], rule.params["injected_repeats"]
    keys = [lines[i].casefold() for i in live]
    windows = Counter(tuple(keys[p:p + size]) for p in range(len(keys) - size + 1))
    marked = [False] * len(live)
    seen: set[tuple[str, ...]] = set()
    for p in range(len(keys) - size + 1):
        window = tuple(keys[p:p + size])
        if windows[window] >= repeats:
            if window in seen or windows[window] >= injected:
                marked[p:p + size] = [True] * size
            seen.add(window)
    return group_marked(live, marked)


def is_data_run(run: list[str]) -> bool:
    """Most lines of the run are keyed by a word and a number ("June 9", "Section 2", "Day 3")
    or name a person: a list of data (dates, sections, players), whose lines are alike by
    design. Headlines that merely start alike ("The ...", "Watch: ...") are other stories."""
    items = [strip_bullet(line) for line in run]
    keyed = sum(len(words := item.split()) > 1 and words[1][:1].isdigit() for item in items)
    if keyed >= DATA_RUN_SHARE * len(items):
        return True
    return sum(is_person_item(item) for item in items) >= DATA_RUN_SHARE * len(items)


def is_person_item(item: str) -> bool:
    """A roster line: a name followed by a club, role or number ("Jude Bellingham (Real Madrid)",
    "Kylian Mbappé, forward"). A name alone is not enough: sidebars list authors and tags of
    names, and on the dragnet pages rendered to text, counting bare names as data kept such
    lists and cost 0.010 of mean F1 (measured with the text rules alone on a third of the pages)."""
    lead = AFTER_NAME.sub("", item)
    return lead != item and is_name_like(lead)


def headline_list(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Runs of `min_lines` or more title-like lines: lists of other stories' headlines.
    A single heading between paragraphs, a list of full sentences, or a list of data (dates,
    names, numbered sections) is not such a run."""
    params = rule.params
    marked = [is_title_like(lines[i], params["max_words"], params["min_title_ratio"]) for i in live]
    return [hit for hit in group_marked(live, marked)
            if len(hit.indices) >= params["min_lines"] and not is_data_run([lines[i] for i in hit.indices])]


def byline(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """A byline label line ("Edited By", "Last updated:") and the short name and role lines
    that follow it. A name after a label becomes the document's author."""
    params = rule.params
    hits: list[Hit] = []
    position = 0
    while position < len(live):
        if live[position] not in matched:
            position += 1
            continue
        taken = [live[position]]
        match = rule.regex.search(lines[live[position]])  # again, for its named groups
        groups = match.groupdict() if match else {}
        meta = {k: v.strip() for k, v in groups.items() if v and v.strip()}
        following = 0
        position += 1
        while position < len(live) and following < params["max_following"]:
            line = lines[live[position]]
            if live[position] in matched:
                following = 0
            elif len(words(line)) <= params["max_words"] and not line.endswith(SENTENCE_END) and line[:1].isupper():
                following += 1
                if "author" not in meta and is_name_like(line):
                    meta["author"] = line
            else:
                break
            taken.append(live[position])
            position += 1
        hits.append(Hit(taken, meta))
    return hits


def author_bio(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """A name line (possibly repeated) directly followed by a short paragraph about that
    person: the paragraph starts with the name's first word and matches the rule's pattern."""
    hits: list[Hit] = []
    for position in range(1, len(live)):
        bio = lines[live[position]]
        if len(words(bio)) > rule.params["max_words"]:
            continue
        if live[position] not in matched:
            continue
        start = position
        while start > 0 and is_name_like(lines[live[start - 1]]):
            start -= 1
        if start == position:
            continue
        name = lines[live[position - 1]]
        if POSSESSIVE.sub("", words(bio)[0]) != words(name)[0]:
            continue
        hits.append(Hit([live[p] for p in range(start, position + 1)], {"author": name}))
    return hits


def trailer(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """A trailer heading ("Recent News", "Recommended Tools") in the last part of the page
    that is followed only by short lines that are not sentences (links, headlines, labels):
    the heading and all that follows are furniture. A section heading ("More Trouble Ahead")
    followed by short closing paragraphs is content."""
    params = rule.params
    first_allowed = int(len(live) * (1 - params["tail_share"]))
    for position in range(max(first_allowed, 1), len(live)):
        line = lines[live[position]]
        # A heading, not a sentence: "More to follow." or "Other councils disagree." can end an article.
        if line.endswith(HEADING_NOT) or live[position] not in matched:
            continue
        if all(len(words(lines[i])) <= params["max_words"] and not is_sentence(lines[i]) for i in live[position + 1:]):
            return [Hit(live[position:])]
    return []


def group_marked(live: list[int], marked: list[bool]) -> list[Hit]:
    hits: list[Hit] = []
    current: list[int] = []
    for index, flag in zip(live, marked):
        if flag:
            current.append(index)
        elif current:
            hits.append(Hit(current))
            current = []
    if current:
        hits.append(Hit(current))
    return hits


STRUCTURAL_DETECTORS: dict[str, Detector] = {
    "repeated_block": repeated_block,
    "headline_list": headline_list,
    "byline": byline,
    "author_bio": author_bio,
    "trailer": trailer,
}
