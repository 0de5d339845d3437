"""The dragnet pages as whole-page text, with what the line model learns from them: each
line's label (is it in the gold article? in the page's comments?) and each page's site group,
so that cross-validation never tests a page on a model that saw its site's template.

Used by bench/train_text_model.py (training and grouped cross-validation) and by
bench/extraction.py (the held-out row of the dragnet-text set)."""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import html_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding

from storysift.corpus.stories import UnionFind

TOKEN = re.compile(r"\w+")
# A line is labelled article text when at least this share of its words align, in order, with
# the gold text (difflib's matching blocks between the page's and the gold's word sequences).
# In-order alignment labels a menu word ("Video") that the gold happens to contain as furniture,
# and only one of the <title> and the headline: the oracle keeping exactly the labelled lines
# scores mean F1 0.992 on the 1,381 pages (word 3-gram overlap labels: 0.947).
ALIGNED_SHARE = 0.5
# Template groups: a page without a URL joins the site of a page with which it shares at least
# TEMPLATE_SHARED short lines (6 words or fewer, each on at most TEMPLATE_MAX_PAGES pages of the
# set, so "Home" does not count) making up TEMPLATE_SHARE of the smaller page's short lines.
TEMPLATE_SHARED = 8
TEMPLATE_SHARE = 0.2
TEMPLATE_MAX_PAGES = 40
TEMPLATE_LINE_WORDS = 6
SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}


@dataclass
class TextPage:
    id: str
    text: str  # the whole-page text, as html-text renders the page
    gold: str
    comments: str
    site: str | None  # registrable domain of the page's URL, when the set names one
    group: int = -1  # pages of one site or one template share a group


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return bytes_to_str(data, detect_encoding(data))


# Five gold files (27, 39, 42, 49, 158) are UTF-16 text that was once read as Latin-1 and saved
# as UTF-8: "ÿþ" then every letter followed by a NUL, which the \w+ tokens split into single
# letters, so every system scored 0 on them. Undone before scoring, for every system alike.
MOJIBAKE_UTF16 = "\u00ff\u00fe"


def read_gold(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if text.startswith(MOJIBAKE_UTF16):
        data = text.encode("latin-1")
        return data[: len(data) // 2 * 2].decode("utf-16", errors="replace")
    return text


def render(html: bytes) -> str:
    """A page as a scraper saves its text: html-text's default layout (a line per block,
    blank lines between paragraphs), the <title> first."""
    return html_text.extract_text(decode(html))


def site_of(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    if not host:
        return None
    parts = host.lower().split(".")
    if parts[0] == "www":
        parts = parts[1:]
    keep = 3 if len(parts) >= 3 and parts[-2] in SECOND_LEVEL and len(parts[-1]) == 2 else 2
    return ".".join(parts[-keep:])


def load_pages(root: Path, cache: Path | None = None, limit: int | None = None) -> list[TextPage]:
    """The dragnet set (`root` = devset-dragnet) as text pages, rendered once into `cache`."""
    urls = json.loads((root / "pages.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((root / "html").glob("*.html"))[:limit]:
        cached = cache / f"{path.stem}.txt" if cache else None
        if cached and cached.exists():
            text = cached.read_text(encoding="utf-8")
        else:
            text = render(path.read_bytes())
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(text, encoding="utf-8")
        comments = root / "comments" / f"{path.stem}.txt"
        pages.append(TextPage(
            path.stem, text, read_gold(root / "gold" / f"{path.stem}.txt"),
            comments.read_text(encoding="utf-8", errors="replace") if comments.exists() else "",
            site_of((urls.get(path.stem) or {}).get("url"))))
    assign_groups(pages)
    return pages


def assign_groups(pages: list[TextPage]) -> None:
    """Pages of one site form a group; a page without a URL joins the group of any page whose
    template it shares (see TEMPLATE_*), so sister sites on one template group together too."""
    groups = UnionFind(range(len(pages)))
    first_of_site: dict[str, int] = {}
    for i, page in enumerate(pages):
        if page.site:
            groups.union(i, first_of_site.setdefault(page.site, i))
    short = [{line.strip().casefold() for line in page.text.splitlines()
              if line.strip() and len(line.split()) <= TEMPLATE_LINE_WORDS} for page in pages]
    frequency = Counter(line for lines in short for line in lines)
    holders: dict[str, list[int]] = defaultdict(list)
    for i, lines in enumerate(short):
        for line in lines:
            if frequency[line] <= TEMPLATE_MAX_PAGES:
                holders[line].append(i)
    for i, lines in enumerate(short):
        shared = Counter(j for line in lines if frequency[line] <= TEMPLATE_MAX_PAGES for j in holders[line] if j != i)
        for j, count in sorted(shared.items()):
            if count >= TEMPLATE_SHARED and count >= TEMPLATE_SHARE * min(len(lines), len(short[j])):
                groups.union(i, j)
    roots: dict[int, int] = {}
    for i, page in enumerate(pages):
        page.group = roots.setdefault(groups.find(i), len(roots))


def aligned_labels(lines: list[str], reference: str) -> list[int]:
    """1 for each line with ALIGNED_SHARE of its words aligned in order with `reference`,
    0 for the other lines with words, -1 for lines without a word."""
    words, owner = [], []
    for i, line in enumerate(lines):
        for word in TOKEN.findall(line.lower()):
            words.append(word)
            owner.append(i)
    total = [0] * len(lines)
    matched = [0] * len(lines)
    for i in owner:
        total[i] += 1
    if reference.strip():
        matcher = difflib.SequenceMatcher(None, words, TOKEN.findall(reference.lower()), autojunk=False)
        for start, _, size in matcher.get_matching_blocks():
            for k in range(start, start + size):
                matched[owner[k]] += 1
    return [-1 if not n else int(m / n >= ALIGNED_SHARE) for n, m in zip(total, matched)]


def folds(pages: list[TextPage], count: int, seed: int) -> dict[str, int]:
    """Page id to fold: whole groups, largest first, each to the currently smallest fold
    (ties broken by a seeded shuffle), so folds are balanced and a site never spans two."""
    import random

    size = Counter(page.group for page in pages)
    order = sorted(size)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -size[g])
    load = [0] * count
    fold_of_group = {}
    for group in order:
        fold = load.index(min(load))
        fold_of_group[group] = fold
        load[fold] += size[group]
    return {page.id: fold_of_group[page.group] for page in pages}
