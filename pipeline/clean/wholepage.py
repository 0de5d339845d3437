"""Detectors for a whole page saved as text (html-text, a browser's "save as text", a scraper's
.txt): the page's <title> line, and the line classifier that removes what the text rules left
of menus, link lists, footers and comments. They run on text documents only, after the text
rules, and like them return the lines they remove (`textrules.apply_text_rules` runs them)."""

from __future__ import annotations

import re

from storysift.clean.detectors import Hit, group_marked
from storysift.clean.normalize import MAX_PATTERN_LINE
from storysift.ruleset.load import Rule

TOKEN = re.compile(r"\w+")
SENTENCE_END = (".", ";", ",")
# A menu's first item ("Home", "Log in") is short too: a headline of fewer words is left to the model.
HEADLINE_MIN_WORDS, HEADLINE_MAX_WORDS = 4, 20


def word_set(line: str) -> set[str]:
    return {t.lower() for t in TOKEN.findall(line)}


def title_line(rule: Rule, lines: list[str], live: list[int], matched: set[int]) -> list[Hit]:
    """The page's first line, when it is a headline that a later line repeats (every word of
    the later line in it, and at least `min_similarity` of its words): a saved page starts with its <title> ("Storm hits
    coast | The Daily Times") and shows the headline again above the article. The first line
    goes to the document's title; the headline stays in the text, where the article starts."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or first not in live:
        return []
    title = lines[first]
    if len(title.split()) > rule.params["max_words"] or title.endswith(SENTENCE_END):
        return []
    words = word_set(title)
    for i in live:
        if i != first and words:
            other = word_set(lines[i])
            # The headline is the <title> without the site's name: every word of it in the title.
            # A line that only shares words ("Opening hours during exam season:" under "Library
            # Extends Opening Hours for Exam Season") is no repeat of it.
            if other and other <= words and len(other) / len(words) >= rule.params["min_similarity"]:
                return [Hit([first], {"title": title})]
    return []


def headline(lines: list[str], live: list[int]) -> int | None:
    """The page's headline, which the classifier leaves with the article: the live line that
    repeats the page's first line (its <title>, which `title_line` has taken), else the first
    live line when it reads like a headline, 4 to 20 words with no closing stop (an article cut
    out of its page starts with it)."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or not live:
        return None
    title = word_set(lines[first])
    for i in live:
        words = word_set(lines[i])
        if i != first and words and words <= title and 2 * len(words) >= len(title):
            return i
    top = lines[live[0]]
    reads_like_one = HEADLINE_MIN_WORDS <= len(top.split()) <= HEADLINE_MAX_WORDS and not top.endswith(SENTENCE_END + (":",))
    return live[0] if reads_like_one else None


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


PAGE_DETECTORS = {"title_line": title_line, "classifier": classifier}
