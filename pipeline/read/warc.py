"""WARC (and ARC) input: every HTML response record of a web archive becomes a raw document
with its target URL and crawl date; every other record (requests, metadata, revisits,
non-HTML or non-2xx responses) becomes a reject whose reason starts with "skipped", so the
report still accounts for every record the archive holds."""

from __future__ import annotations

import re
from typing import BinaryIO, Iterator

from storysift.document import InputError, RawDocument, Reject
from storysift.read.documents import LABEL_AS, ReadOptions, decode, looks_like_html, make_document, text_encoding

# Bytes a WARC (plain, or after decompression) or an ARC file starts with.
WARC_MAGIC = (b"WARC/", b"filedesc://")
HTML_TYPES = {"text/html", "application/xhtml+xml"}
# Types that say nothing about the body: the body itself decides (servers label HTML this way).
UNLABELLED_TYPES = {"", "application/octet-stream", "unknown/unknown", "application/unknown"}
CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w:.-]+)", re.I)


def is_archive_start(head: bytes) -> bool:
    return head.startswith(WARC_MAGIC)


def read_warc(stream: BinaryIO, name: str, options: ReadOptions, size: int | None = None) -> Iterator[RawDocument | Reject]:
    """Documents and skips of one archive, in record order; gzip per record is detected.
    `size`: the stream's length, when it is a file on disk, to notice a cut last record."""
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(stream)
    offset = end = 0
    try:
        for record in records:
            yield _one_record(record, records, name, options)
            offset = records.get_record_offset()
            end = offset + records.get_record_length()
    except Exception as exc:  # warcio meets a cut or corrupt archive with many error types
        yield Reject(f"{name}:{offset}", f"unreadable WARC after the record at byte {offset}: {type(exc).__name__}: {exc}")
        return
    # warcio ends quietly at a gzip member cut before any of it decompressed: compare with the size.
    if size is not None and size > end and not _only_newlines(stream, end, size):
        yield Reject(f"{name}:{end}", f"unreadable WARC after the record at byte {offset}: "
                                      f"{size - end:,} bytes at the end are not a whole record")


def _one_record(record, records, name: str, options: ReadOptions) -> RawDocument | Reject:
    """The record's document or reject; a failure inside one record rejects that record only
    (the archive iterator skips to the next record's start), never the rest of the archive."""
    try:
        return _record_document(record, records, name, options)
    except Exception as exc:  # warcio, decoders and codecs raise many types
        record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>") or None
        return Reject(f"{name}:{records.get_record_offset()}",
                      f"unreadable WARC record: {type(exc).__name__}: {str(exc)[:200]}", record_id)


def _record_document(record, records, name: str, options: ReadOptions) -> RawDocument | Reject:
    headers = record.rec_headers
    rec_type = record.rec_type or "unknown"
    is_arc = record.format == "arc"
    if is_arc:  # ARC has no record ids: the document id is then "url@offset"
        url, record_id, crawled = headers.get_header("uri"), None, _arc_date(headers.get_header("archive-date"))
    else:
        url, crawled = headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date")
        record_id = (headers.get_header("WARC-Record-ID") or "").strip("<>") or None

    def skip(why: str = "") -> Reject:
        where = f"{name}:{records.get_record_offset()}"
        kind = "ARC" if is_arc else "WARC"
        return Reject(where, f"skipped {kind} {rec_type} record" + (f": {why}" if why else ""), record_id)

    if rec_type not in ("response", "resource"):
        return skip()
    content_type = ""
    if record.http_headers is not None and rec_type == "response":
        status = record.http_headers.get_statuscode() or ""
        if not status.startswith("2"):
            return skip(f"HTTP {status or 'status missing'}")
        content_type = record.http_headers.get_header("Content-Type") or ""
    elif rec_type == "resource":
        content_type = headers.get_header("Content-Type") or ""
    else:
        return skip("no HTTP headers")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in HTML_TYPES and media_type not in UNLABELLED_TYPES:
        return skip(f"not HTML ({media_type})")
    body = record.content_stream().read(options.max_bytes + 1)
    where = f"{name}:{records.get_record_offset()}"
    doc_id = record_id or f"{url}@{records.get_record_offset()}"
    if len(body) > options.max_bytes:
        return Reject(where, f"larger than the {options.max_bytes:,}-byte limit per document (--max-bytes)", doc_id)
    missing = getattr(record.raw_stream, "limit", 0)
    if missing > 0 and not record.raw_stream.read(1):
        # The archive ends inside this record (an interrupted download): half a page is not a page.
        return Reject(where, f"truncated WARC record: {missing:,} bytes of its Content-Length missing", doc_id)
    try:
        text = _decode(body, content_type)
        if media_type not in HTML_TYPES and not looks_like_html(text):
            return skip(f"not HTML ({media_type or 'no Content-Type'}, and the body does not look like HTML)")
        raw = make_document(text, doc_id, where, url, html_hint=True)
    except InputError as exc:
        return Reject(where, str(exc), doc_id)
    if crawled:
        # Only a fallback for the page's own date (see cleaner.py): a page cannot be newer than its capture.
        return RawDocument(raw.id, raw.source, raw.content, raw.kind, raw.url, {"date": crawled[:10], "crawled": crawled})
    return raw


def _only_newlines(stream: BinaryIO, start: int, size: int) -> bool:
    """Whether the bytes from `start` on are a record separator (an ARC file's last record
    leaves its closing newline outside the record)."""
    if size - start > 4:
        return False
    stream.seek(start)
    return not stream.read().strip()


def _arc_date(stamp: str | None) -> str | None:
    """ARC's 14-digit archive date as the ISO form WARC-Date uses."""
    if not stamp or len(stamp) < 14 or not stamp[:14].isdigit():
        return None
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}Z"


def _decode(body: bytes, content_type: str) -> str:
    """The HTTP header's charset first (it outranks the page's <meta>), then the usual detection."""
    declared = CHARSET.search(content_type)
    encoding = text_encoding(declared.group(1), body) if declared and body else None
    if encoding:
        try:
            return body.decode(LABEL_AS.get(encoding, encoding))  # ISO-8859-1 means windows-1252
        except UnicodeError:
            pass
    return decode(body)
