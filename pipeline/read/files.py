"""Reading, every input: the user's files, folders, JSON Lines and Parquet corpora, web archives
and stdin become raw documents (read/documents.py decodes each one). Anything that cannot
become a document becomes a `Reject` with its reason, so every input is accounted for."""

from __future__ import annotations

import gzip
import io
import json
import sys
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import zstandard

from storysift.document import InputError, RawDocument, Reject, safe_name
from storysift.read.documents import ReadOptions, make_document, read_limited, record_document
from storysift.read.folders import Entry, walk

DOCUMENT_SUFFIXES = {".html", ".htm", ".xhtml", ".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
WARC_SUFFIXES = {".warc", ".arc"}
PARQUET_SUFFIXES = {".parquet"}
# Any of the above may also be compressed: the outer suffix says how.
COMPRESSED_SUFFIXES = {".gz", ".zst"}
MULTI_RECORD_SUFFIXES = JSONL_SUFFIXES | WARC_SUFFIXES | PARQUET_SUFFIXES
GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"
# Rows held in memory at once when reading Parquet: each row is a whole page. Fewer when the
# row group's pages are long: a batch holds about PARQUET_BATCH_BYTES of them, uncompressed,
# in Arrow's memory; a row past --max-bytes is rejected there and never becomes a Python
# string (5 rows of 200 MB, 40 KB compressed, took 3.2 GB as one batch of Python strings).
PARQUET_BATCH_ROWS = 256
PARQUET_BATCH_BYTES = 64 << 20
# Arrow decodes a whole Parquet page to read one of its rows, and a writer may put all of a row
# group's rows in one page (pyarrow checks the page size every 1,024 values). A row group whose
# text or HTML column is larger than PARQUET_BATCH_BYTES and expands more than this from its
# compressed size is a decompression bomb: its rows are rejected unread (the probe's 5 rows of
# 200 MB expand 25,000 times). The devset's 607 HTML pages expand 3.3-5.2 times in Parquet
# (snappy, gzip, zstd), 2,000 plain texts 1.7-2.7 times.
PARQUET_MAX_EXPANSION = 100
READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def _open(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when its suffix is .gz or .zst."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".zst":
        return _zstd_reader(path.open("rb"))
    return path.open("rb")


def _zstd_reader(raw: BinaryIO) -> BinaryIO:
    # read_across_frames: a .zst made by appending compressed pieces is one stream.
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return io.BufferedReader(reader)  # type: ignore[arg-type]


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _is_archive(path: Path) -> bool:
    """Whether the file (decompressed) starts like a WARC or ARC file: cheap, 16 bytes."""
    from storysift.read.warc import is_archive_start

    try:
        with _open(path) as stream:
            return is_archive_start(stream.read(16))
    except READ_ERRORS:
        return False


def iter_inputs(inputs: list[str], options: ReadOptions = ReadOptions()) -> Iterator[RawDocument | Reject]:
    """Every document (or reject) of every input, in a deterministic order; ids and sources
    are made safe for UTF-8 here, once (document.safe_name)."""
    for item in _read_inputs(inputs, options):
        doc_id = item.id if item.id is None else safe_name(item.id)
        source = safe_name(item.source)
        yield item if (doc_id, source) == (item.id, item.source) else replace(item, id=doc_id, source=source)


def _read_inputs(inputs: list[str], options: ReadOptions) -> Iterator[RawDocument | Reject]:
    for name in inputs:
        if name == "-":
            yield from _read_stdin(options)
            continue
        root = Path(name)
        if root.is_dir():
            for entry in walk(root):
                if entry.problem is not None:
                    yield Reject(str(entry.path), entry.problem, entry.name)
                else:
                    yield from read_file(entry.path, entry.name, options, from_folder=True)
        elif root.exists():
            yield from read_file(root, root.name, options)
        else:
            yield Reject(name, "no such file or folder")


def count_documents(inputs: list[str]) -> int | None:
    """How many documents (or rejects) the inputs give, when that is known without reading
    them: files and folders of single documents. None for stdin and multi-record files."""
    total = 0
    for name in inputs:
        root = Path(name)
        if root.is_dir():
            entries = list(walk(root))
        elif root.is_file():
            entries = [Entry(root, root.name)]
        else:
            return None
        if any(entry.problem is None and _base_suffix(entry.path) in MULTI_RECORD_SUFFIXES for entry in entries):
            return None
        total += len(entries)
    return total


def read_file(path: Path, doc_id: str, options: ReadOptions, from_folder: bool = False) -> Iterator[RawDocument | Reject]:
    suffix = _base_suffix(path)
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(path, options)
        return
    if suffix in PARQUET_SUFFIXES:
        yield from read_parquet(path, options)
        return
    if suffix in WARC_SUFFIXES or _is_archive(path):
        yield from read_archive(path, options)
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
    except READ_ERRORS as exc:
        yield Reject(str(path), f"unreadable: {exc}", doc_id)


def read_jsonl(path: Path, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    try:
        stream = _open(path)
    except OSError as exc:
        yield Reject(str(path), f"unreadable: {exc}")
        return
    with stream:
        yield from _jsonl_records(stream, path.as_posix(), options)


def _bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes]:
    """The stream's lines, each read with at most `limit` + 1 bytes in memory: a longer line
    (a gzip bomb in one record) is skipped a chunk at a time and yields only its first part."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
        yield line


def _jsonl_records(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    lineno = 0
    try:
        for lineno, raw_line in enumerate(_bounded_lines(stream, options.max_bytes), 1):
            where = f"{name}:{lineno}"
            if len(raw_line) > options.max_bytes:  # before the blank test: only its start was read
                yield Reject(where, f"record larger than the {options.max_bytes:,}-byte limit (--max-bytes)")
                continue
            if not raw_line.strip():
                continue
            record, problem = parse_line(raw_line)
            yield record_document(record, where, options) if problem is None else Reject(where, problem)
    except READ_ERRORS as exc:
        yield Reject(f"{name}:{lineno + 1}", f"unreadable: {exc}")


def parse_line(line: bytes) -> tuple[object, str | None]:
    """A JSON Lines line's value and None, or None and why it cannot be read."""
    try:
        return json.loads(line), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = "line is not valid JSON" if line.endswith(b"\n") else "truncated last line"
        return None, f"{reason}: {exc}"
    except RecursionError:  # the parser recurses once per level of nesting
        return None, "line is nested too deeply to parse (about 1,000 levels of JSON arrays or objects)"


def read_archive(path: Path, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    """A WARC or ARC file. warcio undoes per-record gzip itself, so a .warc.gz is handed over
    as stored and record offsets (in each document's source) are offsets in the file on disk."""
    from storysift.read.warc import read_warc

    try:
        stream = _open(path) if path.suffix.lower() == ".zst" else path.open("rb")
    except OSError as exc:
        yield Reject(str(path), f"unreadable: {exc}")
        return
    with stream:
        size = None if path.suffix.lower() == ".zst" else path.stat().st_size
        yield from read_warc(stream, path.as_posix(), options, size)


def read_parquet(path: Path, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    """A Parquet file, read a batch of rows at a time; fields as for JSON Lines records (every
    column but the text, HTML, id and URL becomes metadata), and the source of each document is
    "path:row" (1-based)."""
    try:
        import pyarrow
    except ImportError:
        yield Reject(str(path), "reading Parquet needs pyarrow: pip install 'storysift[parquet]'")
        return
    name, row = path.as_posix(), 0
    try:
        for record in parquet_rows(path, options.max_bytes):
            row += 1
            where = f"{name}:{row}"
            if isinstance(record, str):
                yield Reject(where, record)
                continue
            yield record_document(record, where, options)
    except (OSError, pyarrow.ArrowException) as exc:
        yield Reject(f"{name}:{row + 1}", f"unreadable: {exc}")


def parquet_rows(path: Path, max_bytes: int | None = None) -> Iterator[dict | str]:
    """The rows of a Parquet file as dicts, a batch of about PARQUET_BATCH_BYTES at a time; the
    columns `storysift clean` wrote as JSON text (write/outputs.JSON_COLUMNS_KEY names them) are
    parsed back. A row that is not read comes as the reason (a str): it holds more than
    `max_bytes` in all its columns, or a column of its row group is a decompression bomb."""
    import pyarrow.parquet as pq

    from storysift.write.outputs import JSON_COLUMNS_KEY

    parquet = pq.ParquetFile(path)
    declared = (parquet.schema_arrow.metadata or {}).get(JSON_COLUMNS_KEY.encode())
    json_columns = set(json.loads(declared)) if declared else set()
    for group in range(parquet.num_row_groups):
        metadata = parquet.metadata.row_group(group)
        if bomb := _expansion_problem(metadata, group):
            for _ in range(metadata.num_rows):
                yield bomb
            continue
        for batch in parquet.iter_batches(batch_size=_batch_rows(metadata), row_groups=[group]):
            too_large = _rows_larger_than(batch, max_bytes) if max_bytes is not None else set()
            records = batch.to_pylist() if not too_large else None
            for index in range(batch.num_rows):
                if index in too_large:
                    yield f"record larger than the {max_bytes:,}-byte limit (--max-bytes)"
                    continue
                record = records[index] if records is not None else batch.slice(index, 1).to_pylist()[0]
                for column in json_columns & record.keys():
                    try:
                        record[column] = json.loads(record[column])
                    except (TypeError, ValueError, RecursionError):
                        pass  # not JSON after all (another tool wrote the file): the text as it is
                yield record


def _expansion_problem(group: Any, index: int) -> str | None:
    """Why a row group is not read (a column of it is a decompression bomb), or None. Every
    column counts, not only the text and HTML: a metadata column (or a struct holding the HTML,
    "page.html") of five 100 MB values took 3 GB to read."""
    for i in range(group.num_columns):
        chunk = group.column(i)
        if chunk.total_uncompressed_size <= PARQUET_BATCH_BYTES:
            continue
        if chunk.total_uncompressed_size > PARQUET_MAX_EXPANSION * max(chunk.total_compressed_size, 1):
            return (f"Parquet row group {index + 1}: its '{chunk.path_in_schema}' column expands "
                    f"{chunk.total_uncompressed_size / max(chunk.total_compressed_size, 1):,.0f} times "
                    f"({chunk.total_uncompressed_size:,} bytes from {chunk.total_compressed_size:,}), "
                    f"more than {PARQUET_MAX_EXPANSION} (a decompression bomb): not read")
    return None


def _batch_rows(group: Any) -> int:
    """Rows per batch for one row group: about PARQUET_BATCH_BYTES, each row counted at the
    average size of its values, or, in a dictionary-encoded column, at the size of the whole
    dictionary (one value of it can be repeated in every row: five rows of one 60 MB value
    store 60 MB and decode to 300 MB)."""
    per_row = 0
    for i in range(group.num_columns):
        chunk = group.column(i)
        size = chunk.total_uncompressed_size
        per_row += size if chunk.has_dictionary_page else size // max(group.num_rows, 1)
    return max(1, min(PARQUET_BATCH_ROWS, PARQUET_BATCH_BYTES // max(per_row, 1)))


def _rows_larger_than(batch: Any, limit: int) -> set[int]:
    """The rows of `batch` that hold more than `limit` bytes in all their columns (as a JSON
    Lines line is held to it whole), measured in Arrow's memory before any becomes Python."""
    if batch.nbytes <= limit:
        return set()
    return {index for index in range(batch.num_rows) if batch.slice(index, 1).nbytes > limit}


def _read_stdin(options: ReadOptions) -> Iterator[RawDocument | Reject]:
    """Standard input, decided by its first bytes: gzip or zstd (undone), a WARC, JSON Lines
    (read and yielded a line at a time, so a pipe streams), or else one document."""
    from storysift.read.warc import is_archive_start, read_warc

    stream: BinaryIO = sys.stdin.buffer
    head = _peek(stream)
    if head.startswith(GZIP_MAGIC):
        stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
    elif head.startswith(ZSTD_MAGIC):
        stream = _zstd_reader(stream)
    if stream is not sys.stdin.buffer:
        head = _peek(stream)
    if is_archive_start(head):
        yield from read_warc(stream, "<stdin>", options)
        return
    if head[:1] == b"{":
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
    except READ_ERRORS as exc:
        yield Reject("<stdin>", f"unreadable: {exc}", "stdin")


def _peek(stream: BinaryIO, size: int = 16) -> bytes:
    """The first bytes without consuming them (may be fewer than `size` on a slow pipe)."""
    try:
        return stream.peek(size)[:size] if hasattr(stream, "peek") else b""
    except READ_ERRORS:
        return b""
