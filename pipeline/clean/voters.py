"""The extractors that vote on a page's blocks, each given the parse it needs: trafilatura the
lxml tree the HTML stage already built, resiliparse and readability-lxml the pruned page as
lexbor serialised it (scripts and styles gone). Each returns plain text, which
clean/alignment.py maps back onto the blocks; a voter that fails on a page votes for nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable

import trafilatura
from lxml.html import HtmlElement, fragment_fromstring
from resiliparse.extract.html2text import extract_plain_text
from trafilatura.utils import INVALID_XML_CHARS

from storysift.clean.blocks import BLOCK_TAGS

# readability-lxml logs every page it finds no candidate in at ERROR level, with a traceback.
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)

Voter = Callable[[HtmlElement, str, "str | None"], str]  # (lxml tree, serialised page, url) -> text


def trafilatura_text(page: HtmlElement, html: str, url: str | None) -> str:
    """trafilatura in fast mode: its own rules and heuristics, without its internal comparison
    with readability and jusText (a third of its time), which the other voters stand in for."""
    result = trafilatura.bare_extraction(page, url=url, fast=True, include_comments=False, include_tables=True,
                                         with_metadata=False, deduplicate=False)
    return (result.text or "") if result is not None else ""


def resiliparse_text(page: HtmlElement, html: str, url: str | None) -> str:
    return extract_plain_text(html, main_content=True, comments=False, alt_texts=False, list_bullets=False)


def readability_text(page: HtmlElement, html: str, url: str | None) -> str:
    # Imported on the first page that needs it (about 4 in 10 do): its import (lxml_html_clean,
    # chardet) cost as much start-up as numpy's.
    from readability import Document as Readability

    try:
        summary = Readability(INVALID_XML_CHARS.sub("", html)).summary(html_partial=True)
    except Exception:  # readability's Unparseable, or lxml refusing what it built
        return ""
    try:
        article = fragment_fromstring(summary, create_parent="div")
    except Exception:
        return ""
    for element in article.iter():
        if element.tag in BLOCK_TAGS:  # a heading's last word and the next paragraph's first stay apart
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    return article.text_content()


VOTERS: dict[str, Voter] = {
    "trafilatura": trafilatura_text,
    "resiliparse": resiliparse_text,
    "readability": readability_text,
}
