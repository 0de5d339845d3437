"""Readers: HTML or text decided by content, decoding, rejects with reasons, compressed input,
JSON Lines records and their field options, and the per-document size limit."""

from __future__ import annotations

import codecs
import gzip
import json
import tracemalloc
import zlib

import pytest

from storysift.document import Reject
from storysift.read.documents import ReadOptions, looks_like_html
from storysift.read.files import iter_inputs, read_file

ARTICLE_HTML = (
    "<!DOCTYPE html><html><head><title>Ferry</title></head><body><article>"
    "<p>The council voted on Tuesday to extend the ferry subsidy for three more years.</p>"
    "<p>The operator will receive 2.1 million euros a year.</p></article></body></html>"
)
ARTICLE_TEXT = "Ferry Subsidy Extended\n\nThe council voted on Tuesday to extend the ferry subsidy.\n"
SMART = "“Le café”, she said — it’s naïve to think otherwise. Prix : 5 €."


def read_one(path, options=ReadOptions()):
    items = list(read_file(path, path.name, options))
    assert len(items) == 1
    return items[0]


def read_all(tmp_path, name, data, options=ReadOptions()):
    path = tmp_path / name
    path.write_bytes(data)
    return list(iter_inputs([str(path)], options))


# --- kind by content ------------------------------------------------------------------------

def test_txt_file_holding_html_is_html(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    doc = read_one(path)
    assert doc.kind == "html" and doc.content == ARTICLE_HTML


def test_html_file_holding_plain_text_is_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(ARTICLE_TEXT, encoding="utf-8")
    assert read_one(path).kind == "text"


@pytest.mark.parametrize("text, html", [
    ("<html><body>Hi</body></html>", True),
    ("<p>One</p><p>Two</p>", True),  # three or more common tags, no <html>
    ("Use the <p> tag for paragraphs.", False),  # one tag mentioned in prose
    ("a < b and c > d, said the teacher.", False),
    ("x" * 9000 + "<html>", False),  # only the head of the document is sniffed
    ("<div>\n<p>One</p>\n<p>Two</p>\n</div>", True),  # a tag a line
    # a page saved as text with one line of markup html-text kept from a <noscript>
    ("Storm hits coast\n\n" + '<a href="/ad"><img src="/ad.gif"></a><br>' + "\n\nThe storm hit the coast.\n" * 6, False),
])
def test_looks_like_html(text, html):
    assert looks_like_html(text) is html


# --- decoding -------------------------------------------------------------------------------

def test_cp1252_without_charset_is_not_mojibake(tmp_path):
    body = f"<html><body><p>{SMART}</p><p>Un café près du port de Saint-Rémy.</p></body></html>"
    doc = read_all(tmp_path, "page.html", body.encode("cp1252"))[0]
    assert SMART in doc.content and "café près" in doc.content
    assert "â€" not in doc.content and "Ã©" not in doc.content


def test_declared_charset_is_used_when_not_utf8(tmp_path):
    body = f'<html><head><meta charset="windows-1252"></head><body><p>{SMART}</p></body></html>'
    doc = read_all(tmp_path, "page.html", body.encode("cp1252"))[0]
    assert SMART in doc.content


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1", "us-ascii"])
def test_page_labelled_latin1_is_read_as_windows_1252_like_browsers_do(tmp_path, label):
    body = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={label}"></head><body><p>{SMART}</p></body></html>'
    doc = read_all(tmp_path, "page.html", body.encode("cp1252"))[0]
    assert SMART in doc.content
    assert not any("\x80" <= c <= "\x9f" for c in doc.content)  # no C1 control characters


def test_warc_http_header_latin1_is_read_as_windows_1252(tmp_path):
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = f"<html><body><article><p>{SMART}</p></article></body></html>".encode("cp1252")
    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=ISO-8859-1")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.com/a", "response",
                                                      payload=io.BytesIO(body), http_headers=http))
    (doc,) = list(iter_inputs([str(path)]))
    assert SMART in doc.content


def test_wrong_utf8_label_falls_back_to_detection(tmp_path):
    body = f'<html><head><meta charset="utf-8"></head><body><p>{SMART}</p></body></html>'
    assert SMART in read_all(tmp_path, "page.html", body.encode("cp1252"))[0].content


def test_declared_non_western_charset_is_honoured(tmp_path):
    body = '<html><head><meta charset="koi8-r"></head><body><p>Привет, мир. Новости дня.</p></body></html>'
    assert "Привет, мир. Новости дня." in read_all(tmp_path, "page.html", body.encode("koi8-r"))[0].content


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-8", codecs.BOM_UTF8), ("utf-32-le", codecs.BOM_UTF32_LE),
])
def test_byte_order_mark_decides_the_encoding(tmp_path, encoding, bom):
    doc = read_all(tmp_path, "a.txt", bom + (ARTICLE_TEXT + SMART).encode(encoding))[0]
    assert doc.content == ARTICLE_TEXT + SMART  # BOM gone, text intact
    assert doc.kind == "text"


def test_utf16_html_with_bom_is_html(tmp_path):
    doc = read_all(tmp_path, "a.html", codecs.BOM_UTF16_LE + ARTICLE_HTML.encode("utf-16-le"))[0]
    assert doc.kind == "html" and doc.content == ARTICLE_HTML


# --- rejects --------------------------------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    (b"", "empty document"),
    (b"  \n\t\r\n  ", "no text: only whitespace"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary content (NUL bytes), not text or HTML"),
    (codecs.BOM_UTF8 + b"\xff\xfe broken", "undecodable bytes after a utf-8-sig byte-order mark"),
])
def test_unusable_file_is_rejected_with_reason(tmp_path, data, reason):
    (item,) = read_all(tmp_path, "bad.txt", data)
    assert isinstance(item, Reject)
    assert item.reason.startswith(reason)
    assert item.source == str(tmp_path / "bad.txt") and item.id == "bad.txt"


def test_missing_input_is_a_reject():
    (item,) = iter_inputs(["/nonexistent/storysift/input.txt"])
    assert isinstance(item, Reject) and item.reason == "no such file or folder"


def test_folder_reads_documents_in_order_skips_hidden_rejects_unknown_types(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.html").write_text(ARTICLE_HTML, encoding="utf-8")
    (tmp_path / "a.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not a page")
    items = list(iter_inputs([str(tmp_path)]))
    assert [(type(i).__name__, i.id) for i in items] == [
        ("Reject", ".hidden.txt"), ("RawDocument", "a.txt"), ("RawDocument", "b/two.html"), ("Reject", "notes.docx")]
    assert items[0].skipped and items[0].reason == "skipped hidden file: its name starts with '.'"
    assert items[3].reason == "unsupported file type '.docx'" and not items[3].skipped


# --- compressed input -----------------------------------------------------------------------

def test_gzipped_document_is_read_and_kind_decided_after_decompression(tmp_path):
    (doc,) = read_all(tmp_path, "page.txt.gz", gzip.compress(ARTICLE_HTML.encode("utf-8")))
    assert doc.kind == "html" and doc.content == ARTICLE_HTML


def test_gzipped_documents_in_a_folder_are_read(tmp_path):
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(ARTICLE_HTML.encode()))
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(ARTICLE_TEXT.encode("cp1252")))
    items = list(iter_inputs([str(tmp_path)]))
    assert [(i.id, i.kind) for i in items] == [("a.html.gz", "html"), ("b.txt.gz", "text")]


def test_corrupt_gzip_is_rejected_as_unreadable(tmp_path):
    data = gzip.compress(ARTICLE_TEXT.encode() * 50)
    (item,) = read_all(tmp_path, "page.txt.gz", data[:len(data) // 2])
    assert isinstance(item, Reject) and item.reason.startswith("unreadable")


# --- size limit -----------------------------------------------------------------------------

def gzip_bomb(path, expanded_bytes, prefix=b"", chunk=b"a" * (1 << 20)):
    """A small .gz that expands to `expanded_bytes` (plus the prefix), written without ever
    holding the expanded data in memory."""
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(prefix)
        for _ in range(expanded_bytes // len(chunk)):
            out.write(chunk)
    return path


def test_document_over_max_bytes_is_rejected(tmp_path):
    options = ReadOptions(max_bytes=100)
    ok, = read_all(tmp_path, "ok.txt", b"x" * 100, options)
    big, = read_all(tmp_path, "big.txt", b"x" * 101, options)
    assert ok.content == "x" * 100
    assert isinstance(big, Reject) and "larger than the 100-byte limit" in big.reason


def read_with_peak_memory(path, options):
    """Every item of the input, and the peak of Python allocations while reading it."""
    tracemalloc.start()
    try:
        items = list(iter_inputs([str(path)], options))
        return items, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_bomb_document_rejected_without_full_expansion(tmp_path):
    path = gzip_bomb(tmp_path / "bomb.txt.gz", 200 << 20)  # 200 MB from ~200 KB
    assert path.stat().st_size < 1 << 20
    items, peak = read_with_peak_memory(path, ReadOptions(max_bytes=1 << 20))
    (item,) = items
    assert isinstance(item, Reject) and "larger than the 1,048,576-byte limit" in item.reason
    assert peak < 16 << 20, f"peak memory {peak:,} bytes: the bomb was expanded"


def test_gzip_bomb_jsonl_record_rejected_in_bounded_memory_and_later_records_read(tmp_path):
    """One huge line in a .jsonl.gz: rejected as too large, without holding the line in
    memory, and the records after it are still read."""
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(json.dumps({"id": "first", "text": ARTICLE_TEXT}).encode() + b"\n")
        out.write(b'{"id": "bomb", "text": "')
        chunk = b"a" * (1 << 20)
        for _ in range(200):
            out.write(chunk)
        out.write(b'"}\n')
        out.write(json.dumps({"id": "last", "text": ARTICLE_TEXT}).encode() + b"\n")
    items, peak = read_with_peak_memory(path, ReadOptions(max_bytes=1 << 20))
    assert [getattr(i, "id", None) for i in items] == ["first", None, "last"]
    assert isinstance(items[1], Reject) and items[1].source == f"{path.as_posix()}:2"
    assert "larger than the 1,048,576-byte limit" in items[1].reason
    assert peak < 16 << 20, f"peak memory {peak:,} bytes: the long line was held whole"


# --- JSON Lines -----------------------------------------------------------------------------

def jsonl(*lines):
    return "".join(lines).encode("utf-8")


def record(**fields):
    return json.dumps(fields, ensure_ascii=False) + "\n"


def test_jsonl_broken_line_truncated_last_line_and_missing_field(tmp_path):
    data = jsonl(
        record(id="a", text=ARTICLE_TEXT),
        '{"id": "b", "text": oops}\n',
        "\n",  # blank lines are skipped but still counted
        record(id="c", title="no body here"),
        '["not", "an", "object"]\n',
        record(id="d", text=ARTICLE_TEXT, url="https://example.com/d"),
        '{"id": "e", "text": "cut off in the mid',
    )
    items = read_all(tmp_path, "corpus.jsonl", data)
    name = (tmp_path / "corpus.jsonl").as_posix()
    assert [(type(i).__name__, i.source) for i in items] == [
        ("RawDocument", f"{name}:1"), ("Reject", f"{name}:2"), ("Reject", f"{name}:4"),
        ("Reject", f"{name}:5"), ("RawDocument", f"{name}:6"), ("Reject", f"{name}:7"),
    ]
    assert items[1].reason.startswith("line is not valid JSON")
    assert items[2].reason == "record has no string field 'text' or 'html'" and items[2].id == "c"
    assert items[3].reason == "record is not a JSON object"
    assert items[4].url == "https://example.com/d" and items[4].id == "d"
    assert items[5].reason.startswith("truncated last line")


def test_jsonl_record_with_blank_text_is_rejected_with_reason(tmp_path):
    (item,) = read_all(tmp_path, "c.jsonl", jsonl(record(id="x", text="   ")))
    assert isinstance(item, Reject) and item.reason == "no text: only whitespace" and item.id == "x"


def test_jsonl_html_field_preferred_and_kind_html_even_without_tags(tmp_path):
    (doc,) = read_all(tmp_path, "c.jsonl", jsonl(record(id="x", text=ARTICLE_TEXT, html="Just words, no tags")))
    assert doc.kind == "html" and doc.content == "Just words, no tags"
    (doc,) = read_all(tmp_path, "d.jsonl", jsonl(record(id="y", text=ARTICLE_TEXT, html="  ")))
    assert doc.kind == "text" and doc.content == ARTICLE_TEXT


def test_jsonl_id_defaults_to_file_and_line(tmp_path):
    (doc,) = read_all(tmp_path, "c.jsonl", jsonl("\n", record(text=ARTICLE_TEXT)))
    assert doc.id == f"{(tmp_path / 'c.jsonl').as_posix()}:2"


def test_jsonl_field_options(tmp_path):
    options = ReadOptions(text_field="body", html_field="page", id_field="doc_id", url_field="link")
    data = jsonl(
        record(doc_id=7, body=ARTICLE_TEXT, link="https://example.com/7", text="ignored"),
        record(doc_id="h", page=ARTICLE_HTML, body="ignored"),
        record(id="z", text=ARTICLE_TEXT),  # default field names mean nothing now
    )
    items = read_all(tmp_path, "c.jsonl", data, options)
    assert (items[0].id, items[0].content, items[0].url, items[0].kind) == ("7", ARTICLE_TEXT, "https://example.com/7", "text")
    assert (items[1].id, items[1].kind, items[1].content) == ("h", "html", ARTICLE_HTML)
    assert isinstance(items[2], Reject) and items[2].reason == "record has no string field 'body' or 'page'"


def test_jsonl_field_options_take_dotted_paths_into_nested_objects(tmp_path):
    options = ReadOptions(text_field="page.body", html_field="page.html", id_field="doc.id", url_field="link.href")
    data = jsonl(
        record(doc={"id": 7}, page={"body": ARTICLE_TEXT, "lang": "en"}, link={"href": "https://example.com/7"}),
        record(**{"doc.id": "literal", "page.body": ARTICLE_TEXT}),  # a key that holds the dot wins
        record(doc={"id": 9}, page="not an object"),
    )
    items = read_all(tmp_path, "c.jsonl", data, options)
    assert (items[0].id, items[0].content, items[0].url) == ("7", ARTICLE_TEXT, "https://example.com/7")
    assert items[0].metadata == {"page": {"lang": "en"}}  # doc and link held only what was used
    assert (items[1].id, items[1].content, items[1].metadata) == ("literal", ARTICLE_TEXT, {})
    assert isinstance(items[2], Reject) and items[2].reason == "record has no string field 'page.body' or 'page.html'"


def test_every_other_field_of_a_record_is_kept_as_metadata(tmp_path):
    data = jsonl(
        record(id="a", text=ARTICLE_TEXT, url="https://example.com/a", lang="en", score=0.5,
               crawl={"batch": 3}, metadata={"origin": "cc", "lang": "overridden"}),
        record(id="b", text=ARTICLE_TEXT),
    )
    first, second = read_all(tmp_path, "c.jsonl", data)
    # As datatrove's readers do: the record's own "metadata" object merged, its other fields winning.
    assert first.metadata == {"origin": "cc", "lang": "en", "score": 0.5, "crawl": {"batch": 3}}
    assert second.metadata == {}


def test_jsonl_record_over_max_bytes_is_rejected_and_next_read(tmp_path):
    data = jsonl(record(id="big", text="x" * 500), record(id="small", text="ok"))
    items = read_all(tmp_path, "c.jsonl", data, ReadOptions(max_bytes=200))
    assert isinstance(items[0], Reject) and "larger than the 200-byte limit" in items[0].reason
    assert items[1].id == "small"


def test_jsonl_overlong_record_starting_with_spaces_is_rejected_not_skipped(tmp_path):
    data = jsonl(" " * 300 + record(id="big", text="x"), record(id="small", text="ok"))
    items = read_all(tmp_path, "c.jsonl", data, ReadOptions(max_bytes=200))
    assert isinstance(items[0], Reject) and items[0].source.endswith("c.jsonl:1")
    assert items[1].id == "small"


def test_jsonl_line_of_exactly_max_bytes_is_read(tmp_path):
    line = record(id="fit", text="y" * 50)
    items = read_all(tmp_path, "c.jsonl", jsonl(line, line), ReadOptions(max_bytes=len(line.encode())))
    assert [i.id for i in items] == ["fit", "fit"]


def test_gzipped_jsonl(tmp_path):
    data = gzip.compress(jsonl(record(id="a", text=ARTICLE_TEXT), record(id="b", html=ARTICLE_HTML)))
    items = read_all(tmp_path, "c.jsonl.gz", data)
    assert [(i.id, i.kind) for i in items] == [("a", "text"), ("b", "html")]
    assert items[0].source.endswith("c.jsonl.gz:1")


def test_corrupt_gzipped_jsonl_keeps_what_was_read_and_rejects_the_rest(tmp_path):
    body = jsonl(*(record(id=str(n), text=ARTICLE_TEXT * 20) for n in range(50)))
    data = gzip.compress(body)
    items = read_all(tmp_path, "c.jsonl.gz", data[: len(data) * 2 // 3])
    assert isinstance(items[-1], Reject) and items[-1].reason.startswith("unreadable")
    assert items[0].id == "0" and all(not isinstance(i, Reject) for i in items[:-1])


def test_zlib_level_sanity():
    # the bombs above rely on deflate's ~1000:1 ratio for repeated bytes
    assert len(zlib.compress(b"a" * (1 << 20), 9)) < 2048
