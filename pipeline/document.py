"""The record that flows through every stage: a raw input on the way in, a clean
document with its removals on the way out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Half of a UTF-16 pair: from JSON ("\ud83d" of a cut emoji) or, for a file name that is not
# UTF-8, one of its bytes as Python maps it (U+DC80-U+DCFF). No UTF-8 can hold one.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """Whether UTF-8 cannot hold `text` (encoding is several times faster than searching it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def without_lone_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, as the reader makes text."""
    return LONE_SURROGATE.sub("\ufffd", text) if has_lone_surrogate(text) else text


def safe_name(name: str) -> str:
    """An id or source that UTF-8 can hold (story ids are hashes of its UTF-8 form): each lone
    surrogate written as its escape, "\\udce9", so that distinct names stay distinct."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8") if has_lone_surrogate(name) else name


@dataclass(frozen=True)
class RawDocument:
    """One input document as read, before any cleaning."""

    id: str
    source: str  # the file it came from (and ":line" for JSON Lines records)
    content: str
    kind: str  # "html" or "text", decided from the content
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # hints for cleaning (a WARC's capture date)
    metadata: dict[str, Any] = field(default_factory=dict)  # the input record's other fields, kept as they are


@dataclass(frozen=True)
class Removal:
    """One removed piece of a document and the rule that removed it.

    `lines` is the 1-based inclusive line span in the text the rule saw (the input
    text for text documents, the extracted text for HTML); None for removed HTML
    elements and blocks, which have no line in any text.
    """

    rule: str
    text: str
    lines: tuple[int, int] | None = None
    # For a block the extraction dropped: what each extractor voted and the model's probability,
    # "trafilatura=0 resiliparse=1 readability=- p<=0.12" (storysift.clean.consensus).
    votes: str | None = None

    def as_dict(self) -> dict[str, Any]:
        record = {"rule": self.rule, "text": self.text, "lines": list(self.lines) if self.lines else None}
        if self.votes is not None:
            record["votes"] = self.votes
        return record


@dataclass(frozen=True)
class Deferred:
    """A removal that cleaning proposes and the corpus stage decides on: in `storysift run`, the
    line classifier's: applied at once to pages whose site has too few pages for a template; on
    the others after the template, but for the lines the story's copies on other pages carry
    (corpus/batches.py: `settle_on_copies`). `at`: its lines in the document's `text`, 1-based."""

    removal: Removal
    at: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.removal.as_dict(), "at": list(self.at)}


@dataclass
class Document:
    """A cleaned document: canonical text, metadata fields and every removal."""

    id: str
    source: str
    text: str
    kind: str = "text"
    url: str | None = None
    site: str | None = None  # the URL's host, else the page's og:site_name; the corpus stage infers the rest
    title: str | None = None
    author: str | None = None
    date: str | None = None
    links: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    seen_text: str = ""  # the text the line rules saw, for `explain`
    words_in: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)  # the input record's other fields
    # HTML only, for `explain`: every block of the page after pruning, in page order, with the
    # rule that removed it (storysift.clean.headline.BlockFate); the kept ones are the lines of
    # seen_text, in order.
    blocks: list[Any] = field(default_factory=list)
    long_lines: int = 0  # lines too long for any pattern to be run on (clean/textrules.py)
    deferred: list[Deferred] = field(default_factory=list)  # in `text` still, for the corpus stage

    def as_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "site": self.site,
            "kind": self.kind,
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "text": self.text,
            "links": self.links,
            "removed": [r.as_dict() for r in self.removed],
            "counts": {
                "words_in": self.words_in,
                "words_out": len(self.text.split()),
                "lines_out": self.text.count("\n") + 1 if self.text else 0,
                "removed": len(self.removed),
            },
            **({"metadata": self.metadata} if self.metadata else {}),
            **({"deferred": [d.as_dict() for d in self.deferred]} if self.deferred else {}),
        }


@dataclass(frozen=True)
class Reject:
    """An input that did not become a document, and why."""

    source: str
    reason: str
    id: str | None = None

    def as_record(self) -> dict[str, str | None]:
        return {"id": self.id, "source": self.source, "reason": self.reason}

    @property
    def skipped(self) -> bool:
        """A record passed over by design (a WARC request, an image response), not a failure:
        counted like a reject, but no reason to stop a --strict run."""
        return self.reason.startswith("skipped ")


class InputError(ValueError):
    """Bytes that cannot become text; the message is the reject reason."""
