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


def is_data_line(line: str) -> bool:
    """A list item that states a quantity or a fact rather than a headline: it starts with a
    digit ("250 g Mehl", "1. Dorothea Wierer", "1957–1959 Erster Bauabschnitt") or is a short
    "Label: value" pair ("Laufzeit: drei Jahre", "Termin: 29.02.2020, 19 Uhr"). Recipes, spec
    sheets and results tables are such lists, and in German every noun is capitalised, so they
    pass for Title Case. A headline's colon is followed by a longer phrase."""
    if line[:1].isdigit():
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
    if is_data_line(line):
        return False
    significant = [t for t in tokens if len(t) > 3 and t[0].isalpha()]
    if not significant:
        return False
    capitalised = sum(1 for t in significant if t[0].isupper())
    return capitalised / len(significant) >= min_title_ratio


def is_name_like(line: str) -> bool:
    """Two to four capitalised words with no digits or punctuation but hyphens and
    apostrophes: how a person's name stands on a line of its own."""
    tokens = words(line)
    return 2 <= len(tokens) <= 4 and all(
        t[0].isupper() and all(c.isalpha() or c in "-'’." for c in t) for t in tokens
    )


def repeated_block(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Every window of `min_lines` consecutive live lines that occurs `min_repeats` or more
    times in the document marks its lines; adjacent marked lines form one removed block."""
    size, repeats = rule.params["min_lines"], rule.params["min_repeats"]
    keys = [lines[i].casefold() for i in live]
    windows = Counter(tuple(keys[p:p + size]) for p in range(len(keys) - size + 1))
    marked = [False] * len(live)
    for p in range(len(keys) - size + 1):
        if windows[tuple(keys[p:p + size])] >= repeats:
            marked[p:p + size] = [True] * size
    return group_marked(live, marked)


def headline_list(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Runs of `min_lines` or more title-like lines: lists of other stories' headlines.
    A single heading between paragraphs, or a list of full sentences, is not a run."""
    params = rule.params
    marked = [is_title_like(lines[i], params["max_words"], params["min_title_ratio"]) for i in live]
    return [hit for hit in group_marked(live, marked) if len(hit.indices) >= params["min_lines"]]


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
