"""Writing: JSON Lines (plain, .gz or .zst), Parquet and JSON outputs, each written to a
temporary name beside its target and renamed into place, so an interrupted run never leaves a
truncated file; a FIFO or a character device (/dev/null, a terminal) is written as it is, never
replaced. A write that fails (disk full, read-only folder) raises OutputError naming the file.
Compressed output is byte-identical from run to run."""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterator, Protocol

import zstandard

from storysift.document import has_lone_surrogate

# gzip -6 is the gzip tool's default. zstd -10: on the clean.jsonl of seeds + fixtures (39 records,
# 207 KB) it gave 25.0 KB against 27.3 KB at -3 (gzip -6: 53.2 KB), at ~70 MB/s, thousands of
# times faster than cleaning produces text; -19 saved 3% more at 3 MB/s.
GZIP_LEVEL = 6
ZSTD_LEVEL = 10
# A Parquet row group is flushed at whichever comes first: rows are whole pages, so bytes decide on
# long pages, and the row count keeps groups of short pages readable a piece at a time.
PARQUET_GROUP_ROWS = 1000
PARQUET_GROUP_BYTES = 64 * 1024 * 1024
_UMASK = os.umask(0)
os.umask(_UMASK)


def dumps(record: Any, **options: Any) -> str:
    """JSON of `record`; a lone surrogate (from a file name that is not UTF-8, or a JSON "\ud83d"
    cut from its pair) has no UTF-8 form and made the whole run fail: JSON holding one is written
    with \\u escapes, which read back to the same string."""
    text = json.dumps(record, ensure_ascii=False, **({"separators": (",", ":")} | options))
    return json.dumps(record, **({"separators": (",", ":")} | options)) if has_lone_surrogate(text) else text


class OutputError(Exception):
    """An output that could not be written: the message says what failed, where, and why
    (the system's reason: no space left on device, read-only file system...)."""

    def __init__(self, path: Path | str, error: OSError, doing: str = "write"):
        super().__init__(f"cannot {doing} {path}: {error.strerror or error}")
        self.path, self.error = Path(path), error


@contextmanager
def writing(path: Path | str, doing: str = "write") -> Iterator[None]:
    """An OSError inside the block becomes an OutputError naming `path`."""
    try:
        yield
    except OSError as exc:
        raise OutputError(path, exc, doing) from None


def make_folder(path: Path | str) -> None:
    with writing(path, "create the folder"):
        Path(path).mkdir(parents=True, exist_ok=True)


class _OutputFile(io.FileIO):
    """A file whose failed writes raise OutputError naming the output they were for."""

    def __init__(self, fd: int | str, target: Path):
        super().__init__(fd, "wb")
        self.target = target

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            raise OutputError(self.target, exc) from None


def special_kind(path: Path | str) -> str | None:
    """What `path` is when it exists and is not a regular file ("a folder", "a FIFO"...)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return None


# Outputs written as they are: renaming a temporary file over them would replace the pipe or
# the device (as root, --out /dev/null replaced the system's /dev/null with a regular file).
WRITTEN_IN_PLACE = ("a named pipe (FIFO)", "a character device")


def remove_output(path: Path | str) -> None:
    """Remove a previous run's output file that this run does not write again; a FIFO or a
    device (--rejects /dev/null) is left as it is: as root, removing it removed /dev/null."""
    if special_kind(path) is None:
        Path(path).unlink(missing_ok=True)


def target_problem(path: Path | str) -> str | None:
    """Why a file output can never be written at `path` (checked before any work starts)."""
    kind = special_kind(path)
    if kind is None or kind in WRITTEN_IN_PLACE:
        return None
    return f"{path} is {kind}: refusing to write to it; name a file, a FIFO, a character device or -"


@contextmanager
def atomic_binary(path: Path | str) -> Iterator[BinaryIO]:
    """A binary stream for `path`, written to a temporary name and renamed into place only if
    the block succeeds; a FIFO or character device at `path` is written directly."""
    target = Path(path)
    if special_kind(target) in WRITTEN_IN_PLACE:
        with writing(target, "open"):
            raw = _OutputFile(str(target), target)
        with io.BufferedWriter(raw) as stream:
            yield stream  # type: ignore[misc]
        return
    if problem := target_problem(target):
        raise OutputError(target, IsADirectoryError(problem))
    make_folder(target.parent)
    with writing(target.parent, "create a file in"):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp's 0600 would make every output private
        with io.BufferedWriter(_OutputFile(fd, target)) as stream:
            yield stream  # type: ignore[misc]
            stream.flush()
            with writing(target):
                os.fsync(stream.fileno())
        with writing(target, "rename a finished file to"):
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_text(path: Path | str) -> Iterator[IO[str]]:
    """A text stream for `path`, compressed when it ends in .gz or .zst; "-" is stdout, line
    buffered so each record reaches the next command of a shell pipe as soon as it is written.
    The file appears only if the block succeeds."""
    if str(path) == "-":
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(line_buffering=True)
        yield sys.stdout
        sys.stdout.flush()
        return
    suffix = Path(path).suffix.lower()
    with atomic_binary(path) as raw:
        compressed = _compressor(raw, suffix)
        stream = io.TextIOWrapper(compressed, encoding="utf-8", newline="\n")  # type: ignore[arg-type]
        try:
            yield stream
        finally:
            stream.detach()  # flushes; never closes `raw`, which atomic_binary still has to sync
        if compressed is not raw:
            compressed.close()  # the gzip trailer or the end of the zstd frame


def _compressor(raw: BinaryIO, suffix: str) -> BinaryIO:
    if suffix == ".gz":
        # No file name and mtime 0 in the header: the same records give the same bytes.
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)
    if suffix == ".zst":
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
        return compressor.stream_writer(raw, closefd=False)  # type: ignore[return-value]
    return raw


def write_json(path: Path | str, data: Any) -> None:
    with atomic_text(path) as stream:
        stream.write(dumps(data, indent=2, separators=(",", ": ")))
        stream.write("\n")


class JsonlSink:
    """Appends records as JSON Lines to an open atomic stream."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self.stream.write(dumps(record))
        self.stream.write("\n")
        self.count += 1


class RecordSink(Protocol):
    count: int

    def write(self, record: dict[str, Any]) -> None: ...


# The record formats `clean --out` writes, by the name's suffixes; "-" is JSON Lines on stdout.
RECORD_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".jsonl.zst", ".ndjson.zst", ".parquet")


def output_problem(path: Path | str) -> str | None:
    """Why `path` cannot be written as asked (checked before any work starts), or None."""
    name = str(path).lower()
    if name != "-" and (problem := target_problem(path)):
        return problem
    if name != "-" and not name.endswith(RECORD_SUFFIXES) and special_kind(path) is None:
        return (f"{path}: no record format has that name; --out takes .jsonl or .ndjson (plain, .gz or .zst), "
                ".parquet, or - for stdout")
    if name.endswith(".parquet"):
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            return "writing Parquet needs pyarrow: pip install 'storysift[parquet]'"
    return None


@contextmanager
def record_sink(path: Path | str) -> Iterator[RecordSink]:
    """Where `clean` writes its documents, by the output's name: .parquet is Parquet, anything
    else JSON Lines (compressed for .gz and .zst; "-" is stdout)."""
    if str(path).lower().endswith(".parquet"):
        with atomic_binary(path) as raw:
            sink = ParquetSink(raw)
            try:
                yield sink
            except BaseException:
                sink.abandon()
                raise
            sink.close()
    else:
        with atomic_text(path) as stream:
            yield JsonlSink(stream)


class ParquetSink:
    """Document records as Parquet rows, written a row group at a time. Columns are the JSON
    Lines fields: `removed` is list<struct<rule, text, lines>> and `counts` a struct, which
    pyarrow, pandas and datasets load as lists of dicts; `metadata` (each record's own keys) and
    any field the schema does not know are JSON text columns, named in the file's schema
    metadata under JSON_COLUMNS_KEY so that storysift reads them back as they were."""

    def __init__(self, raw: BinaryIO):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa, self._pq, self._raw = pa, pq, raw
        self._writer: Any = None
        self._rows: list[dict[str, Any]] = []
        self._bytes = 0
        self._json_fields: list[str] = []
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        if self._writer is None:
            self._open(record)
        for name in self._json_fields:
            record = {**record, name: None if record.get(name) is None else dumps(record[name])}
        self._rows.append(record)
        self._bytes += len(record.get("text") or "")
        self.count += 1
        if len(self._rows) >= PARQUET_GROUP_ROWS or self._bytes >= PARQUET_GROUP_BYTES:
            self._flush()

    def _open(self, first: dict[str, Any] | None) -> None:
        schema = document_schema(self._pa)
        extra = [k for k in (first or {}) if k not in schema.names]
        for name in extra:
            schema = schema.append(self._pa.field(name, self._pa.string()))
        self._json_fields = [*JSON_COLUMNS, *extra]
        schema = schema.with_metadata({JSON_COLUMNS_KEY: dumps(self._json_fields)})
        self._writer = self._pq.ParquetWriter(self._raw, schema, compression="zstd")

    def _flush(self) -> None:
        if self._rows:
            table = self._pa.Table.from_pylist(self._rows, schema=self._writer.schema)
            self._writer.write_table(table)
            self._rows, self._bytes = [], 0

    def close(self) -> None:
        if self._writer is None:
            self._open(None)  # no documents: still a valid file with the columns
        self._flush()
        self._writer.close()

    def abandon(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:
                pass  # the temporary file is removed anyway


# Columns of JSON text in a Parquet file storysift writes, listed (as JSON) in the file's schema
# metadata under this key; read/files.parquet_rows parses them back.
JSON_COLUMNS_KEY = "storysift.json_columns"
JSON_COLUMNS = ("metadata",)


def document_schema(pa: Any) -> Any:
    """The Parquet columns of a cleaned document (see Document.as_record)."""
    removal = pa.struct([("rule", pa.string()), ("text", pa.string()), ("lines", pa.list_(pa.int32())),
                         ("votes", pa.string())])
    counts = pa.struct([(name, pa.int64()) for name in ("words_in", "words_out", "lines_out", "removed")])
    return pa.schema([
        ("id", pa.string()), ("source", pa.string()), ("url", pa.string()), ("site", pa.string()), ("kind", pa.string()),
        ("title", pa.string()), ("author", pa.string()), ("date", pa.string()), ("text", pa.string()),
        ("links", pa.list_(pa.string())), ("removed", pa.list_(removal)), ("counts", counts),
        *[(name, pa.string()) for name in JSON_COLUMNS],
    ])
