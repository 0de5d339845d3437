"""Bag-of-token scores of an output against a reference, as ../shared/devset-dragnet/README.md
defines them: lower-cased `\\w+` tokens, the multiset overlap, precision, recall and F1. Used by
every bench that scores text (extraction, the two trainers, the stories' titles)."""

from __future__ import annotations

import re
from collections import Counter

TOKEN = re.compile(r"\w+")


def token_score(text: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of `text`'s tokens against `gold`'s (all 0.0 when none is shared)."""
    output, reference = Counter(TOKEN.findall(text.lower())), Counter(TOKEN.findall(gold.lower()))
    shared = sum((output & reference).values())
    if not shared:
        return 0.0, 0.0, 0.0
    p, r = shared / sum(output.values()), shared / sum(reference.values())
    return p, r, 2 * p * r / (p + r)
