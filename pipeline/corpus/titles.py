"""A document's title in the corpus stage: the title cleaning found stands unless other stories
of its site carry it too ("Skip to main content", the site's name), or it is markup, a file name,
a byline or a date stamp; then the first headline-like line of the text without the template
takes its place. A story takes its canonical member's title, else the one most of its copies
carry."""

from __future__ import annotations

import re

from storysift.clean.page import title_from_text
from storysift.corpus.events import CALENDAR

# Not a title: markup, an address, a file name, or no letter at all.
NOT_A_TITLE = re.compile(r"<[a-zA-Z/!][^>]*>|^\s*(?:https?://|www\.)\S+\s*$|^[\w.-]+\.(?:txt|html?|jsonl?|xml|php|aspx?)\s*$", re.I)
LETTER = re.compile(r"[^\W\d_]")
# Nor a byline ("By SIMON JOHNSON, online.wsj.com"; "By the numbers" is a headline) or a date
# stamp ("July 23, 2012, 7:28 p.m. ET"), which scraped pages often print above the headline:
# taken for a title, they joined pages of different stories by their headline.
BYLINE = re.compile(r"^\s*(?i:by|written by|posted by)\s+(?=[^\W\d_])(?!\w*[a-z]\w*\s+[a-z])")
WORD = re.compile(r"\w+")
DATE_WORDS = CALENDAR | frozenset("a p m am pm et est edt ct cst cdt pt pst pdt gmt utc bst cet cest updated "
                                   "published posted last on at of".split())
# The headline is among the first lines of a text whose site's header is gone (a kicker or a
# date may stand above it).
HEADLINE_LINES = 3


def usable_title(title: object) -> bool:
    return (isinstance(title, str) and bool(LETTER.search(title)) and not NOT_A_TITLE.search(title)
            and not BYLINE.search(title) and not date_stamp(title))


def date_stamp(line: str) -> bool:
    """A line of a date and time and nothing else."""
    words = WORD.findall(line.casefold())
    return any(w.isdigit() for w in words) and all(w.isdigit() or w in DATE_WORDS for w in words)


def corpus_title(title: object, site_title: bool, text: str) -> str | None:
    """The document's title: `title` unless it is no title or `site_title` (the title of other
    stories of its site too), else the first line of `text` when it reads like a headline."""
    if usable_title(title) and not site_title:
        return title.strip()
    for line in [line for line in text.split("\n") if line.strip()][:HEADLINE_LINES]:
        headline = title_from_text(line)
        if usable_title(headline) and len(headline.split()) >= 2:
            return headline
    return None


def story_title(titles: list[str]) -> str | None:
    """The title most copies carry (ties: the first, members being in order of similarity)."""
    if not titles:
        return None
    counts = {title: titles.count(title) for title in titles}
    return max(titles, key=lambda title: counts[title])
