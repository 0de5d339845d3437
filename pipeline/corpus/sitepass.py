"""The site step of the corpus stage, run before stories are formed: give every record its site
(sites.py), learn each site's template from its pages (templates.py) and write the records
again without the template lines. Reads the clean JSON Lines file a record at a time, in two or
three passes; holds per page only what inferring a site needs (its furniture line keys, for
pages without a site) and per site the template's line keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from storysift.corpus.shingles import line_hashes, long_line_keys
from storysift.corpus.sites import infer_sites, site_of
from storysift.corpus.templates import SiteTemplates
from storysift.corpus.titles import corpus_title, usable_title
from storysift.document import LONE_SURROGATE, safe_name
from storysift.read.fields import field_value, set_field
from storysift.read.recordfile import RecordFile
from storysift.write.outputs import JsonlSink, atomic_text

# Per-site figures in report.json: the sites with the most pages (a crawl can hold millions).
REPORT_SITES = 1000


def removed_lines(record: dict) -> list[str]:
    """The lines single-page cleaning removed from a record, as its `removed` list holds them."""
    removed = record.get("removed")
    if not isinstance(removed, list):
        return []
    return [hashable(line) for piece in removed if isinstance(piece, dict) and isinstance(piece.get("text"), str)
            for line in piece["text"].split("\n")]


def page_keys(text: str, record: dict) -> np.ndarray:
    """The keys of every line of a page: its clean text and what cleaning removed."""
    removed = "\n".join(removed_lines(record))
    return np.concatenate((line_hashes(text), line_hashes(removed))) if removed else line_hashes(text)


# Kept lines of at most this many words (menus, labels the rules did not know) count as
# furniture for inferring a site; a longer line is a paragraph of the page's own.
SHORT_LINE_WORDS = 14


def furniture_keys(text: str, record: dict) -> np.ndarray:
    """What a page's site shows on every page is mostly what single-page cleaning removed, and
    its short kept lines (menus, labels the rules did not know): sorted distinct keys."""
    short = "\n".join(line for line in text.split("\n") if len(line.split()) <= SHORT_LINE_WORDS)
    keys = np.concatenate((line_hashes(short), line_hashes("\n".join(removed_lines(record)))))
    return np.unique(keys[keys != 0])


def strip_site_templates(source: RecordFile, target: Path, text_field: str, id_field: str,
                         on_progress: Callable[[int], None] = lambda done: None) -> dict[str, Any]:
    """Write the records of `source` to `target` with `site` set and site templates removed
    from `text_field`; returns the report section. The first pass scans `source` (its rejects
    are told then); later passes read its records back by index."""
    given: dict[int, str] = {}
    furniture: dict[int, np.ndarray] = {}
    names: dict[int, str] = {}
    templates = SiteTemplates()
    for index, record in source.scan():
        text = text_of(record, text_field)
        site = site_of(record)
        if site is not None:
            given[index] = site
            templates.add(site, page_keys(text, record), long_line_keys(text))
        else:
            raw_id = field_value(record, id_field)
            names[index] = safe_name(str(raw_id)) if raw_id not in (None, "") else f"#{index + 1}"
            furniture[index] = furniture_keys(text, record)
        on_progress(index + 1)
    inferred = infer_sites(furniture, names) if furniture else {}
    del furniture
    for index in sorted(inferred):
        record = source.record(index)
        text = text_of(record, text_field)
        templates.add(inferred[index], page_keys(text, record), long_line_keys(text))
    templates.finish()
    removals = 0
    with atomic_text(target) as stream:
        sink = JsonlSink(stream)
        for index in range(len(source.offsets)):
            record = source.record(index)
            site = given.get(index) or inferred.get(index)
            record["site"] = site
            text, removed = templates.strip(site, text_of(record, text_field))
            title = record.get("title")
            title = hashable(title) if isinstance(title, str) else title  # its lines are hashed too
            record["title"] = corpus_title(title, usable_title(title) and templates.holds(site, title),
                                           text) if "title" in record or removed else title
            if removed:
                removals += len(removed)
                set_field(record, text_field, text)
                earlier = record.get("removed") if isinstance(record.get("removed"), list) else []
                record["removed"] = earlier + [{**r.as_dict(), "site": site} for r in removed]
                counts = record.get("counts")
                if isinstance(counts, dict):
                    counts.update({"words_out": len(text.split()), "lines_out": text.count("\n") + 1 if text else 0,
                                   "removed": len(record["removed"])})
            sink.write(record)
    return {"removals": removals, **report_section(templates, given, inferred)}


def text_of(record: dict, text_field: str) -> str:
    """The record's text, as the reader makes it (read/documents.make_document): a lone
    surrogate has no UTF-8 to hash."""
    text = field_value(record, text_field)
    return hashable(text) if isinstance(text, str) else ""


def hashable(text: str) -> str:
    return LONE_SURROGATE.sub("\ufffd", text)


def report_section(templates: SiteTemplates, given: dict[int, str], inferred: dict[int, str]) -> dict[str, Any]:
    stats = templates.stats
    largest = sorted(stats, key=lambda site: (-stats[site].pages, site))[:REPORT_SITES]
    qualifying = [site for site in stats if templates.qualifies(site)]
    return {
        "sites": len(stats),
        "documents_with_site": len(given),
        "documents_with_inferred_site": len(inferred),
        "inferred_sites": len(set(inferred.values())),
        "sites_with_template": len(qualifying),
        "pages_changed": sum(stats[site].pages_changed for site in stats),
        "lines_removed": sum(stats[site].lines_removed for site in stats),
        "words_removed": sum(stats[site].words_removed for site in stats),
        "per_site": {site: stats[site].as_dict() for site in largest},
    }
