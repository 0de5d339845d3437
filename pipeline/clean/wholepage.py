"""Detectors for a whole page saved as text (html-text, a browser's "save as text", a scraper's
.txt): the page's <title> line, lists the rendering flattened into one line, and the line
classifier that removes what the text rules left of menus, link lists, footers and comments.
They run on text documents only, after the text rules, and like them return the lines they
remove (`textrules.apply_text_rules` runs them)."""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from storysift.clean.detectors import CLOSING_QUOTES, Hit, capitalised_share, group_marked, words
from storysift.clean.normalize import MAX_PATTERN_LINE
from storysift.ruleset.load import Rule

TOKEN = re.compile(r"\w+")
SENTENCE_END = (".", ";", ",")
HEADLINE_MAX_WORDS = 20
# A menu's first item ("Home", "Log in") is short too: the classifier keeps a first line as the
# headline only from this many words (a shorter headline is left to the model).
HEADLINE_MIN_WORDS = 4
# A line repeats the <title> when every word of it is in the title and it holds this share of
# the title's words (text.title's `min_similarity` by default).
REPEAT_SHARE = 0.5
# A headline shown twice stands again within this many lines, and the two show the same words but
# for this share of the longer.
SHOWN_AGAIN_WITHIN = 3
SAME_HEADLINE_SHARE = 0.8
# A sentence ends where one of these follows a word (a quote or bracket may close it first).
SENTENCE_STOP = re.compile(rf"\w[.!?][{re.escape(CLOSING_QUOTES)}]?(?:\s|$)")
# The share of a line's words starting with a letter whose letter has a case, for its case to tell.
CASED_SHARE = 0.8
# A list's item is a Title Case line: navigation.headline-list's `min_title_ratio` (rules/navigation.yaml).
LIST_ITEM_TITLE_RATIO = 0.6


def word_set(line: str) -> set[str]:
    return {t.lower() for t in TOKEN.findall(line)}


def reads_like_headline(line: str, min_words: int = 1) -> bool:
    """A line short enough for a headline (up to HEADLINE_MAX_WORDS words) that ends no sentence."""
    return min_words <= len(line.split()) <= HEADLINE_MAX_WORDS and not line.endswith(SENTENCE_END + (":",))


def repeat_of_first(lines: list[str], live: list[int], share: float = REPEAT_SHARE) -> int | None:
    """The first live line that repeats the page's first line: every word of it in the first
    line, and at least `share` of that line's words. The headline is the <title> without the
    site's name; a line that only shares words ("Opening hours during exam season:" under
    "Library Extends Opening Hours for Exam Season") is no repeat of it."""
    first = next((i for i, line in enumerate(lines) if line), None)
    title = word_set(lines[first]) if first is not None else set()
    for i in live:
        words = word_set(lines[i]) if i != first and title else set()
        if words and words <= title and len(words) / len(title) >= share:
            return i
    return None


class Headlines(NamedTuple):
    """The lines of a whole page no structural text rule may take (`title_and_headline`)."""

    title_pair: frozenset[int]  # the page's first line and the line that repeats it: <title> and headline
    # The first headline shown twice above the prose: the line classifier leaves it too, and it is
    # the page's title when the first line is none or shorter than HEADLINE_MIN_WORDS words (a
    # site's name), or when the line repeating the first stands above it (in the site's header).
    shown: int | None

    def lines(self) -> set[int]:
        return set(self.title_pair) | ({self.shown} if self.shown is not None else set())

    def without(self, named: set[int]) -> Headlines:
        """These headlines but those a pattern rule names (a "Learn More" prompt is no headline)."""
        return Headlines(frozenset() if self.title_pair & named else self.title_pair,
                         None if self.shown in named else self.shown)

    def shown_is_title(self, title: str | None) -> bool:
        """Whether the headline shown twice is the page's title rather than `title`, the title
        rule's first line (see `shown`)."""
        return self.shown is not None and (len((title or "").split()) < HEADLINE_MIN_WORDS
                                           or max(self.title_pair, default=-1) < self.shown)


NO_HEADLINES = Headlines(frozenset(), None)


def title_and_headline(lines: list[str]) -> Headlines:
    """The lines no structural text rule may take: the page's first line and the first later
    line that repeats it (`repeat_of_first`), when the first reads like a headline of
    HEADLINE_MIN_WORDS words or more (the <title> and the headline), and the headline shown
    twice under a menu (`shown_twice`; the first line may be the site's name). Only before the
    first line of prose (over
    HEADLINE_MAX_WORDS words): a footer repeating the site's name comes after. A list rule saw a
    run of short Title Case lines in a short post's title, headline, byline and date, and the
    page lost its title and headline. `title_line` may then take the first line as the title."""
    live = [i for i, line in enumerate(lines) if line]
    if not live:
        return NO_HEADLINES
    prose = next((i for i in live if len(lines[i].split()) > HEADLINE_MAX_WORDS), len(lines))
    head = [i for i in live if i < prose]
    pair: frozenset[int] = frozenset()
    if reads_like_headline(lines[live[0]], HEADLINE_MIN_WORDS):
        repeat = repeat_of_first(lines, head)
        if repeat is not None:
            pair = frozenset((live[0], repeat))
    return Headlines(pair, shown_twice(lines, head))


def shown_twice(lines: list[str], head: list[int]) -> int | None:
    """The first of `head` (live lines above the prose) reading like a headline that one of the
    next SHOWN_AGAIN_WITHIN lines shows again (`same_headline`): a headline shown twice under a
    menu, a byline and a credit line between. A line shown more than twice (a column's name under
    each item of a list) or again past two items of a list (the site's name among the headlines
    of a "more stories" list) is no headline."""
    shows = Counter(lines[i] for i in head)
    for at, i in enumerate(head):
        if at == 0 or shows[lines[i]] > 2 or not reads_like_headline(lines[i], HEADLINE_MIN_WORDS):
            continue  # the first line shown again is the <title> (`title_line`)
        for gap, j in enumerate(head[at + 1:at + 1 + SHOWN_AGAIN_WITHIN]):
            between = [lines[k] for k in head[at + 1:at + 1 + gap]]
            if same_headline(lines[i], lines[j]) and sum(map(is_list_item, between)) < 2:
                return i
    return None


def is_list_item(line: str) -> bool:
    """A headline of a list: HEADLINE_MIN_WORDS words or more in Title Case."""
    return reads_like_headline(line, HEADLINE_MIN_WORDS) and capitalised_share(words(line)) >= LIST_ITEM_TITLE_RATIO


def same_headline(line: str, other: str) -> bool:
    """Whether two lines show one headline: the words of one are all in the other, and are most
    of its words (SAME_HEADLINE_SHARE): a copy may drop a word or add a comment count."""
    fewer, more = sorted((word_set(line), word_set(other)), key=len)
    return bool(fewer) and fewer <= more and len(fewer) >= SAME_HEADLINE_SHARE * len(more)


def title_line(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """The page's first line, when it is a headline that a later line repeats (`repeat_of_first`
    with the rule's `min_similarity`): a saved page starts with its <title> ("Storm hits coast |
    The Daily Times") and shows the headline again above the article. The first line goes to the
    document's title; the headline stays in the text, where the article starts."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or first not in live:
        return []
    title = lines[first]
    if len(title.split()) > rule.params["max_words"] or title.endswith(SENTENCE_END):
        return []
    if repeat_of_first(lines, live, rule.params["min_similarity"]) is None:
        return []
    return [Hit([first], {"title": title})]


def headline(lines: list[str], live: list[int]) -> int | None:
    """The page's headline, which the classifier leaves with the article: the live line that
    repeats the page's first line (its <title>, which `title_line` has taken), else the first
    live line when it reads like a headline of HEADLINE_MIN_WORDS words or more (an article cut
    out of its page starts with it)."""
    if not live:
        return None
    repeat = repeat_of_first(lines, live)
    if repeat is not None:
        return repeat
    return live[0] if reads_like_headline(lines[live[0]], HEADLINE_MIN_WORDS) else None


def classifier(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Live lines the line model (`linemodel.py`) gives a probability of article text below
    the page's threshold, in runs of consecutive removed lines; each hit's score is the
    highest probability among its lines (how near the run came to being kept). The page's
    threshold is the rule's `threshold`, or `relative` times the page's best line's
    probability when that is lower: on a page where the model is sure of no line (a short
    post among furniture), the lines nearly as likely as the best one stay too. The page's
    `headline` stays. A page is never emptied: when every live line is below the threshold,
    the most probable one stays."""
    # A line past MAX_PATTERN_LINE is never read by the model (nor removed): as with the patterns,
    # one huge line would keep the page past --timeout.
    view = [line if len(line) <= MAX_PATTERN_LINE else "" for line in lines]
    live = [i for i in live if view[i]]
    if not live:
        return []
    from storysift.clean.linemodel import BUNDLED, cached_model  # numpy and the model: text pages only

    model = cached_model(rule.params["model"] or str(BUNDLED))
    index, probability = model.probabilities(view)
    score = dict(zip(index, probability.tolist()))
    threshold = min(rule.params["threshold"], rule.params["relative"] * max(score[i] for i in live))
    marked = [score[i] < threshold for i in live]
    if all(marked):
        marked[max(range(len(live)), key=lambda k: score[live[k]])] = False
    own = headline(lines, live)
    if own is not None:
        marked[live.index(own)] = False
    hits = group_marked(live, marked)
    for hit in hits:
        hit.score = round(max(score[i] for i in hit.indices), 3)
    return hits


def is_flattened_list(line: str, min_words: int, max_lowercase_share: float, max_sentence_share: float) -> bool:
    """A long line that is a list run together: a page's rendering joins the options of a
    drop-down, an inline archive or a row of links into one line ("Select Month October 2012
    September 2012 ...", "Blog Archive 10/28/12 - 11/04/12 (11) ...", a run of other stories'
    headlines or tags). It has `min_words` words or more, ends hardly a sentence (at most
    `max_sentence_share` of its words end one), it has words that start with a letter (a row of
    bare figures is left to the classifier: a table's row may be article), these are in a
    script with case (Latin, Greek, Cyrillic: Chinese or Bengali says nothing by case), and at
    most `max_lowercase_share` of them start in lower case: prose has its articles, prepositions
    and verbs in lower case, in German too, where every noun is capitalised."""
    tokens = line.split()
    if len(tokens) < min_words or len(SENTENCE_STOP.findall(line)) > max_sentence_share * len(tokens):
        return False
    firsts = [next((c for c in t if c.isalnum()), "") for t in tokens]  # past an opening quote or bracket
    lettered = [c for c in firsts if c.isalpha()]
    lower = sum(1 for c in lettered if c.islower())
    cased = lower + sum(1 for c in lettered if c.isupper())
    return bool(lettered) and cased >= CASED_SHARE * len(lettered) and lower <= max_lowercase_share * len(lettered)


def list_line(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """Live lines that are flattened lists (`is_flattened_list`), in runs."""
    params = rule.params
    return group_marked(live, [is_flattened_list(lines[i], params["min_words"], params["max_lowercase_share"],
                                                 params["max_sentence_share"]) for i in live])


PAGE_DETECTORS = {"title_line": title_line, "list_line": list_line, "classifier": classifier}
