"""The site step of the corpus stage, run before stories are formed: give every record its site
(sites.py) and learn each site's template from its pages (templates.py); dedup.py then writes
the records again without the template lines (batches.strip_record) as it signs them. Reads the
records a batch at a time (the per-page work in batches.py, here or in worker processes), in one
pass and a second over the pages whose site is inferred; holds per page its site and, for pages
without one, what inferring a site needs (its furniture line keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from storysift.corpus.batches import Fields, batched, in_process, scan_pages, site_entries
from storysift.corpus.sites import infer_sites
from storysift.corpus.templates import SiteTemplates
from storysift.read.recordfile import RecordFile

# Per-site figures in report.json: the sites with the most pages (a crawl can hold millions).
REPORT_SITES = 1000


@dataclass
class SitePass:
    """What the site step learnt: each record's site (by index), how many records named theirs
    and which were inferred, and the templates."""

    templates: SiteTemplates
    sites: list[str | None] = field(default_factory=list)
    given: int = 0
    inferred: dict[int, str] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return report_section(self.templates, self.given, self.inferred)


def learn_site_templates(source: RecordFile, fields: Fields, work_dir: Path | None = None,
                         run: Callable = in_process, on_progress: Callable[[int], None] = lambda done: None) -> SitePass:
    """Scan `source` (its rejects are told then), give each record its site and learn the
    site templates; `run` runs the per-page work (batches.in_process, or an executor's)."""
    learnt = SitePass(SiteTemplates(work_dir))
    furniture: dict[int, np.ndarray] = {}
    names: dict[int, str] = {}
    interned: dict[str, str] = {}  # one string per site, not one per page
    try:
        for batch, results in run(scan_pages, fields, batched(source.lines(), lambda item: len(item[2])), "sites"):
            for (lineno, offset, _), result in zip(batch, results):
                kind = result[0]
                index = source.add(lineno, offset, result[1] if kind == "reject" else None,
                                   result[2] if kind == "reject" else None)
                if index is None:
                    continue
                if kind == "site":
                    site = interned.setdefault(result[1], result[1])
                    learnt.sites.append(site)
                    learnt.given += 1
                    learnt.templates.count(site, *result[2:])
                else:
                    learnt.sites.append(None)
                    names[index] = result[1] if result[1] is not None else f"#{index + 1}"
                    furniture[index] = result[2]
                on_progress(index + 1)
        source.finish_scan()
        learnt.inferred = infer_sites(furniture, names) if furniture else {}
        del furniture
        order = sorted(learnt.inferred)
        items = ((learnt.inferred[index], line) for index, line in source.raws(order))
        done = iter(order)
        for batch, results in run(site_entries, fields, batched(items, lambda item: len(item[1])), "sites"):
            for (site, _), entry in zip(batch, results):
                learnt.sites[next(done)] = site
                learnt.templates.count(site, *entry)
        learnt.templates.finish()
    except BaseException:
        learnt.templates.close()
        raise
    return learnt


def report_section(templates: SiteTemplates, given: int, inferred: dict[int, str]) -> dict[str, Any]:
    stats = templates.stats
    largest = sorted(stats, key=lambda site: (-stats[site].pages, site))[:REPORT_SITES]
    qualifying = [site for site in stats if templates.qualifies(site)]
    return {
        "sites": len(stats),
        "documents_with_site": given,
        "documents_with_inferred_site": len(inferred),
        "inferred_sites": len(set(inferred.values())),
        "sites_with_template": len(qualifying),
        "pages_changed": sum(stats[site].pages_changed for site in stats),
        "lines_removed": sum(stats[site].lines_removed for site in stats),
        "words_removed": sum(stats[site].words_removed for site in stats),
        "per_site": {site: stats[site].as_dict() for site in largest},
    }
