"""HTML stage: parse once with lexbor (selectolax), drop the elements that CSS rules select
(generic and per-site), read title, author and date, split what is left into text blocks and
let the consensus of extractors (clean/consensus.py) choose the main content; the page's own
headline and byline go to their fields (clean/headline.py). The kept blocks, one a line, go on
to the text rules like any plain-text document."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import trafilatura
from lxml.etree import ElementDefaultClassLookup
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring
from selectolax.lexbor import LexborHTMLParser, LexborNode as Node
from trafilatura.settings import CUT_EMPTY_ELEMS
from trafilatura.utils import INVALID_XML_CHARS

from storysift.clean.alignment import words
from storysift.clean.blocks import Block, element_text, text_blocks
from storysift.clean.consensus import RULE_ID, Consensus, run_voters
from storysift.clean.headline import BlockFate, mark_byline, mark_headline, removals_of
from storysift.clean.limits import parse_within_limits, serialized_problem
from storysift.clean.metadata import page_metadata
from storysift.document import InputError, Removal
from storysift.ruleset.load import RuleSet

# A selector that matches an element holding most of the page's text has hit a layout wrapper
# (a theme putting "share" on <main>), not furniture: such a match is skipped.
MAX_REMOVED_SHARE = 0.5
# trafilatura's text counts as found outside the body (see text_outside_blocks) from this many words.
MIN_OUTSIDE_WORDS = 20
# An element marked as the article itself is content whatever other token a theme gives it:
# WordPress's Hueman theme wraps every post in <div class="entry themeform share">, which the
# share-bar selector would otherwise remove with the whole story (a sidebar-heavy page keeps
# it under MAX_REMOVED_SHARE). Whole class/id tokens only: "entry-meta" or "post-navigation"
# stay removable, and "main" is left out because <nav class="main"> is a menu.
CONTENT_TOKENS = frozenset({
    "entry", "hentry", "post", "article", "story", "entry-content", "post-content",
    "article-content", "article-body", "story-body", "post-body",
})


# The article's own element, by markup: a match that holds one is a layout wrapper around the
# article, not furniture. WordPress's Genesis theme puts article and sidebar in
# <div id="content-sidebar-wrap">, which [id*="sidebar"] matches: on every page of such a site
# the output was the site's menu (issue 12: one portal, 30 of 30 pages at F1 about 0.05).
ARTICLE_SELECTOR = ("article, [itemprop=articleBody], .hentry, .entry-content, .post-content, .article-content, "
                    ".article-body, .story-body, .post-body")
# The held article must be this share of the match's text: a sidebar of teasers, each an
# <article>, is still a sidebar.
HELD_ARTICLE_SHARE = 0.3


def holds_article(node: Node, text: str) -> bool:
    """The element contains an element marked as the article, with a good share of its text."""
    for inner in node.css(ARTICLE_SELECTOR):
        if len(inner.text(separator=" ", strip=True)) >= HELD_ARTICLE_SHARE * len(text):
            return True
    return False


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
    view: list[BlockFate] = field(default_factory=list)  # every block after pruning, in page order
    seconds: dict[str, float] = field(default_factory=dict)  # each voter's time on the page


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
            if total and len(text) > MAX_REMOVED_SHARE * total or text and holds_article(node, text):
                continue
            if text:
                removals.append(Removal(rule.id, element_text(node)))
            # A space, not nothing: "votes<div class=ad>…</div>Council" must not become "votesCouncil".
            node.replace_with(" ")
    return removals


# trafilatura's parser (trafilatura.utils.HTML_PARSER, the same settings), but every element an
# HtmlElement, chosen in C: lxml.html's own class lookup calls back into Python for each element
# it hands out (1.1 million calls on the first 300 dragnet pages, most in trafilatura and
# htmldate: python -m cProfile -m storysift.cli clean DIR --workers 1), only to give <form>, <input>, <select>, <textarea> and <label> their form methods,
# which neither calls.
PAGE_PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                         remove_pis=True)
PAGE_PARSER.set_element_class_lookup(ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def lxml_tree(html: str) -> HtmlElement | None:
    """lexbor's serialisation parsed by lxml with trafilatura's parser settings. trafilatura's
    load_html also repairs raw pages (doctype, self-closed <html/>, encodings), which lexbor's
    output never needs, and that costs a third of the parse; only the control characters
    libxml2 refuses are removed here."""
    try:
        return fromstring(INVALID_XML_CHARS.sub("", html), parser=PAGE_PARSER)
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


@dataclass
class PreparedPage:
    """A page pruned and parsed, ready for the voters: lexbor's tree, its serialisation, the
    lxml tree trafilatura reads, the metadata, and what pruning removed."""

    tree: LexborHTMLParser
    html: str
    page: HtmlElement | None
    removed: list[Removal]
    url: str | None
    meta_url: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site_name: str | None = None


def prepare_page(html: str, rules: RuleSet, url: str | None = None) -> PreparedPage:
    tree = parse_within_limits(html)
    url = url or canonical_url(tree)
    name = site_name(tree)
    removed = prune(tree, rules, host_of(url))
    drop_empty_elements(tree)
    for node in tree.css(NOT_TEXT):
        node.decompose()
    serialized = tree.html or ""
    if problem := serialized_problem(html, serialized):
        raise InputError(problem)
    # Parsed once for both metadata and content; bare_extraction copies a tree it is given.
    page = lxml_tree(serialized)
    if page is None:
        return PreparedPage(tree, serialized, None, removed, url, site_name=name)
    title, author, date, meta_url = page_metadata(page, tree, url)
    drop_head_metadata(page)
    return PreparedPage(tree, serialized, page, removed, url, meta_url, title, author, date, name)


def extract_html(html: str, rules: RuleSet, url: str | None = None) -> Extraction:
    prepared = prepare_page(html, rules, url)
    url = prepared.url
    if prepared.page is None:
        return Extraction("", prepared.removed, url=url, site_name=prepared.site_name)
    blocks = text_blocks(prepared.tree)
    consensus = run_voters(blocks, prepared.page, prepared.html, url or prepared.meta_url)
    outside = text_outside_blocks(blocks, consensus)
    if outside is not None:
        # The article is not in the body's text (JSON-LD articleBody, which trafilatura reads).
        view = [BlockFate(RULE_ID, block.text, consensus.votes_of(i), consensus.probability[i])
                for i, block in enumerate(blocks)]
        return Extraction(outside, prepared.removed + removals_of(view), prepared.title, prepared.author,
                          prepared.date, url, site_name=prepared.site_name, view=view)
    view = [BlockFate(None, block.text) if keep else
            BlockFate(RULE_ID, block.text, consensus.votes_of(i), consensus.probability[i])
            for i, (block, keep) in enumerate(zip(blocks, consensus.keep))]
    title = mark_headline(blocks, view, prepared.title)
    mark_byline(blocks, view, prepared.author, prepared.date)
    text = "\n".join(fate.text for fate in view if fate.rule is None)
    return Extraction(text, prepared.removed + removals_of(view), title, prepared.author, prepared.date, url,
                      site_name=prepared.site_name, view=view, seconds=consensus.seconds)


def text_outside_blocks(blocks: list[Block], consensus: Consensus) -> str | None:
    """trafilatura's text when most of it is in no block of the page and the consensus kept
    less than it: its fallback found the article outside the body's text."""
    text = consensus.texts.get("trafilatura", "")
    out_words = len(words(text))
    if out_words < MIN_OUTSIDE_WORDS:
        return None
    votes = consensus.votes["trafilatura"] or []
    mapped = sum(len(block.words) * vote for block, vote in zip(blocks, votes))
    kept = sum(len(block.words) for block, keep in zip(blocks, consensus.keep) if keep)
    return text if mapped < 0.5 * out_words and kept < 0.5 * out_words else None
