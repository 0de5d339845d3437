"""Site templates, the corpus stage's first cleaning step: a line that stands on two or more
distinct pages of one site is that site's template (headers, menus, footers, prompts, the
items of a rotating "more stories" list), and is removed from every page of the site as
`site.template`, with its line span and the site, before stories are formed. A site needs
MIN_SITE_PAGES distinct pages before its lines are counted; smaller sites keep what the
single-page rules left, and the report says so per site.

Two passes over the clean records: `SiteTemplates.count` counts each page's line keys (its text
and what cleaning removed from it, as `page_entry` gives them), then the `TemplateView` worker
processes are given takes the template lines out of each text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from storysift.clean.normalize import join_paragraphs
from storysift.corpus.keycounts import SpilledCounts
from storysift.corpus.shingles import TextLines, _fmix64
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


NO_KEYS = np.empty(0, dtype=np.uint64)


def sorted_keys(parts: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(parts)) if parts else NO_KEYS


def sorted_holds(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which `values` the sorted array `ordered` holds: a binary search each. np.isin sorted (or
    hashed) the whole template again for every page, which made the site step quadratic."""
    at = np.searchsorted(ordered, values)
    return ordered[np.minimum(at, len(ordered) - 1)] == values


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


def page_entry(site: str, keys: np.ndarray, paragraphs: np.ndarray,
               title: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """What `SiteTemplates.count` takes of one page of `site`: the digest that tells a page
    from another address of it (its paragraphs, `TextLines.long_keys`, or else all its lines), its
    distinct line keys (`keys`: of every line, kept or removed) and its title's line key (`title`:
    none or one), made specific to the site. Pure: worker processes compute it
    (pipeline/corpus/batches.py)."""
    distinct = np.unique(keys[keys != 0])
    same = paragraphs if len(paragraphs) else distinct
    digest = hashlib.blake2b(site.encode("utf-8") + b"\0" + same.tobytes(), digest_size=16).digest()
    return digest, site_keys(site, distinct), site_keys(site, title[title != 0])


@dataclass
class SiteTemplates:
    """Line keys counted per site over its distinct pages: a page whose paragraphs are all
    those of another page of its site (a recrawl, another address of one page; its dates and
    counters may differ) counts once. The keys wait on disk (keycounts.py) until `finish`."""

    work_dir: Path | None = None  # where the page keys wait; None: a temporary folder
    stats: dict[str, SiteStats] = field(default_factory=dict)
    _codes: dict[str, int] = field(default_factory=dict)
    _counts: SpilledCounts | None = None
    _titles: SpilledCounts | None = None
    _seen: set[bytes] = field(default_factory=set)
    view: TemplateView = field(default_factory=lambda: TemplateView(NO_KEYS, NO_KEYS, frozenset()))

    def count(self, site: str, digest: bytes, keys: np.ndarray, title: np.ndarray) -> None:
        """One page of `site`, as `page_entry` gives it."""
        stats = self.stats.setdefault(site, SiteStats())
        stats.pages += 1
        if digest not in self._seen:
            self._seen.add(digest)
            stats.distinct_pages += 1
            if self._counts is None:
                self._counts = SpilledCounts(self.work_dir)
                self._titles = SpilledCounts(self.work_dir)
            code = self._codes.setdefault(site, len(self._codes))
            self._counts.add(code, keys)
            self._titles.add(code, title)

    def finish(self) -> None:
        """Count every line key over each site's distinct pages and keep those on MIN_PAGES of
        them as template, and the titles MIN_PAGES of them carry as the site's own; the page keys
        are let go."""
        found: list[np.ndarray] = []
        site_titles: list[np.ndarray] = []
        qualifying = frozenset(site for site in self.stats if self.stats[site].distinct_pages >= MIN_SITE_PAGES)
        if self._counts is not None:
            names = sorted(self._codes, key=self._codes.get)
            wanted = np.array([name in qualifying for name in names], dtype=bool)
            for code, keys, _ in self._counts.at_least(MIN_PAGES, wanted):
                self.stats[names[code]].template_keys += len(keys)
                found.append(keys)
            site_titles = [keys for _, keys, _ in self._titles.at_least(MIN_PAGES, wanted)]
        self.close()
        self._seen = set()
        self.view = TemplateView(sorted_keys(found), sorted_keys(site_titles), qualifying)

    def close(self) -> None:
        """Let the page keys go (finish does, and a run that fails before it)."""
        for counts in (self._counts, self._titles):
            if counts is not None:
                counts.close()
        self._counts = self._titles = None

    def qualifies(self, site: str | None) -> bool:
        return self.view.qualifies(site)

    def counted(self, site: str | None, lines: int, words: int) -> None:
        """A page of `site` lost `lines` template lines holding `words` words."""
        if lines:
            stats = self.stats[site]
            stats.pages_changed += 1
            stats.lines_removed += lines
            stats.words_removed += words


class Stripped(NamedTuple):
    """A text without its site's template (`TemplateView.strip`)."""

    text: str
    removals: list[Removal]
    lines: int  # template lines taken
    words: int  # and their words
    kept: np.ndarray | None = None  # which of the text's lines stayed; None: all


@dataclass(frozen=True)
class TemplateView:
    """Every site's template as one sorted array of site-specific line keys, the titles two or
    more of its pages carry, and the sites that have enough pages for one: what removing
    templates needs, small enough to send once to each worker process."""

    template: np.ndarray
    site_title_keys: np.ndarray
    qualifying: frozenset[str]

    def qualifies(self, site: str | None) -> bool:
        return site is not None and site in self.qualifying

    def mask(self, site: str | None, keys: np.ndarray, template: np.ndarray | None = None) -> np.ndarray:
        """Which of a page's lines are its site's template (or of `template`, a part of it)."""
        template = self.template if template is None else template
        if not self.qualifies(site) or not len(template):
            return np.zeros(len(keys), dtype=bool)
        return sorted_holds(template, site_keys(site, keys)) & (keys != 0)

    def site_title(self, site: str | None, line_key: np.ndarray) -> bool:
        """Whether the title of `line_key` (`line_hashes`) is one that distinct pages of its site
        share: the site's own ("Skip to main content", its name), never a page's title. A headline
        that other pages list in their "more stories" lists is a template line and stays its own
        page's title: tested as a line on half its site's pages, it gave way on pages of
        ../shared/devset-dragnet (`python bench/extraction.py --sets dragnet`, the "storysift run
        +title" row) and of the syndication corpus's most listed story (`python bench/stories.py`)."""
        return bool(self.mask(site, line_key, self.site_title_keys).any())

    def strip(self, site: str | None, text: str, page: TextLines | None = None,
              own: np.ndarray | None = None) -> Stripped:
        """The text without its site's template lines, a removal per run of them (a blank line
        between two template lines is in their run), how many lines and words went, and which
        lines stayed; `page`: the text's TextLines, when known; `own`: the line key of the page's
        title, whose line stays: other pages list a story's headline in their "more stories"
        lists, which makes it a template line, and on its own page it is the headline."""
        if not self.qualifies(site):
            return Stripped(text, [], 0, 0)
        page = page or TextLines(text, words=False)
        marked = self.mask(site, page.keys)
        if own is not None:
            marked &= page.keys != own[0]
        if not marked.any():
            return Stripped(text, [], 0, 0)
        lines = text.split("\n")
        bridged = np.zeros_like(marked)
        bridged[1:-1] = (page.tokens[1:-1] == 0) & marked[:-2] & marked[2:]
        edges = np.diff(np.concatenate(([False], marked | bridged, [False])).astype(np.int8))
        removals = [Removal(RULE_ID, "\n".join(compress(lines[start:end], marked[start:end].tolist())), (start + 1, end))
                    for start, end in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist())]
        kept = ~marked
        return Stripped(join_paragraphs(list(compress(lines, kept.tolist()))), removals, int(marked.sum()),
                        int(page.tokens[marked].sum()), kept)
