"""HTML stage: parse once with selectolax, drop the elements that CSS rules select (generic and
per-site), then extract the main content, title, author and date with trafilatura. The text
it returns goes on to the text rules like any plain-text document."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import trafilatura
from selectolax.lexbor import LexborHTMLParser
from trafilatura.settings import set_date_params

from pipeline.document import Removal
from pipeline.rules import RuleSet

# A selector that matches an element holding most of the page's text has hit a layout wrapper
# (a theme putting "share" on <main>), not furniture: such a match is skipped.
MAX_REMOVED_SHARE = 0.5


@dataclass
class Extraction:
    text: str
    removed: list[Removal]
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else "//" + url).hostname
    return host.removeprefix("www.") if host else None


def canonical_url(tree: LexborHTMLParser) -> str | None:
    for selector, attribute in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        if node is not None and node.attributes.get(attribute):
            return node.attributes[attribute]
    return None


def prune(tree: LexborHTMLParser, rules: RuleSet, host: str | None) -> list[Removal]:
    """Remove every element a CSS rule selects, recording its text under the rule's id."""
    body = tree.body
    total = len(body.text(separator=" ", strip=True)) if body is not None else 0
    removals: list[Removal] = []
    for rule in rules.for_host(host, ("css",)):
        for node in tree.css(rule.params["selector"]):
            text = " ".join(node.text(separator=" ", strip=True).split())
            if total and len(text) > MAX_REMOVED_SHARE * total:
                continue
            if text:
                removals.append(Removal(rule.id, text))
            # A space, not nothing: "votes<div class=ad>…</div>Council" must not become "votesCouncil".
            node.replace_with(" ")
    return removals


def extract_html(html: str, rules: RuleSet, url: str | None = None) -> Extraction:
    tree = LexborHTMLParser(html)
    url = url or canonical_url(tree)
    host = host_of(url)
    removed = prune(tree, rules, host)
    result = trafilatura.bare_extraction(
        tree.html or "",
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
        # No extensive search: it turns any year on the page (a "© 2026" footer, "closed in
        # 2024" in the text) into a made-up date such as 2026-01-01. Markup dates still count.
        date_extraction_params=set_date_params(extensive=False),
    )
    if result is None:
        return Extraction("", removed, url=url)
    return Extraction(
        result.text or "",
        removed,
        title=result.title or None,
        author=result.author or None,
        date=result.date or None,
        url=url,
    )
