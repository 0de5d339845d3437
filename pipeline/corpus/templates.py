"""Site templates, the corpus stage's first cleaning step: a line that stands on two or more
distinct pages of one site is that site's template (headers, menus, footers, prompts, the
items of a rotating "more stories" list), and is removed from every page of the site as
`site.template`, with its line span and the site, before stories are formed. A site needs
MIN_SITE_PAGES distinct pages before its lines are counted; smaller sites keep what the
single-page rules left, and the report says so per site.

Two passes over the clean records: `SiteTemplates.add` counts each page's line keys (its text
and what cleaning removed from it), then `strip` takes the template lines out of each text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storysift.clean.normalize import join_paragraphs
from storysift.corpus.shingles import _fmix64, line_hashes
from storysift.document import Removal

RULE_ID = "site.template"
# Distinct pages a site needs before a line seen on two of them is its template: with two, a
# line they share may be a quote both stories carry; on ../shared/devcorpus-syndication every
# site has at least 7 (`python bench/stories.py` prints the template figures per rendition).
MIN_SITE_PAGES = 3
# A line stands on this many distinct pages of its site to be template. The items of a rotating
# "more stories" list that a page alone shows stay: taking whole runs of short lines that were
# mostly template took more article than furniture (`python bench/stories.py`: txt+url junk
# 1.6 -> 1.3 %, articles lost 2.7 -> 3.4 %; html stories F1 0.933 -> 0.910, teasers emptied).
MIN_PAGES = 2


def site_salt(site: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(site.encode("utf-8"), digest_size=8).digest(), "little"))


def site_keys(site: str, keys: np.ndarray) -> np.ndarray:
    """Line keys made specific to one site, so that one sorted array holds every site's."""
    with np.errstate(over="ignore"):
        return _fmix64(keys ^ site_salt(site))


@dataclass
class SiteStats:
    pages: int = 0
    distinct_pages: int = 0
    template_keys: int = 0
    pages_changed: int = 0
    lines_removed: int = 0
    words_removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        qualifies = self.distinct_pages >= MIN_SITE_PAGES
        return {"pages": self.pages, "distinct_pages": self.distinct_pages, "template_lines": self.template_keys,
                "pages_changed": self.pages_changed, "lines_removed": self.lines_removed,
                "words_removed": self.words_removed,
                **({} if qualifies else {"note": f"fewer than {MIN_SITE_PAGES} distinct pages: generic rules only"})}


@dataclass
class SiteTemplates:
    """Line keys counted per site over its distinct pages: a page whose paragraphs are all
    those of another page of its site (a recrawl, another address of one page; its dates and
    counters may differ) counts once."""

    stats: dict[str, SiteStats] = field(default_factory=dict)
    _pages: dict[str, list[np.ndarray]] = field(default_factory=dict)
    _seen: set[bytes] = field(default_factory=set)
    template: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))

    def add(self, site: str | None, keys: np.ndarray, paragraphs: np.ndarray) -> None:
        """One page of `site`: the keys of all its lines, kept or removed, and of its paragraphs
        (`long_line_keys`)."""
        if site is None:
            return
        stats = self.stats.setdefault(site, SiteStats())
        stats.pages += 1
        distinct = np.unique(keys[keys != 0])
        same = paragraphs if len(paragraphs) else distinct
        digest = hashlib.blake2b(site.encode("utf-8") + b"\0" + same.tobytes(), digest_size=16).digest()
        if digest not in self._seen:
            self._seen.add(digest)
            stats.distinct_pages += 1
            self._pages.setdefault(site, []).append(site_keys(site, distinct))

    def finish(self) -> None:
        """Count every line key over each site's distinct pages and keep those on MIN_PAGES of
        them as template; the page keys are let go."""
        found: list[np.ndarray] = []
        for site in sorted(self._pages):
            if self.qualifies(site):
                keys, counts = np.unique(np.concatenate(self._pages[site]), return_counts=True)
                found.append(keys[counts >= MIN_PAGES])
                self.stats[site].template_keys = len(found[-1])
        self._pages, self._seen = {}, set()
        self.template = np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.uint64)

    def qualifies(self, site: str | None) -> bool:
        return site is not None and site in self.stats and self.stats[site].distinct_pages >= MIN_SITE_PAGES

    def mask(self, site: str | None, keys: np.ndarray) -> np.ndarray:
        """Which of a page's lines are its site's template."""
        if not self.qualifies(site) or not len(self.template):
            return np.zeros(len(keys), dtype=bool)
        return np.isin(site_keys(site, keys), self.template) & (keys != 0)

    def holds(self, site: str | None, line: str) -> bool:
        """Whether `line` is a line of the site's template."""
        return bool(self.mask(site, line_hashes(line.replace("\n", " "))).any())

    def strip(self, site: str | None, text: str) -> tuple[str, list[Removal]]:
        """The text without its site's template lines, and a removal per run of them."""
        if not self.qualifies(site):
            return text, []
        lines = text.split("\n")
        keys = line_hashes(text)
        marked = self.mask(site, keys)
        if not marked.any():
            return text, []
        removals: list[Removal] = []
        start = None
        for i in range(len(lines) + 1):
            inside = i < len(lines) and (marked[i] or (start is not None and not lines[i].strip()
                                                        and i + 1 < len(lines) and marked[i + 1]))
            if inside and start is None:
                start = i
            elif not inside and start is not None:
                removals.append(Removal(RULE_ID, "\n".join(l for l in lines[start:i] if l.strip()), (start + 1, i)))
                start = None
        stats = self.stats[site]
        stats.pages_changed += 1
        stats.lines_removed += int(marked.sum())
        stats.words_removed += sum(len(lines[i].split()) for i in np.flatnonzero(marked).tolist())
        kept = [line for line, drop in zip(lines, marked.tolist()) if not drop]
        return join_paragraphs(kept), removals
