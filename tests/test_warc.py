"""WARC input: HTML responses become documents with their target URL, record id and crawl
date; every other record is skipped and counted. Archives are written here with warcio."""

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storysift.cli import app
from storysift.document import Reject
from storysift.read.documents import ReadOptions
from storysift.read.files import iter_inputs
from storysift.run.engine import run_cleaning

PARAGRAPH = "<p>The river rose two metres overnight and the town council opened the school hall to families from the lower streets.</p>"
ARTICLE = f"<html><head><title>Flood in the valley</title></head><body><article><h1>Flood in the valley</h1>{PARAGRAPH * 4}</article></body></html>"


def response(writer, url, body, content_type="text/html; charset=utf-8", status="200 OK", date="2024-03-05T06:07:08Z"):
    headers = [("Content-Type", content_type)] if content_type else []
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                     warc_headers_dict={"WARC-Date": date})


def request(writer, url):
    http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True)
    return writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=http)


def write_warc(path: Path, records, gzip_records=True) -> Path:
    """`records` is a list of functions of the writer, each returning one record."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzip_records)
        for make in records:
            writer.write_record(make(writer))
    return path


def crawl(path: Path, gzip_records=True) -> Path:
    """One of each: warcinfo, request, HTML response, image response, 404, metadata, revisit."""
    return write_warc(path, [
        lambda w: w.create_warcinfo_record(path.name, {"software": "storysift tests"}),
        lambda w: request(w, "https://example.com/flood"),
        lambda w: response(w, "https://example.com/flood", ARTICLE.encode()),
        lambda w: response(w, "https://example.com/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        lambda w: response(w, "https://example.com/gone", ARTICLE.encode(), status="404 Not Found"),
        lambda w: w.create_warc_record("https://example.com/flood", "metadata",
                                       payload=io.BytesIO(b"outlinks: none\n"), warc_content_type="application/warc-fields"),
        lambda w: w.create_revisit_record("https://example.com/flood", "sha1:AAAA", "https://example.com/flood",
                                          "2024-03-04T00:00:00Z"),
    ], gzip_records)


def test_html_response_becomes_document_with_target_url_record_id_and_crawl_date(tmp_path):
    items = list(iter_inputs([str(crawl(tmp_path / "crawl.warc.gz"))]))
    docs = [i for i in items if not isinstance(i, Reject)]
    assert len(docs) == 1
    doc = docs[0]
    assert doc.url == "https://example.com/flood"
    assert doc.kind == "html"
    assert doc.id.startswith("urn:uuid:")
    assert doc.meta == {"date": "2024-03-05", "crawled": "2024-03-05T06:07:08Z"}
    path, _, offset = doc.source.rpartition(":")
    assert path.endswith("crawl.warc.gz") and offset.isdigit()
    # The offset is where the record starts in the file on disk: one gzip member from there.
    with open(path, "rb") as stream:
        stream.seek(int(offset))
        member = gzip.GzipFile(fileobj=stream).read(200)
    assert member.startswith(b"WARC/1.") and b"WARC-Type: response" in member


def test_every_other_record_is_skipped_with_its_type_and_counted_in_the_report(tmp_path, rules):
    source = crawl(tmp_path / "crawl.warc.gz")
    report = run_cleaning([str(source)], tmp_path / "out", rules)
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["inputs"] == {"read": 7, "written": 1, "rejected": 0, "skipped": 6}
    assert data["inputs"]["read"] == report.written + report.rejected + report.skipped
    assert data["reject_reasons"] == {}
    assert data["skip_reasons"] == {  # each with its detail
        "skipped WARC metadata record": 1,
        "skipped WARC request record": 1,
        "skipped WARC response record: HTTP 404": 1,
        "skipped WARC response record: not HTML (image/png)": 1,
        "skipped WARC revisit record": 1,
        "skipped WARC warcinfo record": 1,
    }
    assert data["files"][source.as_posix()] == {"read": 7, "written": 1, "rejected": 0, "skipped": 6}
    assert (tmp_path / "out" / "rejects.jsonl").read_text() == ""  # skips are counted, not rejects
    clean = json.loads((tmp_path / "out" / "clean.jsonl").read_text())
    assert clean["url"] == "https://example.com/flood"
    assert clean["date"] == "2024-03-05"  # the page names no date: the capture date stands in
    assert "river rose two metres" in clean["text"]


def test_page_date_wins_over_crawl_date(tmp_path, rules):
    page = ARTICLE.replace("<title>", '<meta property="article:published_time" content="2023-11-20"><title>')
    source = write_warc(tmp_path / "a.warc.gz", [lambda w: response(w, "https://example.com/a", page.encode())])
    run_cleaning([str(source)], tmp_path / "out", rules)
    assert json.loads((tmp_path / "out" / "clean.jsonl").read_text())["date"] == "2023-11-20"


def test_uncompressed_warc_is_recognised_by_content_whatever_its_name(tmp_path):
    source = crawl(tmp_path / "download.bin", gzip_records=False)
    assert source.read_bytes().startswith(b"WARC/1.")
    docs = [i for i in iter_inputs([str(source)]) if not isinstance(i, Reject)]
    assert [d.url for d in docs] == ["https://example.com/flood"]


def test_warc_in_a_folder_is_read_like_any_file(tmp_path):
    (tmp_path / "in").mkdir()
    crawl(tmp_path / "in" / "part-0.warc.gz")
    (tmp_path / "in" / "page.html").write_text(ARTICLE)
    docs = [i for i in iter_inputs([str(tmp_path / "in")]) if not isinstance(i, Reject)]
    assert sorted(d.url or d.id for d in docs) == ["https://example.com/flood", "page.html"]


def test_unlabelled_body_is_sniffed_html_is_read_and_binary_is_skipped(tmp_path):
    source = write_warc(tmp_path / "a.warc.gz", [
        lambda w: response(w, "https://example.com/a", ARTICLE.encode(), content_type=None),
        lambda w: response(w, "https://example.com/b", b"just some words, no markup", content_type="application/octet-stream"),
    ])
    items = list(iter_inputs([str(source)]))
    assert not isinstance(items[0], Reject) and items[0].url == "https://example.com/a"
    assert isinstance(items[1], Reject) and items[1].skipped
    assert "does not look like HTML" in items[1].reason


def test_http_header_charset_decodes_the_body(tmp_path):
    page = "<html><body><article><p>Caf\u00e9 owners \u201cwelcomed\u201d the decision.</p></article></body></html>"
    source = write_warc(tmp_path / "a.warc.gz", [
        lambda w: response(w, "https://example.com/a", page.encode("cp1252"), "text/html; charset=windows-1252"),
    ])
    [doc] = list(iter_inputs([str(source)]))
    assert "Caf\u00e9 owners \u201cwelcomed\u201d" in doc.content


def test_record_over_the_size_limit_is_rejected_not_skipped(tmp_path):
    source = write_warc(tmp_path / "a.warc.gz", [lambda w: response(w, "https://example.com/a", ARTICLE.encode())])
    [item] = list(iter_inputs([str(source)], ReadOptions(max_bytes=100)))
    assert isinstance(item, Reject) and not item.skipped
    assert "100-byte limit" in item.reason
    assert item.id.startswith("urn:uuid:")


def test_archive_cut_inside_a_record_rejects_that_record(tmp_path):
    whole = crawl(tmp_path / "crawl.warc", gzip_records=False).read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(whole[: whole.index(b"Flood in the valley") + 200])
    items = list(iter_inputs([str(cut)]))
    assert [i.reason.split(":")[0] for i in items] == [
        "skipped WARC warcinfo record", "skipped WARC request record", "truncated WARC record"]


def test_archive_cut_inside_the_headers_is_rejected_as_unreadable(tmp_path):
    whole = crawl(tmp_path / "crawl.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    with (tmp_path / "crawl.warc.gz").open("rb") as stream:
        records = ArchiveIterator(stream)
        third = [records.get_record_offset() for _ in records][2]
    cut.write_bytes(whole[: third + 60])  # inside the third record's WARC headers
    items = list(iter_inputs([str(cut)]))
    assert [i.skipped for i in items] == [True, True, False]
    assert items[-1].reason.startswith("unreadable WARC after the record at byte")


def test_clean_prints_skip_counts_and_strict_does_not_stop_on_a_skip(tmp_path):
    source = crawl(tmp_path / "crawl.warc.gz")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["clean", str(source), "--out", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert "skipped WARC request record: 1" in result.output
    # Each skip keeps its detail: why a response was passed over.
    assert "skipped WARC response record: HTTP 404: 1" in result.output
    assert "skipped WARC response record: not HTML (image/png): 1" in result.output
    assert [json.loads(line)["url"] for line in out.read_text().splitlines()] == ["https://example.com/flood"]
    assert not Path(f"{out}.rejects.jsonl").exists()


def test_gzipped_warc_on_stdin(tmp_path):
    source = crawl(tmp_path / "crawl.warc.gz")
    result = subprocess.run([sys.executable, "-m", "storysift.cli", "clean", "-", "--out", "-"],
                            input=source.read_bytes(), capture_output=True, timeout=120, check=True)
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["url"] == "https://example.com/flood"
    assert record["source"].startswith("<stdin>:")


def test_arc_file_response_becomes_document_with_url_and_offset_as_id(tmp_path):
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + ARTICLE.encode()
    header_body = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = b"filedesc://old.arc 0.0.0.0 20040101000000 text/plain %d\n%s\n" % (len(header_body), header_body)
    offset = len(arc)
    arc += b"http://example.com/flood 1.2.3.4 20040305060708 text/html %d\n%s\n" % (len(body), body)
    (tmp_path / "old.arc").write_bytes(arc)
    items = list(iter_inputs([str(tmp_path / "old.arc")]))
    assert [i.reason for i in items if isinstance(i, Reject)] == ["skipped ARC arc_header record"]
    [doc] = [i for i in items if not isinstance(i, Reject)]
    assert (doc.id, doc.url) == (f"http://example.com/flood@{offset}", "http://example.com/flood")
    assert doc.meta["crawled"] == "2004-03-05T06:07:08Z"


def test_zstd_compressed_warc(tmp_path):
    import zstandard

    plain = crawl(tmp_path / "crawl.warc", gzip_records=False)
    packed = tmp_path / "crawl.warc.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    docs = [i for i in iter_inputs([str(packed)]) if not isinstance(i, Reject)]
    assert [d.url for d in docs] == ["https://example.com/flood"]


def test_explain_shows_the_archive_pages_and_passes_over_skipped_records(tmp_path):
    source = crawl(tmp_path / "crawl.warc.gz")
    result = CliRunner().invoke(app, ["explain", str(source), "--no-color"])
    assert result.exit_code == 0, result.output
    assert "river rose two metres" in result.output


def test_strict_run_does_not_stop_at_skipped_warc_records(tmp_path, rules):
    from storysift.run.engine import RunOptions

    report = run_cleaning([str(crawl(tmp_path / "crawl.warc.gz"))], tmp_path / "out", rules, RunOptions(strict=True))
    assert (report.written, report.rejected, report.skipped, report.stopped) == (1, 0, 6, None)


def test_a_run_whose_archive_holds_only_skipped_records_found_no_document_and_exits_3(tmp_path):
    source = write_warc(tmp_path / "requests.warc.gz", [
        lambda w: w.create_warcinfo_record("requests.warc.gz", {"software": "storysift tests"}),
        lambda w: request(w, "https://example.com/flood"),
    ])
    result = CliRunner().invoke(app, ["run", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3 and "no input document found" in result.stderr
    assert "2 read, 0 written, 0 rejected, 2 skipped" in result.stderr
