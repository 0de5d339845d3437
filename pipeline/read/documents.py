"""Reading, one document: bytes or a JSON record to a raw document, decoding the bytes (byte-order
mark, declared charset, detection) and deciding HTML versus text by content."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from typing import BinaryIO

from charset_normalizer import from_bytes

from storysift.document import InputError, RawDocument, Reject, without_lone_surrogates
from storysift.read.fields import TOO_DEEP, field_value, metadata_of, nesting_deeper_than

# A page above this size is a dump or an attack, not an article (the largest devset page is
# 1.3 MB); override with --max-bytes. It is also the only bound on a line: the text rules are
# linear (RE2, and word counts that stop at a rule's max_words), so there is no per-line cap;
# a 10 MB one-line document cleans in ~1 s.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


SNIFF_BYTES = 8192


BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


# Codec names of the encodings with a NUL byte in every ASCII character (utf-16, utf-16-le, utf-32-be...).
WIDE_UNICODE = ("utf-16", "utf-32")


LABEL_AS = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254"}


META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)


LEADING_BLOCKS = ("<style", "<script", "<!--", "<?xml")


HTML_MARKERS = re.compile(r"<(!doctype\s+html|html|head|body)\b", re.I)


TAG_LINE_SHARE = 0.25
HTML_TAGS = re.compile(r"</?(p|div|br|a|span|h[1-6]|li|ul|ol|table|tr|td|article|section|img|meta|title|script)\b[^<>]{0,500}>", re.I)


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    html_field: str = "html"
    id_field: str = "id"
    url_field: str = "url"
    max_bytes: int = DEFAULT_MAX_BYTES


def looks_like_html(text: str) -> bool:
    head = text[:SNIFF_BYTES]
    # A page may open with a long <style> or <script> block (51 KB on one devset page) that
    # pushes every other tag past the sniffed bytes; no plain text starts that way.
    if head.lstrip()[:8].lower().startswith(LEADING_BLOCKS):
        return True
    if HTML_MARKERS.search(head):
        return True
    if len(HTML_TAGS.findall(head)) < 3:
        return False
    # A page saved as text can hold a few tags as text (a <noscript> image or an ad's markup that
    # html-text kept: 44 of the 1,381 dragnet pages rendered with it). Markup without <html> is
    # HTML when its tags are spread over it: on at least TAG_LINE_SHARE of its non-blank lines
    # (a fragment or minified page on one line, hand-written HTML a tag a line), or when it opens
    # with a tag (a page whose first lines are long scripts).
    if HTML_TAGS.match(head.lstrip()):
        return True
    lines = [line for line in head.splitlines() if line.strip()]
    return sum(1 for line in lines if HTML_TAGS.search(line)) >= TAG_LINE_SHARE * len(lines)


ASCII_MARKUP = b'<html><meta charset="x"> Az09=/!.,:;()'


def text_encoding(label: str, data: bytes) -> str | None:
    """The codec a charset declared for `data` names, or None: when Python has no such codec, when
    it does not turn bytes into text (rot13, base64, zlib, hex, bz2, uu, quopri: LookupError on
    decode), or when it is UTF-16 or UTF-32 and `data` has no NUL byte, which every ASCII character
    of those encodings has (any even run of bytes decodes as UTF-16: a single-byte page so
    labelled became CJK). A <meta> is only found in ASCII bytes, so as in browsers (WHATWG) its
    UTF-16 label never counts."""
    try:
        codec = codecs.lookup(label)
    except LookupError:
        return None
    if not codec._is_text_encoding:
        return None
    if codec.name.startswith(WIDE_UNICODE):
        return codec.name if b"\x00" in data[:SNIFF_BYTES] else None
    # A declaration is read from ASCII bytes, so an encoding that does not read ASCII as ASCII
    # (EBCDIC: cp037, cp500...) cannot be the page's: trusted, it turned the page into garbage.
    try:
        return codec.name if ASCII_MARKUP.decode(codec.name) == ASCII_MARKUP.decode("ascii") else None
    except UnicodeError:
        return None


# Of the characters of valid UTF-8 holding NULs, at most this share may be other control
# characters (not tab, newline or carriage return) for it to be text: a binary format that
# happens to be valid UTF-8 (all-zero padding, small integers) is mostly such bytes.
MAX_CONTROL_SHARE = 0.05
CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_with_nuls(data: bytes) -> str:
    """Valid UTF-8 text with NUL characters in it, as a scraper writes a UTF-16 source it read
    byte by byte ("P\\0a\\0u\\0l\\0"): the NULs are dropped. Anything else holding NUL bytes
    is binary and refused."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("binary content (NUL bytes), not text or HTML") from None
    text = text.replace("\x00", "")
    if not text.strip() or len(CONTROL.findall(text[:SNIFF_BYTES])) > MAX_CONTROL_SHARE * len(text[:SNIFF_BYTES]):
        raise InputError("binary content (NUL bytes), not text or HTML")
    return text


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
        return text_with_nuls(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = META_CHARSET.search(data[:SNIFF_BYTES])
    if declared:
        encoding = text_encoding(declared.group(1).decode("ascii"), data)
        # As browsers do (WHATWG Encoding): a page labelled ISO-8859-1 or ASCII is read as
        # windows-1252, whose 0x80-0x9F are the “smart quotes”, dashes and € such pages use;
        # the label itself if one of the five bytes windows-1252 leaves undefined turns up.
        for candidate in dict.fromkeys([LABEL_AS.get(encoding, encoding), encoding] if encoding else []):
            try:
                return data.decode(candidate)
            except UnicodeError:  # UnicodeDecodeError, or the "undefined" codec's refusal
                pass
    matches = from_bytes(data[:1_000_000])
    best = matches.best()
    if best is None or best.encoding is None:
        raise InputError("undecodable bytes: not UTF-8 and no text encoding fits")
    # On a tie, windows-1252 (the web's default for unlabelled pages): on Western text
    # cp1250 and cp1257 often score the same and come first, turning "naïve" into "naďve".
    best = next((m for m in matches if m.encoding == "cp1252" and (m.chaos, m.coherence) == (best.chaos, best.coherence)), best)
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


def make_document(data: bytes | str, doc_id: str, source: str, url: str | None = None,
                  html_hint: bool = False) -> RawDocument:
    """A raw document from bytes or text; raises InputError with the reject reason."""
    if not data:
        raise InputError("empty document")
    # Text from JSON may hold half of a UTF-16 pair ("\ud83d" of a cut emoji): not a character,
    # and no UTF-8 can hold it, so it becomes U+FFFD like any other broken character.
    text = decode(data) if isinstance(data, bytes) else without_lone_surrogates(data)
    if not text.strip():
        raise InputError("no text: only whitespace")
    kind = "html" if html_hint or looks_like_html(text) else "text"
    return RawDocument(doc_id, source, text, kind, url)


def record_document(record: object, where: str, options: ReadOptions) -> RawDocument | Reject:
    """A JSON Lines or Parquet record as a raw document: text or HTML, id and URL from the fields
    the options name (dotted paths reach into nested objects), every other field as metadata."""
    if not isinstance(record, dict):
        return Reject(where, "record is not a JSON object")
    if nesting_deeper_than(record):
        return Reject(where, TOO_DEEP)
    raw_id = field_value(record, options.id_field)
    if isinstance(raw_id, (list, dict)):
        return Reject(where, f"record's '{options.id_field}' is a JSON {'array' if isinstance(raw_id, list) else 'object'}, "
                             "not a string or number")
    doc_id = str(raw_id) if raw_id is not None else where
    url = field_value(record, options.url_field)
    url = url if isinstance(url, str) else None
    html = field_value(record, options.html_field)
    text = field_value(record, options.text_field)
    # bytes come only from Parquet binary columns; make_document decodes them like a file.
    body, is_html = (html, True) if isinstance(html, (str, bytes)) and html.strip() else (text, False)
    if not isinstance(body, (str, bytes)):
        return Reject(where, f"record has no string field '{options.text_field}' or '{options.html_field}'", doc_id)
    try:
        raw = make_document(body, doc_id, where, url, html_hint=is_html)
    except InputError as exc:
        return Reject(where, str(exc), doc_id)
    used = (options.text_field, options.html_field, options.id_field, options.url_field)
    return replace(raw, metadata=metadata_of(record, used))

