"""The site step of the corpus stage, run before stories are formed: give every record its site
(sites.py), learn each site's template from its pages (templates.py) and write the records
again without the template lines. Reads the clean JSON Lines file a record at a time, in two or
three passes; holds per page only what inferring a site needs (its furniture line keys, for
pages without a site) and per site the template's line keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from storysift.corpus.records import Corpus
from storysift.corpus.shingles import line_hashes, long_line_keys
from storysift.corpus.sites import infer_sites, site_of
from storysift.corpus.templates import SiteTemplates
from storysift.document import LONE_SURROGATE, safe_name
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


def strip_site_templates(corpus: Corpus, target: Path, text_field: str, id_field: str) -> dict[str, Any]:
    """Write the corpus's records to `target` with `site` set and site templates removed from
    `text_field`; returns the report section."""
    given: dict[int, str] = {}
    furniture: dict[int, np.ndarray] = {}
    paragraphs: dict[int, np.ndarray] = {}
    names: dict[int, str] = {}
    templates = SiteTemplates()
    for index, record, text in _texts(corpus, text_field):
        site = site_of(record)
        if site is not None:
            given[index] = site
            templates.add(site, page_keys(text, record), long_line_keys(text))
        else:
            raw_id = record.get(id_field)
            names[index] = safe_name(str(raw_id)) if raw_id not in (None, "") else f"#{index + 1}"
            furniture[index] = furniture_keys(text, record)
            paragraphs[index] = long_line_keys(text)
    inferred = infer_sites(furniture, paragraphs, names) if furniture else {}
    del furniture, paragraphs
    if inferred:
        for index, record, text in _texts(corpus, text_field):
            if index in inferred:
                templates.add(inferred[index], page_keys(text, record), long_line_keys(text))
    templates.finish()
    with atomic_text(target) as stream:
        sink = JsonlSink(stream)
        for index, line, record in corpus.lines():
            if not isinstance(record, dict) or not isinstance(record.get(text_field), str):
                stream.write(line.decode("utf-8", "replace").rstrip("\n") + "\n")
                continue
            site = given.get(index) or inferred.get(index)
            record["site"] = site
            text, removals = templates.strip(site, hashable(record[text_field]))
            if removals:
                record[text_field] = text
                removed = record.get("removed") if isinstance(record.get("removed"), list) else []
                record["removed"] = removed + [{**r.as_dict(), "site": site} for r in removals]
                counts = record.get("counts")
                if isinstance(counts, dict):
                    counts.update({"words_out": len(text.split()), "lines_out": text.count("\n") + 1 if text else 0,
                                   "removed": len(record["removed"])})
            sink.write(record)
    return report_section(templates, given, inferred)


def _texts(corpus: Corpus, text_field: str) -> Iterator[tuple[int, dict, str]]:
    for index, record in corpus.scan():
        if isinstance(record, dict) and isinstance(record.get(text_field), str):
            yield index, record, hashable(record[text_field])


def hashable(text: str) -> str:
    """As the reader does (read/documents.make_document): a lone surrogate has no UTF-8 to hash."""
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
