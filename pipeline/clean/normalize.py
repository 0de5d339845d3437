"""Canonical text: the line-level normalisation applied before the text rules read a line,
and the document-level one applied to what they keep."""

from __future__ import annotations

import re
import unicodedata

# Lines longer than this are never given to a pattern (clean/textrules.py) nor to the line
# model (clean/wholepage.py): RE2 cannot be stopped inside one call,
# and --timeout is checked between calls. RE2 is linear, but a legal pattern whose automaton
# outgrows its memory falls back to about 10 µs a character (a[ab ]{30}b[ab ]{30}c on random
# text): a 15 MB line took 14.5 s at --timeout 1; a line at this cap takes at most ~0.1 s. On
# the devset the longest line the rules removed has 2,983 characters, and one of the 17,971
# lines they saw is longer than the cap (21,727: a paragraph, kept). Such lines are counted in
# the report (pattern_line_limit).
MAX_PATTERN_LINE = 10_000
# [text](url) and ![alt](url); the url part may hold one level of parentheses (wiki links).
MARKDOWN_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"]*\")?\)")
INNER_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
INVISIBLE = re.compile(r"[\x00\u200b-\u200d\u2060\ufeff\u00ad]")


def normalize_line(line: str, links: list[str] | None = None) -> str:
    """One line in canonical form: NFC, no indentation, single spaces, links as their text.
    URLs of converted links are appended to `links` when given."""
    line = unicodedata.normalize("NFC", line)
    line = INVISIBLE.sub("", line)
    if "](" in line:
        def keep_text(match: re.Match[str]) -> str:
            if links is not None and match.group(2):
                links.append(match.group(2))
            return match.group(1)

        # Until none is left: an image inside a link ([![alt](img)](url), a badge) is a link
        # again once the image is replaced, and a second cleaning must not change the line.
        while True:
            converted = MARKDOWN_LINK.sub(keep_text, line)
            if converted == line:
                break
            line = converted
    return INNER_SPACE.sub(" ", line).strip()


def join_paragraphs(lines: list[str], positions: list[int] | None = None) -> str:
    """Join kept lines, collapsing runs of blank lines into one and trimming the ends;
    `positions`, when given, gets each line's index in the result (a non-blank line's is
    always in it)."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
            if positions is not None:
                positions.append(len(out) - 1)
        elif positions is not None:
            positions.append(-1)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
