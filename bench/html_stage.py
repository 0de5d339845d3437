"""The devset figures behind the HTML stage's constants, in one run (not timed against a peer):

    python bench/html_stage.py [--devset DIR] [--limit N]

- pipeline/clean/limits.py: how many pages take each path of parse_within_limits (more "<"
  than FEW_TAGS, a <template>, SVG or MathML, a possible tag of MAX_ATTRIBUTES attributes),
  and the largest growth of lexbor's output over the page (MAX_GROWTH).
- pipeline/clean/metadata.py: the author found on lexbor against trafilatura's extract_author on
  the same pruned page, and the time of each.
(The choice of trafilatura's fast or full mode is gone: trafilatura votes in fast mode beside
resiliparse and readability-lxml, bench/train_consensus.py.)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser
from trafilatura.metadata import extract_author

from storysift.clean import limits
from storysift.clean.html import NOT_TEXT, drop_empty_elements, host_of, lxml_tree, prune
from storysift.clean.metadata import find_author
from storysift.document import InputError
from storysift.read.documents import decode
from storysift.ruleset.load import load_rules
from _devdata import require

REPO = Path(__file__).resolve().parent.parent


def limit_path(html: str) -> str:
    if html.count("<") > limits.FEW_TAGS or len(html) > limits.MAX_TEXT_NODE_BYTES // 4 or limits.TEMPLATE.search(html):
        return "full scan (many tags, a template or a huge page)"
    if not limits.may_have_many_attributes(html):
        return "parsed first, no attribute check"
    if limits.FOREIGN_CONTENT.search(html):
        return "parsed first, attributes by the full scan (SVG or MathML)"
    return "parsed first, attributes by START_TAGS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=REPO.parent / "shared" / "devset")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    require(args.devset)
    expectations = json.loads((args.devset / "expectations.json").read_text(encoding="utf-8"))
    pages = sorted(expectations)[: args.limit or None]
    rules = load_rules()

    paths: dict[str, int] = {}
    growth: list[float] = []
    authors_same = total = 0
    author_time = {"lexbor": 0.0, "trafilatura": 0.0}
    for name in pages:
        try:
            html = decode((args.devset / "html" / name).read_bytes())
        except InputError:
            continue
        path = limit_path(html)
        paths[path] = paths.get(path, 0) + 1
        expect = expectations[name]
        tree = LexborHTMLParser(html)
        prune(tree, rules, host_of(expect.get("url")))
        drop_empty_elements(tree)
        for node in tree.css(NOT_TEXT):
            node.decompose()
        serialized = tree.html or ""
        growth.append(len(serialized) / max(len(html), 1))
        page = lxml_tree(serialized)
        if page is None:
            continue
        started = time.perf_counter()
        ours = find_author(tree)
        author_time["lexbor"] += time.perf_counter() - started
        started = time.perf_counter()
        theirs = extract_author(page)
        author_time["trafilatura"] += time.perf_counter() - started
        authors_same += ours == theirs
        total += 1

    print(f"{len(pages)} devset pages")
    print("parser limits, by path:")
    for path, count in sorted(paths.items(), key=lambda item: -item[1]):
        print(f"  {count:5}  {path}")
    print(f"  largest growth of lexbor's output over the page: x{max(growth):.2f} (MAX_GROWTH {limits.MAX_GROWTH})")
    print(f"authors: the same as trafilatura's extract_author on {authors_same} of {total} pages; "
          f"{1000 * author_time['lexbor'] / total:.2f} ms a page on lexbor, "
          f"{1000 * author_time['trafilatura'] / total:.2f} ms with extract_author")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
