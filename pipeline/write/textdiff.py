"""report.html's story browser: how a copy's text differs from its story's canonical text, as the
changed lines (paragraphs) only, a line changed one for one shown word by word; the equal lines
are counted, not repeated."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

# A copy's differences are cut after this many characters (a copy that is another text altogether
# would repeat both texts); each changed line after LINE_CHARS.
MAX_DIFF_CHARS = 2000
LINE_CHARS = 400
# Lines changed one for one are shown word by word while each side has at most this many (a
# rewritten passage reads better as lines out and lines in) and they share at least half their words.
WORD_DIFF_LINES = 3
WORD_DIFF_MIN_RATIO = 0.5


def text_diff(canonical: str, copy: str) -> dict[str, Any]:
    """{"same": equal lines, "hunks": [["-", line] | ["+", line] | ["~", [[op, words]...]]], "cut": bool}:
    "-" a canonical line the copy lacks, "+" a line only the copy has, "~" a line changed in
    place with its words marked "=", "-" or "+"."""
    old = [line for line in canonical.split("\n") if line.strip()]
    new = [line for line in copy.split("\n") if line.strip()]
    hunks: list[list[Any]] = []
    same = chars = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            same += i2 - i1
            continue
        if tag == "replace" and i2 - i1 == j2 - j1 <= WORD_DIFF_LINES:
            changes = []
            for a, b in zip(old[i1:i2], new[j1:j2]):
                words = word_diff(a, b)
                changes += [["~", words]] if words else [["-", _cut(a)], ["+", _cut(b)]]
        else:
            changes = [["-", _cut(line)] for line in old[i1:i2]] + [["+", _cut(line)] for line in new[j1:j2]]
        for change in changes:
            hunks.append(change)
            chars += sum(len(text) for _, text in change[1]) if change[0] == "~" else len(change[1])
            if chars > MAX_DIFF_CHARS:
                return {"same": same, "hunks": hunks, "cut": True}
    return {"same": same, "hunks": hunks, "cut": False}


def word_diff(old: str, new: str) -> list[list[str]] | None:
    """The line's words as runs kept ("="), removed ("-") and added ("+"); None when the two
    lines share too few words for that to read better than the whole lines."""
    a, b = old.split(" "), new.split(" ")
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < WORD_DIFF_MIN_RATIO:
        return None
    runs: list[list[str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(["=", _cut(" ".join(a[i1:i2]))])
            continue
        if i2 > i1:
            runs.append(["-", _cut(" ".join(a[i1:i2]))])
        if j2 > j1:
            runs.append(["+", _cut(" ".join(b[j1:j2]))])
    return runs


def _cut(text: str) -> str:
    return text if len(text) <= LINE_CHARS else text[:LINE_CHARS] + " [...]"
