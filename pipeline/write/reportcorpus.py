"""report.html's figures from the run's output files, read a record at a time (never the corpus in
memory), every list cut to a fixed size so the page stays small whatever the corpus: per rule
what it removed (removals, documents, sites, a few samples), per site its pages and removals,
the stories (sizes; the largest listed, and for the largest of those the canonical text and how
each copy differs from it), the events with their stories, and the clean side of each view."""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterator

from storysift.corpus.templates import RULE_ID as TEMPLATE_RULE  # a site's template: the furniture every page repeats
from storysift.write.reportviews import MAX_VIEW_CHARS, cut, reverse_key, site_of
from storysift.write.textdiff import text_diff

# Stories listed (the largest first) and members listed per story; the charts count them all.
MAX_STORIES = 1000
MAX_MEMBERS = 50
# The largest stories carry their canonical text (cut at MAX_CANONICAL_CHARS) and the differences
# of their first copies from it: the bulk of the page, so fewer of them than stories listed.
MAX_STORY_TEXTS = 200
MAX_DIFFED_COPIES = 10
MAX_CANONICAL_CHARS = 4000
# Events listed (those with the most stories first), and stories listed per event.
MAX_EVENTS = 200
MAX_EVENT_STORIES = 30
# Sites listed (those with the most pages first), and rules named per site.
MAX_SITES = 300
TOP_RULES_PER_SITE = 5
# Samples of what each rule removed (from different sites first), each cut at SAMPLE_CHARS.
SAMPLES_PER_RULE = 3
SAMPLE_CHARS = 300
ELEMENT_TEXT_CHARS = 2000


def records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def stories_section(path: Path) -> dict[str, Any]:
    """Story sizes and stories per event over every story; the largest stories listed, the
    largest of them with their canonical text; the events with the most stories, each with its
    largest stories."""
    sizes: Counter[int] = Counter()
    per_event: Counter[str] = Counter()
    event_stories: dict[str, list[tuple[int, tuple[int, ...], list[Any]]]] = defaultdict(list)
    largest: list[tuple[int, tuple[int, ...], dict[str, Any]]] = []  # a min-heap on (size, reversed id)
    total = 0
    for record in records(path):
        total += 1
        members = record.get("members") if isinstance(record.get("members"), list) else []
        size = int(record.get("size") or len(members))
        story, event = str(record.get("story")), str(record.get("event"))
        sizes[size] += 1
        per_event[event] += 1
        title = record.get("title")
        _keep_largest(event_stories[event], (size, reverse_key(story), [story, title, size]), MAX_EVENT_STORIES)
        entry = {"story": story, "event": event, "title": title, "canonical": record.get("canonical"), "size": size,
                 "members": [[str(m.get("id")), str(m.get("source")), m.get("similarity")]
                             for m in members[:MAX_MEMBERS] if isinstance(m, dict)]}
        _keep_largest(largest, (size, reverse_key(story), entry), MAX_STORIES)
    listed = [entry for _, _, entry in sorted(largest, key=lambda k: (-k[0], k[2]["story"]))]
    events = sorted(per_event.items(), key=lambda item: (-item[1], item[0]))[:MAX_EVENTS]
    with_text = {entry["story"]: entry for entry in listed[:MAX_STORY_TEXTS]}
    for record in records(path):  # again, for the texts of the largest only
        entry = with_text.get(str(record.get("story")))
        if entry is not None and isinstance(record.get("text"), str):
            entry["text"] = record["text"]
    return {
        "total": total,
        "sizes": sorted(sizes.items()),
        "event_sizes": sorted(Counter(per_event.values()).items()),
        "events_total": len(per_event),
        "events": [[event, count, [s for _, _, s in sorted(event_stories[event], key=lambda k: (-k[0], k[2][0]))]]
                   for event, count in events],
        "listed": listed,
        "with_texts": len(with_text),
    }


def _keep_largest(heap: list[Any], key: tuple[Any, ...], limit: int) -> None:
    if len(heap) < limit:
        heapq.heappush(heap, key)
    elif key[:2] > heap[0][:2]:
        heapq.heapreplace(heap, key)


class CleanPass:
    """One pass over clean.jsonl for the rules, sites, copies' differences and views."""

    def __init__(self, views: list[dict[str, Any]], stories: dict[str, Any] | None):
        self.rules: dict[str, dict[str, Any]] = {}
        self.sites: dict[str, dict[str, Any]] = {}
        self.views = {(v["id"], v["source"]): v for v in views}
        # (id, source) of a copy to compare -> (its story's entry, the member row to fill)
        self.copies: dict[tuple[str, str], tuple[dict[str, Any], list[Any]]] = {}
        for entry in (stories or {}).get("listed", []):
            if "text" not in entry:
                continue
            copies = [m for m in entry["members"] if m[0] != entry["canonical"]][:MAX_DIFFED_COPIES]
            self.copies.update({(m[0], m[1]): (entry, m) for m in copies})

    def read(self, path: Path) -> None:
        for record in records(path):
            key = (str(record.get("id")), str(record.get("source")))
            site = site_of(record.get("site"), record.get("url"))
            text = record.get("text") if isinstance(record.get("text"), str) else ""
            removed = [r for r in record.get("removed") or [] if isinstance(r, dict)] \
                if isinstance(record.get("removed"), list) else []
            self._count(key[0], site, text, removed)
            if key in self.views:
                self._finish_view(self.views.pop(key), record, text, removed)
            if key in self.copies:
                entry, member = self.copies.pop(key)
                member.append(text_diff(entry["text"], text))

    def _count(self, doc_id: str, site: str, text: str, removed: list[dict[str, Any]]) -> None:
        counts = self.sites.setdefault(site, {"pages": 0, "words": 0, "removed": 0, "template": 0, "rules": Counter()})
        counts["pages"] += 1
        counts["words"] += len(text.split())
        seen_here = set()
        for removal in removed:
            rule, removed_text = str(removal.get("rule")), str(removal.get("text") or "")
            words = len(removed_text.split())
            counts["removed"] += words
            counts["template"] += words if rule == TEMPLATE_RULE else 0
            counts["rules"][rule] += 1
            figures = self.rules.setdefault(rule, {"removals": 0, "documents": 0, "sites": set(), "samples": [],
                                                   "more": []})
            figures["removals"] += 1
            if rule in seen_here:
                continue  # one sample a document
            seen_here.add(rule)
            figures["documents"] += 1
            # Samples from different sites first; `more` (other pages of those sites) fills up.
            pile = figures["more"] if site in figures["sites"] else figures["samples"]
            figures["sites"].add(site)
            if len(pile) < SAMPLES_PER_RULE:
                pile.append([doc_id, site, cut(removed_text, SAMPLE_CHARS)])

    @staticmethod
    def _finish_view(view: dict[str, Any], record: dict[str, Any], text: str, removed: list[dict[str, Any]]) -> None:
        """The clean side of a view, from clean.jsonl as the corpus stage left it: the final text,
        the story, and what the corpus stage removed from the clean text."""
        view["clean"] = text[:MAX_VIEW_CHARS]
        view["clean_truncated"] = len(text) > MAX_VIEW_CHARS
        view["story"], view["copy_of"] = record.get("story"), record.get("copy_of")
        view["excluded"] = record.get("excluded")
        view["later"] = [[str(r.get("rule")), cut(str(r.get("text")), ELEMENT_TEXT_CHARS)] for r in removed
                         if r.get("lines") is None and
                         [r.get("rule"), cut(str(r.get("text")), ELEMENT_TEXT_CHARS)] not in view["elements"]]

    def rule_rows(self, descriptions: dict[str, str]) -> list[list[Any]]:
        """[rule, removals, documents, sites, description, samples], the most removals first."""
        rows = [[rule, f["removals"], f["documents"], len(f["sites"]), descriptions.get(rule),
                 (f["samples"] + f["more"])[:SAMPLES_PER_RULE]] for rule, f in self.rules.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0]))

    def site_rows(self) -> dict[str, Any]:
        """The sites with the most pages: [site, pages, words kept, share removed, template share, top rules]."""
        rows = []
        for site, c in self.sites.items():
            total = c["words"] + c["removed"]  # the words the page had, as far as the records tell
            top = sorted(c["rules"].items(), key=lambda item: (-item[1], item[0]))[:TOP_RULES_PER_SITE]
            rows.append([site, c["pages"], c["words"], round(c["removed"] / total, 4) if total else 0,
                         round(c["template"] / total, 4) if total else 0, [list(pair) for pair in top]])
        rows.sort(key=lambda row: (-row[1], row[0]))
        return {"total": len(rows), "listed": rows[:MAX_SITES]}


def corpus_sections(out_dir: Path, views: list[dict[str, Any]], with_stories: bool,
                    descriptions: dict[str, str]) -> dict[str, Any]:
    """The rules, sites and stories sections of the page's data; fills in the views."""
    stories = stories_section(out_dir / "stories.jsonl") if with_stories else None
    clean = CleanPass(views, stories)
    clean.read(out_dir / "clean.jsonl")
    if stories is not None:
        for entry in stories["listed"]:
            if "text" in entry:
                entry["text_cut"] = len(entry["text"]) > MAX_CANONICAL_CHARS
                entry["text"] = entry["text"][:MAX_CANONICAL_CHARS]
    return {"rule_rows": clean.rule_rows(descriptions), "sites": clean.site_rows(), "stories": stories}
