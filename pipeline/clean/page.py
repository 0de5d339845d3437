"""Cleaning one document: HTML goes through pruning and extraction first, then every
document goes through the text rules. This is the per-document stage the engines call."""

from __future__ import annotations

from typing import Iterable, Iterator

from storysift.clean.html import extract_html, host_of
from storysift.clean.textrules import apply_text_rules
from storysift.clean.wholepage import reads_like_headline
from storysift.document import Document, InputError, RawDocument, Reject
from storysift.ruleset.load import RuleSet


def title_from_text(text: str) -> str | None:
    """The first line of a plain-text article is its title when it reads like one."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if reads_like_headline(line) else None
    return None


def clean_document(raw: RawDocument, rules: RuleSet) -> Document:
    removed = []
    title = author = date = name = None
    url = raw.url
    text = raw.content
    view = []
    if raw.kind == "html":
        extraction = extract_html(raw.content, rules, raw.url)
        removed.extend(extraction.removed)
        text, url = extraction.text, extraction.url
        title, author, date, name = extraction.title, extraction.author, extraction.date, extraction.site_name
        view = extraction.view
    result = apply_text_rules(text, rules, host_of(url), whole_page=raw.kind == "text")
    removed.extend(result.removed)
    return Document(
        id=raw.id,
        source=raw.source,
        text=result.text,
        kind=raw.kind,
        url=url,
        site=host_of(url) or name,
        title=title or result.meta.get("headline") or result.meta.get("title") or title_from_text(result.text),
        author=author or result.meta.get("author"),
        # raw.meta["date"] is a fallback from the input (a WARC capture date), never preferred to the page's own.
        date=date or result.meta.get("date") or raw.meta.get("date"),
        links=result.links,
        removed=removed,
        seen_text="\n".join(result.lines),
        words_in=len(text.split()),
        metadata=raw.metadata,
        blocks=view,
        long_lines=result.long_lines,
        deferred=result.deferred,
    )


def clean_text(text: str, rules: RuleSet, url: str | None = None, doc_id: str = "text") -> Document:
    """Clean one string, HTML or plain text (decided by its content)."""
    from storysift.read.documents import make_document

    return clean_document(make_document(text, doc_id, doc_id, url), rules)


def clean_stream(items: Iterable[RawDocument | Reject], rules: RuleSet) -> Iterator[Document | Reject]:
    """Clean each raw document; a document whose cleaning fails becomes a reject."""
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        try:
            yield clean_document(item, rules)
        except InputError as exc:  # a page past a parser's limit (storysift.clean.limits)
            yield Reject(item.source, str(exc), item.id)
        except RecursionError:
            yield Reject(item.source, "document too deeply nested to parse", item.id)
        except Exception as exc:  # one broken page must not take the run down
            yield Reject(item.source, f"cleaning failed: {type(exc).__name__}: {exc}", item.id)
