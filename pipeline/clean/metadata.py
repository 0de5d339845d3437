"""Page metadata for the HTML stage: title, author, date and URL, as trafilatura's
extract_metadata finds them, in its order and with its fallbacks. Meta tags, JSON-LD, the
title and the date come from trafilatura and htmldate on the lxml tree; the author search in
the page body runs on the lexbor tree (see find_author)."""

from __future__ import annotations

from html import unescape

from htmldate import find_date
from lxml.html import HtmlElement
from selectolax.lexbor import LexborHTMLParser, LexborNode as Node
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url, normalize_authors
from trafilatura.settings import set_date_params
from trafilatura.utils import line_processing, trim

# trafilatura's AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS (trafilatura/xpaths.py, 2.3) as CSS.
# The XPaths test class and id with regex callbacks into Python for every element of the page,
# and prune a deep copy of the tree: 4.7 ms a page on the devset, against 0.6 ms for these
# selectors on lexbor, with the same author on all 607 pages (bench/html_stage.py).
# Regex alternatives become substring matches: re:test(@class, 'author-?name') is
# [class*=author-name], [class*=authorname]. Order matters: the first group with a usable
# text wins, as in trafilatura.
AUTHOR_SELECTORS = (
    ":is(a, address, div, link, p, span, strong):is([rel=author], [id=author], [class=author],"
    " [itemprop='author name'], [data-testid=AuthorCard], [data-testid=AuthorURL], [class*=author-name],"
    " [class*=authorname], [class*=AuthorName], [class*=authorName]), author",
    ":is(a, div, h3, h4, p, span):is([class=byline], [class=username], [class=byl], [class=BBL],"
    " [itemprop*=author], [id*=author], [id*=zuozhe], [id*=bianji], [id*=xiaobian], [class*=author],"
    " [class*=channel-name], [class*=zuozhe], [class*=bianji], [class*=xiaobian], [class*=submitted-by],"
    " [class*=posted-by], [class*=journalist-name])",
    "[data-component*=Byline], [itemprop*=author], [id*=author], [id*=Author], [class*=author],"
    " [class*=Author], [class*=screenname], [class*=writer], [class*=byline], [class*=Byline]",
)
AUTHOR_DISCARD = (
    ":is(a, div, section, span):is([id=comments], [class=comments], [class=title], [class=date],"
    " [id^=comments], [id*=commentlist], [id*=comment-list], [id*=ProductReviews], [class^=comments],"
    " [class^=Comments], [class*=commentlist], [class*=comments-list], [class*=sidebar], [class*=is-hidden],"
    " [class*=quote], [class*=embedly-instagram], [class*=article-share], [class*=article-support],"
    " [class*=print], [class*=category], [class*=meta-date], [class*=meta-reviewer],"
    " [data-component*=Figure]), time, figure"
)
AUTHOR_MAX_CHARS = 120  # trafilatura's len_limit for authors


def find_author(page: LexborHTMLParser) -> str | None:
    """The byline in the page body, as trafilatura's extract_author finds it: the first element
    of the first selector group whose text is 3 to 119 characters, outside comments, sidebars,
    figures and dates (which trafilatura removes from a copy of the tree: a copy costs more
    than the whole search, so discarded parts are skipped in place)."""
    discarded: set[int] | None = None
    for selector in AUTHOR_SELECTORS:
        for node in page.css(selector):
            if discarded is None:
                discarded = {n.mem_id for n in page.css(AUTHOR_DISCARD)}
            if discarded and is_within(node, discarded):
                continue
            text = trim(text_without(node, AUTHOR_DISCARD) if discarded else node.text(separator=" "))
            if 2 < len(text) < AUTHOR_MAX_CHARS:
                return normalize_authors(None, text)
    return None


def is_within(node: Node, ids: set[int]) -> bool:
    while node is not None:
        if node.mem_id in ids:
            return True
        node = node.parent
    return False


def text_without(node: Node, selector: str) -> str:
    """The node's text without the parts `selector` matches inside it."""
    if node.css_first(selector) is None:
        return node.text(separator=" ")
    fragment = LexborHTMLParser(node.html or "")
    for part in fragment.css(selector):
        part.decompose()
    return fragment.body.text(separator=" ") if fragment.body is not None else ""


def page_metadata(tree: HtmlElement, page: LexborHTMLParser, url: str | None
                  ) -> tuple[str | None, str | None, str | None, str | None]:
    """Title, author, date and URL of the page (parsed by lxml as `tree` and by lexbor as
    `page`), without the fields storysift does not use (site name, categories, tags, licence,
    image, description), which cost a third of trafilatura's metadata time."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura guards its JSON-LD parser the same way
        pass
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author:
        meta.author = find_author(page)
    if not meta.url:
        meta.url = extract_url(tree, url)
    # No extensive search: it turns any year on the page (a "© 2026" footer, "closed in
    # 2024" in the text) into a made-up date such as 2026-01-01. Markup dates still count.
    date = find_date(tree, **{**set_date_params(extensive=False), "url": meta.url})
    return _trimmed(meta.title), _trimmed(meta.author), _trimmed(date), meta.url


def _trimmed(value: str | None) -> str | None:
    """trafilatura's Document.clean_and_trim for one field."""
    if not isinstance(value, str):
        return None
    if len(value) > 10000:
        value = value[:9999] + "…"
    return line_processing(unescape(value)) or None
