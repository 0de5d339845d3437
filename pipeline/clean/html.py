"""HTML stage: parse once with selectolax, drop the elements that CSS rules select (generic and
per-site), then extract the main content, title, author and date with trafilatura. The text
it returns goes on to the text rules like any plain-text document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml.html import HtmlElement, fromstring
from selectolax.lexbor import LexborHTMLParser, LexborNode as Node
from trafilatura.settings import CUT_EMPTY_ELEMS
from trafilatura.utils import HTML_PARSER, INVALID_XML_CHARS

from storysift.clean.limits import parse_within_limits, serialized_problem
from storysift.clean.metadata import page_metadata
from storysift.document import InputError, Removal
from storysift.ruleset.load import RuleSet

# A selector that matches an element holding most of the page's text has hit a layout wrapper
# (a theme putting "share" on <main>), not furniture: such a match is skipped.
MAX_REMOVED_SHARE = 0.5
# An element marked as the article itself is content whatever other token a theme gives it:
# WordPress's Hueman theme wraps every post in <div class="entry themeform share">, which the
# share-bar selector would otherwise remove with the whole story (a sidebar-heavy page keeps
# it under MAX_REMOVED_SHARE). Whole class/id tokens only: "entry-meta" or "post-navigation"
# stay removable, and "main" is left out because <nav class="main"> is a menu.
CONTENT_TOKENS = frozenset({
    "entry", "hentry", "post", "article", "story", "entry-content", "post-content",
    "article-content", "article-body", "story-body", "post-body",
})


def is_content_wrapper(node: Node) -> bool:
    """The element is the article (an <article>, schema.org articleBody, or a class/id token
    that names the post), not page furniture."""
    if node.tag == "article":
        return True
    attributes = node.attributes
    if attributes.get("itemprop") == "articleBody":
        return True
    tokens = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".lower().split()
    return not CONTENT_TOKENS.isdisjoint(tokens)


@dataclass
class Extraction:
    text: str
    removed: list[Removal]
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    site_name: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


def host_of(url: str | None) -> str | None:
    """The URL's host without "www.", or None; a malformed URL ("http://[bad", which urlsplit
    refuses with ValueError) has no host: the page is cleaned, with no host's rules."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def canonical_url(tree: LexborHTMLParser) -> str | None:
    for selector, attribute in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        if node is not None and node.attributes.get(attribute):
            return node.attributes[attribute]
    return None


def site_name(tree: LexborHTMLParser) -> str | None:
    """The page's own name for its site (og:site_name), which the corpus stage uses as the site
    of a page whose address is unknown."""
    node = tree.css_first('meta[property="og:site_name"]')
    name = " ".join((node.attributes.get("content") or "").split()) if node is not None else ""
    return name.lower() or None


def is_detached(node: Node) -> bool:
    """Already removed, or inside a removed element: a selector list can match one element
    twice (".related-posts" and "[class^=related]"), or an element and its descendant."""
    while node.parent is not None:
        node = node.parent
    return node.tag != "-document"


# trafilatura deletes each empty <p>, <span>, <i>... one at a time, joining its trailing text to
# the previous sibling's: quadratic, 14 s for 10,000 of them (found by bench/fuzz.py). lexbor
# removes them in milliseconds, so a page with this many loses them before trafilatura sees it;
# the devset's most is 868, and pages below keep trafilatura's own handling untouched.
MANY_EMPTY_ELEMENTS = 1_000
EMPTY_ELEMENTS = ", ".join(f"{tag}:empty" for tag in sorted(CUT_EMPTY_ELEMS))


# Elements lexbor parses as empty (void) and libxml2 as containers: 300 <wbr> in a paragraph
# nest 255 deep in libxml2, which then drops the rest of the page (found in review). They hold
# no text, so they are removed before lxml parses lexbor's output.
VOID_IN_LEXBOR_ONLY = frozenset({"wbr", "source", "track", "embed", "keygen", "bgsound"})
# Scripts and styles are not text, and trafilatura drops them, but they make up much of a modern
# page (framework state, inline CSS): removed here, they cost neither the lxml parse nor
# trafilatura's tree copies (-0.9 ms a page on the devset, with identical text). JSON-LD stays
# for the metadata. htmldate found a date in other script JSON on 6 devset pages: a session's
# expiry, an ad's start date, a CMS "__Updated" field; those pages now have none.
NOT_TEXT = "script:not([type='application/ld+json']), style, " + ", ".join(sorted(VOID_IN_LEXBOR_ONLY))


def drop_empty_elements(tree: LexborHTMLParser) -> None:
    empty = tree.css(EMPTY_ELEMENTS)
    if len(empty) >= MANY_EMPTY_ELEMENTS:
        for node in empty:
            node.decompose()


def prune(tree: LexborHTMLParser, rules: RuleSet, host: str | None) -> list[Removal]:
    """Remove every element a CSS rule selects, recording its text under the rule's id."""
    total = -1  # the body's text length, measured once and only when something matched
    removals: list[Removal] = []
    for rule in rules.for_host(host, ("css",)):
        for node in tree.css(rule.params["selector"]):
            if is_content_wrapper(node) or is_detached(node):
                continue
            text = " ".join(node.text(separator=" ", strip=True).split())
            if total < 0:
                body = tree.body
                total = len(body.text(separator=" ", strip=True)) if body is not None else 0
            if total and len(text) > MAX_REMOVED_SHARE * total:
                continue
            if text:
                removals.append(Removal(rule.id, text))
            # A space, not nothing: "votes<div class=ad>…</div>Council" must not become "votesCouncil".
            node.replace_with(" ")
    return removals


# trafilatura's fast mode skips its comparison with readability and jusText, a third of its
# time. On the devset the two modes give the same text on 566 of 607 pages; where they differ,
# the fast extraction mostly covers a small share of the page's text. So the fast extraction
# stands when it holds at least this share of the text left after pruning, and the full one
# runs otherwise (21 pages): trafilatura's time -14 %, and of the must-contain snippets the
# extractions hold, the same as with the full mode on every page. bench/html_stage.py prints
# these figures for shares from 0.05 to 0.3; a higher share runs the full mode more often for
# no more snippets. After the text rules, bench/devset_quality.py gave 94.05 % must-contain,
# against 94.10 % before this (one snippet).
FAST_MODE_MIN_SHARE = 0.1


def extract_main_text(page: HtmlElement, tree: LexborHTMLParser, url: str | None, html_chars: int) -> Any:
    """trafilatura's extraction (its Document, or None): fast mode, or full when the fast
    extraction looks too short for the page. The page's text is measured only when the
    extraction is short next to its HTML (`html_chars` long), which bounds the text."""
    options = dict(url=url, include_comments=False, include_tables=True, with_metadata=False, deduplicate=False)
    result = trafilatura.bare_extraction(page, fast=True, **options)
    if result is None or holds_little(len(result.text or ""), tree, html_chars):
        result = trafilatura.bare_extraction(page, fast=False, **options)
    return result


def holds_little(extracted: int, tree: LexborHTMLParser, html_chars: int) -> bool:
    """Fewer characters than FAST_MODE_MIN_SHARE of the page's text."""
    return extracted < FAST_MODE_MIN_SHARE * html_chars and extracted < FAST_MODE_MIN_SHARE * page_chars(tree)


def lxml_tree(html: str) -> HtmlElement | None:
    """lexbor's serialisation parsed by lxml with trafilatura's parser settings. trafilatura's
    load_html also repairs raw pages (doctype, self-closed <html/>, encodings), which lexbor's
    output never needs, and that costs a third of the parse; only the control characters
    libxml2 refuses are removed here."""
    try:
        return fromstring(INVALID_XML_CHARS.sub("", html), parser=HTML_PARSER)
    except Exception:  # what load_html recovers from, such as an encoding declaration lxml refuses
        return trafilatura.load_html(html)


def drop_head_metadata(page: HtmlElement) -> None:
    """Once the metadata is read, the <meta> and <link> elements of the head (about 50 on a
    devset page) only cost trafilatura's tree copies and XPath passes, and it deletes the head
    itself before extracting: same text on all 607 devset pages, 2 % faster. JSON-LD stays,
    as its fallback reads an articleBody there."""
    head = page.find("head")
    if head is not None:
        for child in list(head):
            if child.tag not in ("script", "title"):
                head.remove(child)


def page_chars(tree: LexborHTMLParser) -> int:
    body = tree.body
    return len(" ".join(body.text(separator=" ").split())) if body is not None else 0


def extract_html(html: str, rules: RuleSet, url: str | None = None) -> Extraction:
    tree = parse_within_limits(html)
    url = url or canonical_url(tree)
    host = host_of(url)
    name = site_name(tree)
    removed = prune(tree, rules, host)
    drop_empty_elements(tree)
    for node in tree.css(NOT_TEXT):
        node.decompose()
    serialized = tree.html or ""
    if problem := serialized_problem(html, serialized):
        raise InputError(problem)
    # Parsed once for both metadata and content; bare_extraction copies a tree it is given.
    page = lxml_tree(serialized)
    if page is None:
        return Extraction("", removed, url=url, site_name=name)
    title, author, date, meta_url = page_metadata(page, tree, url)
    drop_head_metadata(page)
    result = extract_main_text(page, tree, url or meta_url, len(serialized))
    if result is None:
        return Extraction("", removed, url=url, site_name=name)
    return Extraction(result.text or "", removed, title=title, author=author, date=date, url=url, site_name=name)
