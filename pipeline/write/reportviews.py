"""report.html's document views, chosen while cleaning streams past (a view needs the text the
line rules saw, which no output file holds): the first N documents, or N spread over the sites
(the first documents of each site, as many per site as N allows), plus any documents asked for
by id. Each view is the text the rules saw, every removed line marked with its rule."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from storysift.document import Document
from storysift.write.outputs import atomic_text, dumps, writing

# Documents with a side-by-side view. Each view carries its text twice (as the rules saw it and
# clean); a news page is 5-20 KB of text, so 100 views keep the page to a few MB.
DEFAULT_REPORT_DOCS = 100
# Characters of each side of one view; a longer document is cut there, and the view says so.
MAX_VIEW_CHARS = 50_000
SAMPLES = ("sites", "first")
NO_SITE = "(no site)"


def site_of(site: object, url: object) -> str:
    """The site a document belongs to in the report: its record's `site` field when it has one,
    else its URL's host (without www.), else NO_SITE."""
    if isinstance(site, str) and site:
        return site
    from storysift.clean.html import host_of  # the HTML stage: imported by who cleans, not by --help

    return (host_of(url) if isinstance(url, str) else None) or NO_SITE


class DocumentViews:
    """The views of the chosen documents, by input position.

    With `saved` (a file in the run's work folder) every choice, and every view given up for a
    document of a site with fewer, is logged with its input position, so a run resumed after
    input `resume_after` replays the choices made up to there and ends with the views an
    uninterrupted run chooses."""

    def __init__(self, limit: int = DEFAULT_REPORT_DOCS, saved: Path | None = None, resume_after: int = 0,
                 sample: str = "sites", ids: Iterable[str] = ()):
        if sample not in SAMPLES:
            raise ValueError(f"report sample must be one of {', '.join(SAMPLES)}, got {sample!r}")
        self.limit, self.sample, self.ids = limit, sample, set(ids)
        self.saved = saved
        self.chosen: dict[int, tuple[str, dict[str, Any]]] = {}  # position -> (site, view), counted ones
        self.asked: dict[int, dict[str, Any]] = {}  # position -> view, documents asked for by id
        self.per_site: Counter[str] = Counter()
        self._fullest: str | None = None  # the site with the most views (cached: asked of every document)
        if saved is None:
            return
        entries = _log(saved) if resume_after and saved.is_file() else []
        replayed = [entry for entry in entries if entry.get("position", resume_after + 1) <= resume_after]
        for entry in replayed:
            self._apply(entry)
        with atomic_text(saved) as stream:  # the state at `resume_after`, as a log of choices
            for position, view in sorted(self.asked.items()):
                stream.write(dumps({"position": position, "view": view, "asked": True}) + "\n")
            for position, (site, view) in sorted(self.chosen.items()):
                stream.write(dumps({"position": position, "site": site, "view": view}) + "\n")

    @property
    def views(self) -> list[dict[str, Any]]:
        """The chosen views in input order."""
        every = {**{p: view for p, (_, view) in self.chosen.items()}, **self.asked}
        return [every[position] for position in sorted(every)]

    def add(self, item: object, position: int = 0) -> None:
        if not isinstance(item, Document):
            return
        if item.id in self.ids:
            self._choose({"position": position, "view": view_of(item), "asked": True})
            return
        if self.limit == 0:
            return
        site = site_of(getattr(item, "site", None), item.url)
        if len(self.chosen) < self.limit:
            self._choose({"position": position, "site": site, "view": view_of(item)})
        elif self.sample == "sites":
            if self._fullest is None:
                self._fullest = max(self.per_site, key=lambda s: (self.per_site[s], reverse_key(s)))
            fullest = self._fullest
            if self.per_site[site] + 1 < self.per_site[fullest]:
                # The latest view of the site with the most gives way to this site's.
                given_up = max(p for p, (s, _) in self.chosen.items() if s == fullest)
                self._choose({"position": position, "drop": given_up})
                self._choose({"position": position, "site": site, "view": view_of(item)})

    def _choose(self, entry: dict[str, Any]) -> None:
        self._apply(entry)
        if self.saved is not None:
            with writing(self.saved), self.saved.open("a", encoding="utf-8") as stream:
                stream.write(dumps(entry) + "\n")

    def _apply(self, entry: dict[str, Any]) -> None:
        self._fullest = None
        if "drop" in entry:
            site, _ = self.chosen.pop(entry["drop"])
            self.per_site[site] -= 1
        elif entry.get("asked"):
            self.asked[entry["position"]] = entry["view"]
        else:
            self.chosen[entry["position"]] = (entry["site"], entry["view"])
            self.per_site[entry["site"]] += 1


def _log(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the last line of a killed run may be cut short
        if isinstance(entry, dict) and isinstance(entry.get("position"), int):
            entries.append(entry)
    return entries


def reverse_key(text: str) -> tuple[int, ...]:
    """A key that sorts strings backwards: on equal counts the smallest name wins `max`, and a
    min-heap keeps the smallest ids."""
    return tuple(-ord(c) for c in text)


def view_of(doc: Document) -> dict[str, Any]:
    """The original side of a document's view: the HTML elements removed before extraction and
    the lines the rules saw, in segments of consecutive lines kept or removed by one rule."""
    lines = doc.seen_text.split("\n") if doc.seen_text else []
    rule_of_line: list[str | None] = [None] * len(lines)
    for removal in doc.removed:
        if removal.lines is None:
            continue
        # As in `explain`: a span can hold a protected line the rule skipped; mark only the
        # lines the removal holds, and the blank lines between them (one block, one label).
        held = set(removal.text.split("\n")) | {""}
        for number in range(removal.lines[0], min(removal.lines[1], len(lines)) + 1):
            if lines[number - 1] in held and rule_of_line[number - 1] is None:
                rule_of_line[number - 1] = removal.rule
    segments: list[list[Any]] = []
    chars = 0
    truncated = False
    for line, rule in zip(lines, rule_of_line):
        if chars + len(line) > MAX_VIEW_CHARS:
            truncated = True
            break
        chars += len(line) + 1
        if segments and segments[-1][0] == rule:
            segments[-1][1] += "\n" + line
        else:
            segments.append([rule, line])
    elements = [[r.rule, cut(r.text, 2000)] for r in doc.removed if r.lines is None]
    return {"id": doc.id, "source": doc.source, "kind": doc.kind, "title": doc.title,
            "site": site_of(getattr(doc, "site", None), doc.url),
            "elements": elements, "segments": segments, "truncated": truncated}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"
