"""Input and output formats: zstd and gzip JSON Lines in and out (byte-identical from run to
run), Parquet in and out, and stdin to stdout streaming for shell pipes."""

import gzip
import io
import json
import re
import select
import subprocess
import sys
import time

import pytest
import zstandard
from typer.testing import CliRunner

from storysift.cli import app
from storysift.document import Reject
from storysift.read.documents import ReadOptions
from storysift.read.files import iter_inputs
from storysift.write.outputs import atomic_text, output_problem

STORY = "The harbour reopened on Monday after repairs. Fishermen said the new wall held in the storm."
PAGE = f"<html><head><title>Harbour reopens</title></head><body><article><p>{STORY}</p></article></body></html>"
RECORDS = [{"id": "a", "text": STORY}, {"id": "b", "html": PAGE, "url": "https://news.example.org/harbour"}]


def jsonl(records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def clean(*args):
    result = CliRunner().invoke(app, ["clean", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def read_records(data: bytes):
    return [json.loads(line) for line in data.decode().splitlines()]


def test_zstd_jsonl_input_including_appended_frames(tmp_path):
    compressor = zstandard.ZstdCompressor()
    path = tmp_path / "pages.jsonl.zst"
    path.write_bytes(compressor.compress(jsonl(RECORDS[:1])) + compressor.compress(jsonl(RECORDS[1:])))
    docs = list(iter_inputs([str(path)]))
    assert [d.id for d in docs] == ["a", "b"]
    assert docs[1].kind == "html" and docs[1].source.endswith("pages.jsonl.zst:2")


def test_zstd_and_gzip_single_documents_in_a_folder(tmp_path):
    (tmp_path / "a.html.zst").write_bytes(zstandard.ZstdCompressor().compress(PAGE.encode()))
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(STORY.encode()))
    docs = list(iter_inputs([str(tmp_path)]))
    assert [(d.id, d.kind) for d in docs] == [("a.html.zst", "html"), ("b.txt.gz", "text")]


def test_corrupt_zstd_is_rejected_not_raised(tmp_path):
    path = tmp_path / "bad.jsonl.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"not zstd at all" * 10)
    [item] = list(iter_inputs([str(path)]))
    assert isinstance(item, Reject) and item.reason.startswith("unreadable")


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_compressed_output_round_trips_and_is_byte_identical_between_runs(tmp_path, suffix):
    source = tmp_path / "pages.jsonl"
    source.write_bytes(jsonl(RECORDS))
    first, second = tmp_path / f"one{suffix}", tmp_path / "again" / f"one{suffix}"
    clean(source, "--out", first)
    time.sleep(1.1)  # a gzip header with a timestamp would now differ
    clean(source, "--out", second)
    assert first.read_bytes() == second.read_bytes()
    raw = first.read_bytes()
    if suffix == ".jsonl.gz":
        assert raw[3] & 0x08 == 0  # FNAME flag unset: no file name in the header
        assert raw[4:8] == b"\0\0\0\0"  # mtime 0
        data = gzip.decompress(raw)
    else:
        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    assert [r["id"] for r in read_records(data)] == ["a", "b"]
    assert list(tmp_path.glob(".*.tmp")) == []


def test_output_is_readable_by_others_like_any_file(tmp_path):
    out = tmp_path / "out.jsonl.gz"
    with atomic_text(out) as stream:
        stream.write("{}\n")
    assert out.stat().st_mode & 0o044  # mkstemp's 0600 would hide it from group and others


@pytest.fixture
def pq():
    """pyarrow.parquet; the Parquet tests skip where the `parquet` extra is not installed."""
    return pytest.importorskip("pyarrow.parquet")


def test_parquet_input_by_batches_with_field_options(tmp_path, pq):
    import pyarrow as pa

    path = tmp_path / "pages.parquet"
    table = pa.table({
        "doc_id": pa.array([7, 8, 9, 10], pa.int64()),
        "page_url": ["https://news.example.org/harbour", None, None, None],
        "raw_html": [PAGE.encode(), None, None, None],  # binary column: decoded like a file
        "body": [None, STORY, "   ", None],
        "unused": ["x", "y", "z", "w"],
    })
    pq.write_table(table, path, row_group_size=3)
    options = ReadOptions(text_field="body", html_field="raw_html", id_field="doc_id", url_field="page_url")
    items = list(iter_inputs([str(path)], options))
    assert [i.id for i in items] == ["7", "8", "9", "10"]
    assert items[0].kind == "html" and items[0].url == "https://news.example.org/harbour"
    assert items[1].kind == "text" and items[1].source.endswith("pages.parquet:2")
    assert isinstance(items[2], Reject) and items[2].reason == "no text: only whitespace"
    assert isinstance(items[3], Reject) and "no string field 'body' or 'raw_html'" in items[3].reason


@pytest.mark.parametrize("layout", [{"write_batch_size": 1, "use_dictionary": False}, {}],
                         ids=["a-page-per-value", "one-dictionary-value-in-four-rows"])
def test_parquet_rows_past_max_bytes_are_rejected_in_arrow_memory_a_row_at_a_time(tmp_path, pq, monkeypatch, layout):
    import tracemalloc

    import pyarrow as pa

    from storysift.read import files

    row = 8 << 20  # five rows of 8 MB compress to a few KB
    path = tmp_path / "bomb.parquet"
    table = pa.table({"id": ["a", "b", "c", "d", "e", "small"], "html": [None] * 5 + [PAGE.encode()],
                      "text": ["x" * row] * 4 + [None, None]})
    table = table.set_column(1, "html", pa.array([None] * 4 + [b"<p>" * (row // 3), PAGE.encode()]))
    pq.write_table(table, path, compression="zstd", **layout)
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(files, "PARQUET_BATCH_BYTES", row)  # a batch of about one such row
    monkeypatch.setattr(files, "PARQUET_MAX_EXPANSION", 10**9)  # the length check, not the bomb check below
    previous, pool = pa.default_memory_pool(), pa.proxy_memory_pool(pa.system_memory_pool())
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        items = list(iter_inputs([str(path)], ReadOptions(max_bytes=1 << 20)))
        python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    assert [(i.source.rsplit(":", 1)[1], type(i).__name__) for i in items] == [
        ("1", "Reject"), ("2", "Reject"), ("3", "Reject"), ("4", "Reject"), ("5", "Reject"), ("6", "RawDocument")]
    assert items[0].reason == "record larger than the 1,048,576-byte limit (--max-bytes)"
    assert python_peak < row  # no oversized row became a Python string
    assert pool.max_memory() < 5 * row  # nor were they held all at once in Arrow's memory (measured: 3 rows)


def test_a_parquet_row_group_that_expands_like_a_bomb_is_rejected_unread(tmp_path, pq, monkeypatch):
    import pyarrow as pa

    from storysift.read import files

    row = 8 << 20
    path = tmp_path / "bomb.parquet"
    with pq.ParquetWriter(path, pa.schema([("id", pa.string()), ("text", pa.string())]), compression="zstd") as out:
        # pyarrow puts all five in one page: reading any of them decodes 40 MB
        out.write_table(pa.table({"id": list("abcde"), "text": ["x" * row] * 5}))
        out.write_table(pa.table({"id": ["small"], "text": [STORY]}))
    monkeypatch.setattr(files, "PARQUET_BATCH_BYTES", row)
    previous, pool = pa.default_memory_pool(), pa.proxy_memory_pool(pa.system_memory_pool())
    pa.set_memory_pool(pool)
    try:
        items = list(iter_inputs([str(path)], ReadOptions()))
    finally:
        pa.set_memory_pool(previous)
    assert [(i.source.rsplit(":", 1)[1], type(i).__name__) for i in items] == [
        ("1", "Reject"), ("2", "Reject"), ("3", "Reject"), ("4", "Reject"), ("5", "Reject"), ("6", "RawDocument")]
    assert re.fullmatch(r"Parquet row group 1: its 'text' column expands [\d,]+ times \([\d,]+ bytes from [\d,]+\), "
                        r"more than 100 \(a decompression bomb\): not read", items[0].reason)
    assert pool.max_memory() < row  # the 40 MB page was never decoded


def test_parquet_output_loads_with_pyarrow_and_pandas(tmp_path, pq):
    source = tmp_path / "pages.jsonl"
    source.write_bytes(jsonl(RECORDS))
    out = tmp_path / "clean.parquet"
    clean(source, "--out", out)
    table = pq.read_table(out)
    assert table.column_names == ["id", "source", "url", "site", "kind", "title", "author", "date", "text",
                                  "links", "removed", "counts", "metadata"]
    rows = table.to_pylist()
    expected = read_records(CliRunner().invoke(app, ["clean", str(source)]).stdout.encode())
    assert rows == [{**r, "metadata": None} for r in expected]  # the JSON Lines fields; no metadata here
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(out)
    assert list(frame["id"]) == ["a", "b"]


def test_metadata_travels_through_clean_to_jsonl_and_parquet_and_back(tmp_path, pq):
    import datetime

    import pyarrow as pa

    source = tmp_path / "pages.parquet"
    pq.write_table(pa.table({
        "id": ["a", "b"], "text": [STORY, STORY + " Again."],
        "crawled": [datetime.datetime(2024, 5, 1, 12, 30), None], "extra": [{"lang": "en"}, None],
    }), source)
    jsonl_out, parquet_out = tmp_path / "clean.jsonl", tmp_path / "clean.parquet"
    clean(source, "--out", jsonl_out)
    clean(source, "--out", parquet_out)
    first, second = read_records(jsonl_out.read_bytes())
    assert first["metadata"] == {"crawled": "2024-05-01T12:30:00", "extra": {"lang": "en"}}
    assert second["metadata"] == {"crawled": None, "extra": None}
    table = pq.read_table(parquet_out)
    assert json.loads(table.column("metadata")[0].as_py()) == first["metadata"]  # JSON text for pandas and DuckDB
    # Read back by storysift, the column is an object again: a second clean keeps it as it was.
    again = read_records(clean(parquet_out).stdout.encode())
    assert again[0]["metadata"]["crawled"] == "2024-05-01T12:30:00"
    assert again[0]["metadata"]["extra"] == {"lang": "en"}


def test_parquet_output_is_written_in_row_groups(tmp_path, monkeypatch, pq):
    import storysift.write.outputs

    monkeypatch.setattr(storysift.write.outputs, "PARQUET_GROUP_ROWS", 2)
    source = tmp_path / "pages.jsonl"
    source.write_bytes(jsonl([{"id": str(n), "text": f"{STORY} Number {n}."} for n in range(5)]))
    out = tmp_path / "clean.parquet"
    clean(source, "--out", out)
    assert pq.ParquetFile(out).metadata.num_row_groups == 3


def test_parquet_output_with_no_documents_is_still_a_table(tmp_path, pq):
    source = tmp_path / "empty.jsonl"
    source.write_bytes(jsonl([{"id": "x", "text": "  "}]))
    out = tmp_path / "clean.parquet"
    # Its one record is rejected, so the run exits 3 (nothing to trust), but the file is whole.
    assert CliRunner().invoke(app, ["clean", str(source), "--out", str(out)]).exit_code == 3
    table = pq.read_table(out)
    assert table.num_rows == 0 and "text" in table.column_names


def test_parquet_without_pyarrow_is_refused_before_any_work(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert "pip install 'storysift[parquet]'" in output_problem("out.parquet")
    assert output_problem("out.jsonl.zst") is None


@pytest.mark.parametrize("name", ["x.csv", "x.json", "clean.txt", "out"])
def test_an_output_name_of_no_record_format_is_refused_before_any_work(tmp_path, name):
    source = tmp_path / "pages.jsonl"
    source.write_bytes(jsonl(RECORDS))
    result = CliRunner().invoke(app, ["clean", str(source), "--out", str(tmp_path / name)])
    assert result.exit_code == 2 and "no record format has that name" in result.stderr
    assert not (tmp_path / name).exists()


def test_stdin_to_stdout_streams_each_record_before_input_ends():
    command = [sys.executable, "-m", "storysift.cli", "clean", "-", "--out", "-"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        proc.stdin.write(jsonl(RECORDS[:1]))
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no output while stdin was still open: the pipe does not stream"
        assert json.loads(proc.stdout.readline())["id"] == "a"
        proc.stdin.write(jsonl(RECORDS[1:]))
        proc.stdin.close()
        rest = proc.stdout.read()
        assert proc.wait(timeout=60) == 0
    assert [r["id"] for r in read_records(rest)] == ["b"]


def test_compressed_jsonl_on_stdin(tmp_path):
    command = [sys.executable, "-m", "storysift.cli", "clean", "-", "--out", "-"]
    for data in (gzip.compress(jsonl(RECORDS)), zstandard.ZstdCompressor().compress(jsonl(RECORDS))):
        result = subprocess.run(command, input=data, capture_output=True, timeout=120, check=True)
        assert [r["id"] for r in read_records(result.stdout)] == ["a", "b"]
