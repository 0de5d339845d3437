"""Extraction quality on the devset: trafilatura alone versus storysift, in one run.

    python bench/devset_quality.py [--devset DIR] [--limit N] [--json OUT] [--worst N]

The devset (default: ../shared/devset from the repo root) holds `html/` pages and
`expectations.json`: {filename: {url, with: [...], without: [...]}}. For each page both
extractors get the same page:

  trafilatura  trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
  storysift    clean_document(make_document(bytes, id, id, url=url), load_rules()).text

Scores are pooled over all snippets of all pages:
  with     share of `with` snippets found in the clean text   (recall proxy)
  without  share of `without` snippets absent from it         (precision proxy)
  mean     (with + without) / 2
Snippets and text are compared with whitespace runs collapsed to one space.

Speed: only the extraction call is timed (file reading is not; the bytes are decoded for
trafilatura before its clock starts, while storysift's timing includes its own decoding in
make_document). The two run alternately page by page, so load from other processes hits
both alike. pages/s is wall-clock; cpu pages/s uses this process's CPU time.
Pages are processed in sorted filename order, so runs are deterministic.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from storysift.clean.page import clean_document
from storysift.document import InputError
from storysift.read.documents import decode, make_document
from storysift.ruleset.load import load_rules
from _devdata import require

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEVSET = REPO.parent / "shared" / "devset"
SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    return SPACE.sub(" ", text).strip()


@dataclass
class Score:
    name: str
    with_found: int = 0
    with_total: int = 0
    without_absent: int = 0
    without_total: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    pages: int = 0
    errors: int = 0
    found_by_page: dict[str, list[bool]] = field(default_factory=dict)

    def add(self, page: str, text: str, expect: dict) -> None:
        text = norm(text)
        found = [norm(s) in text for s in expect.get("with", [])]
        absent = [norm(s) not in text for s in expect.get("without", [])]
        self.found_by_page[page] = found
        self.with_found += sum(found)
        self.with_total += len(found)
        self.without_absent += sum(absent)
        self.without_total += len(absent)
        self.pages += 1

    @property
    def with_share(self) -> float:
        return 100.0 * self.with_found / self.with_total if self.with_total else 0.0

    @property
    def without_share(self) -> float:
        return 100.0 * self.without_absent / self.without_total if self.without_total else 0.0

    @property
    def mean(self) -> float:
        return (self.with_share + self.without_share) / 2

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu_pages_per_s(self) -> float:
        return self.pages / self.cpu if self.cpu else 0.0

    def as_dict(self) -> dict:
        return {
            "with": round(self.with_share, 2),
            "without": round(self.without_share, 2),
            "mean": round(self.mean, 2),
            "pages_per_s": round(self.pages_per_s, 2),
            "cpu_pages_per_s": round(self.cpu_pages_per_s, 2),
            "with_found": self.with_found,
            "with_total": self.with_total,
            "without_absent": self.without_absent,
            "without_total": self.without_total,
            "pages": self.pages,
            "errors": self.errors,
        }


def run_trafilatura(html: str, url: str | None) -> str:
    return trafilatura.extract(html, url=url, include_comments=False, include_tables=True) or ""


def run_storysift(data: bytes, page: str, url: str | None, rules) -> tuple[str, list]:
    try:
        doc = clean_document(make_document(data, page, page, url=url), rules)
    except InputError:
        return "", []
    return doc.text, doc.removed


def timed(score: Score, fn, *args):
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        return fn(*args)
    except Exception as exc:  # count it, score the page as empty, keep going
        score.errors += 1
        print(f"  {score.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    finally:
        score.wall += time.perf_counter() - wall0
        score.cpu += time.process_time() - cpu0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET, help="devset folder (html/ + expectations.json)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (sorted by name)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--worst", type=int, default=0,
                        help="list the N pages where storysift loses most `with` snippets trafilatura finds")
    args = parser.parse_args(argv)
    require(args.devset)

    expectations = json.loads((args.devset / "expectations.json").read_text(encoding="utf-8"))
    pages = sorted(expectations)
    if args.limit:
        pages = pages[: args.limit]
    rules = load_rules()

    # One untimed warm-up call each: first-call imports and lazy initialisation are not throughput.
    warm = (args.devset / "html" / pages[0]).read_bytes()
    run_trafilatura(decode(warm), expectations[pages[0]].get("url"))
    run_storysift(warm, pages[0], expectations[pages[0]].get("url"), rules)

    tra, sto = Score("trafilatura"), Score("storysift")
    removed_by_page: dict[str, list] = {}
    for page in pages:
        expect = expectations[page]
        url = expect.get("url")
        data = (args.devset / "html" / page).read_bytes()
        try:
            html = decode(data)
        except InputError:
            html = ""
        text = timed(tra, run_trafilatura, html, url) if html else ""
        tra.add(page, text or "", expect)
        result = timed(sto, run_storysift, data, page, url, rules)
        text, removed = result if result else ("", [])
        sto.add(page, text, expect)
        removed_by_page[page] = removed

    print(f"devset: {args.devset} ({len(pages)} pages, {tra.with_total} with / {tra.without_total} without snippets)")
    print(f"{'':12} {'with %':>8} {'without %':>10} {'mean':>8} {'pages/s':>9} {'cpu p/s':>9} {'errors':>7}")
    for s in (tra, sto):
        print(f"{s.name:12} {s.with_share:8.2f} {s.without_share:10.2f} {s.mean:8.2f} "
              f"{s.pages_per_s:9.1f} {s.cpu_pages_per_s:9.1f} {s.errors:7d}")
    d_with, d_without, d_mean = (sto.with_share - tra.with_share, sto.without_share - tra.without_share,
                                 sto.mean - tra.mean)
    print(f"{'delta':12} {d_with:+8.2f} {d_without:+10.2f} {d_mean:+8.2f} "
          f"{sto.pages_per_s - tra.pages_per_s:+9.1f} {sto.cpu_pages_per_s - tra.cpu_pages_per_s:+9.1f}"
          "   (storysift - trafilatura, points)")
    target = d_mean > 0 and d_with >= -1.0
    print(f"target (mean above trafilatura, with at most 1 point lower): {'met' if target else 'NOT met'}")
    ratio, cpu_ratio = sto.pages_per_s / tra.pages_per_s, sto.cpu_pages_per_s / tra.cpu_pages_per_s
    print(f"speed: storysift / trafilatura = x{ratio:.2f} wall, x{cpu_ratio:.2f} cpu "
          f"(target: at least x1.00, single worker): {'met' if ratio >= 1.0 else 'NOT met'}")

    if args.worst:
        losses = []
        for page in pages:
            lost = [i for i, (t, s) in enumerate(zip(tra.found_by_page[page], sto.found_by_page[page])) if t and not s]
            if lost:
                losses.append((-len(lost), page, lost))
        losses.sort()
        total = sum(-n for n, _, _ in losses)
        print(f"\nwith snippets trafilatura finds and storysift loses: {total} on {len(losses)} pages; worst {args.worst}:")
        for _, page, lost in losses[: args.worst]:
            print(f"{page}  {expectations[page].get('url')}")
            for i in lost:
                snippet = norm(expectations[page]["with"][i])
                rules_hit = sorted({r.rule for r in removed_by_page[page] if snippet in norm(r.text)})
                print(f"    - {snippet[:100]!r}  removed by: {', '.join(rules_hit) or '?'}")

    if args.json:
        figures = {
            "devset": str(args.devset),
            "pages": len(pages),
            "trafilatura": tra.as_dict(),
            "storysift": sto.as_dict(),
            "delta": {"with": round(d_with, 2), "without": round(d_without, 2), "mean": round(d_mean, 2),
                      "pages_per_s": round(sto.pages_per_s - tra.pages_per_s, 2)},
            "target_met": target,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
