"""Reading: turn the user's inputs (files, folders, JSON Lines corpora, stdin) into raw
documents, decoding bytes and deciding HTML versus text by content. Anything that cannot
become a document becomes a `Reject` with its reason, so every input is accounted for."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from charset_normalizer import from_bytes

from pipeline.document import RawDocument

DOCUMENT_SUFFIXES = {".html", ".htm", ".xhtml", ".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
# A page above this size is a dump or an attack, not an article (the largest devset page is
# 1.3 MB); override with --max-bytes.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
SNIFF_BYTES = 8192

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)
HTML_MARKERS = re.compile(r"<(!doctype\s+html|html|head|body)\b", re.I)
HTML_TAGS = re.compile(r"</?(p|div|br|a|span|h[1-6]|li|ul|ol|table|tr|td|article|section|img|meta|title|script)\b[^<>]{0,500}>", re.I)


@dataclass(frozen=True)
class Reject:
    """An input that did not become a document, and why."""

    source: str
    reason: str
    id: str | None = None

    def as_record(self) -> dict[str, str | None]:
        return {"id": self.id, "source": self.source, "reason": self.reason}


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    html_field: str = "html"
    id_field: str = "id"
    url_field: str = "url"
    max_bytes: int = DEFAULT_MAX_BYTES


class InputError(ValueError):
    """Bytes that cannot become text; the message is the reject reason."""


def looks_like_html(text: str) -> bool:
    head = text[:SNIFF_BYTES]
    if HTML_MARKERS.search(head):
        return True
    return len(HTML_TAGS.findall(head)) >= 3


def decode(data: bytes) -> str:
    """Bytes to text: a byte-order mark wins, then strict UTF-8, then the page's declared
    charset, then charset-normalizer's detection. Binary data is refused."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"undecodable bytes after a {encoding} byte-order mark: {exc.reason} at byte {exc.start}") from None
    if b"\x00" in data[:SNIFF_BYTES]:
        raise InputError("binary content (NUL bytes), not text or HTML")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = META_CHARSET.search(data[:SNIFF_BYTES])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise InputError("undecodable bytes: not UTF-8 and no text encoding fits")
    try:
        return data.decode(best.encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"undecodable bytes as {best.encoding}: {exc.reason} at byte {exc.start}") from None


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read at most `max_bytes`; a larger input is refused without reading (or, for gzip,
    decompressing) the rest of it."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"larger than the {max_bytes:,}-byte limit per document (--max-bytes)")
    return data


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def iter_inputs(inputs: list[str], options: ReadOptions = ReadOptions()) -> Iterator[RawDocument | Reject]:
    """Every document (or reject) of every input, in a deterministic order."""
    for name in inputs:
        if name == "-":
            yield from _read_stdin(options)
            continue
        root = Path(name)
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file())
            for path in files:
                if path.name.startswith("."):
                    continue
                yield from read_file(path, path.relative_to(root).as_posix(), options, from_folder=True)
        elif root.exists():
            yield from read_file(root, root.name, options)
        else:
            yield Reject(name, "no such file or folder")


def read_file(path: Path, doc_id: str, options: ReadOptions, from_folder: bool = False) -> Iterator[RawDocument | Reject]:
    suffix = _base_suffix(path)
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(path, options)
        return
    if from_folder and suffix not in DOCUMENT_SUFFIXES:
        yield Reject(str(path), f"unsupported file type '{suffix or path.name}'", doc_id)
        return
    try:
        with _open(path) as stream:
            data = read_limited(stream, options.max_bytes)
        yield make_document(data, doc_id, str(path))
    except InputError as exc:
        yield Reject(str(path), str(exc), doc_id)
    except (OSError, EOFError, zlib.error) as exc:
        yield Reject(str(path), f"unreadable: {exc}", doc_id)


def make_document(data: bytes | str, doc_id: str, source: str, url: str | None = None,
                  html_hint: bool = False) -> RawDocument:
    """A raw document from bytes or text; raises InputError with the reject reason."""
    if not data:
        raise InputError("empty document")
    text = decode(data) if isinstance(data, bytes) else data
    if not text.strip():
        raise InputError("no text: only whitespace")
    kind = "html" if html_hint or looks_like_html(text) else "text"
    return RawDocument(doc_id, source, text, kind, url)


def read_jsonl(path: Path, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    try:
        stream = _open(path)
    except OSError as exc:
        yield Reject(str(path), f"unreadable: {exc}")
        return
    with stream:
        yield from _jsonl_records(stream, path.as_posix(), options)


def _jsonl_records(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    lineno = 0
    try:
        for lineno, raw_line in enumerate(stream, 1):
            where = f"{name}:{lineno}"
            if not raw_line.strip():
                continue
            if len(raw_line) > options.max_bytes:
                yield Reject(where, f"record larger than the {options.max_bytes:,}-byte limit (--max-bytes)")
                continue
            try:
                record = json.loads(raw_line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                truncated = not raw_line.endswith(b"\n")
                reason = "truncated last line" if truncated else "line is not valid JSON"
                yield Reject(where, f"{reason}: {exc}")
                continue
            yield _record_document(record, where, options)
    except (OSError, EOFError, zlib.error) as exc:
        yield Reject(f"{name}:{lineno + 1}", f"unreadable: {exc}")


def _record_document(record: object, where: str, options: ReadOptions) -> RawDocument | Reject:
    if not isinstance(record, dict):
        return Reject(where, "record is not a JSON object")
    raw_id = record.get(options.id_field)
    doc_id = str(raw_id) if raw_id is not None else where
    url = record.get(options.url_field)
    url = url if isinstance(url, str) else None
    html = record.get(options.html_field)
    text = record.get(options.text_field)
    body, is_html = (html, True) if isinstance(html, str) and html.strip() else (text, False)
    if not isinstance(body, str):
        return Reject(where, f"record has no string field '{options.text_field}' or '{options.html_field}'", doc_id)
    try:
        return make_document(body, doc_id, where, url, html_hint=is_html)
    except InputError as exc:
        return Reject(where, str(exc), doc_id)


def _read_stdin(options: ReadOptions) -> Iterator[RawDocument | Reject]:
    stream = sys.stdin.buffer
    head = stream.peek(1)[:1] if hasattr(stream, "peek") else b""
    if head == b"{":
        yield from _jsonl_records(stream, "<stdin>", options)
        return
    try:
        data = read_limited(stream, options.max_bytes)
        if data.lstrip().startswith(b"{"):
            yield from _jsonl_records(io.BytesIO(data), "<stdin>", options)
            return
        yield make_document(data, "stdin", "<stdin>")
    except InputError as exc:
        yield Reject("<stdin>", str(exc), "stdin")
