"""Reading for the corpus stage: a file of records as `storysift clean` writes them (JSON Lines,
plain, .gz or .zst, or Parquet), scanned once for the byte offset of each record and read back by
index later, so the corpus's text is never held in memory. A plain file is read in place; any
other is first written out as plain JSON Lines, a line per record, in a temporary file of the
output folder. A line that is not a JSON object, or a record with no string text field, is a
reject naming its file and line, never one of the records."""

from __future__ import annotations

from array import array
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from storysift.document import Reject
from storysift.read.fields import TOO_DEEP, field_value, json_value, nesting_deeper_than
from storysift.read.files import (COMPRESSED_SUFFIXES, PARQUET_SUFFIXES, READ_ERRORS, _base_suffix, _open, parquet_rows,
                                  parse_line)
from storysift.write.outputs import dumps

# Bytes decompressed at a time: a cut or corrupt file keeps all but its last chunk.
COPY_CHUNK = 64 * 1024


class RecordFile:
    """The records of one file, by index (0-based, in file order, rejects left out)."""

    def __init__(self, path: Path, work_dir: Path, on_reject: Callable[[Reject], None] | None = None):
        self.path = path
        self.name = path.as_posix()
        self.on_reject = on_reject or (lambda reject: None)
        self.rejected = 0
        self.lineno = 0
        self.offsets = array("q")  # 8 bytes a record, no Python object each
        self.plain, self.unreadable, self.refused = plain_jsonl(path, work_dir)
        self.stream = open(self.plain, "rb")

    def close(self) -> None:
        self.stream.close()
        if self.plain != self.path:
            self.plain.unlink(missing_ok=True)

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        """(line number, byte offset, line) of every non-blank line, for `check_record` (which
        worker processes can run: pipeline/corpus/batches.py) and then `add`."""
        self.stream.seek(0)
        offset = self.lineno = 0
        for self.lineno, line in enumerate(self.stream, 1):
            start, offset = offset, offset + len(line)
            if line.strip():
                yield self.lineno, start, line

    def add(self, lineno: int, offset: int, problem: str | None, doc_id: str | None = None) -> int | None:
        """The index of the record at `offset`, or None when the line is a reject (`problem`:
        told to `on_reject` with `doc_id`, `reject_id` of what the line holds)."""
        if problem is not None:
            self._reject(lineno, problem, doc_id)
            return None
        self.offsets.append(offset)
        return len(self.offsets) - 1

    def finish_scan(self) -> None:
        for row, reason in self.refused:  # Parquet rows not read (decompression bombs): blank lines here
            self._reject(row, reason)
        if self.unreadable:  # what could be read is read; the rest of the file is one reject
            self._reject(self.lineno + 1, f"unreadable: {self.unreadable}")

    def _reject(self, lineno: int, reason: str, doc_id: str | None = None) -> None:
        self.rejected += 1
        self.on_reject(Reject(f"{self.name}:{lineno}", reason, doc_id))

    def raw(self, index: int) -> bytes:
        self.stream.seek(self.offsets[index])
        return self.stream.readline()

    def raws(self, indices: Iterable[int]) -> Iterator[tuple[int, bytes]]:
        """(index, line) of each index, in the order given: sequential reads when they ascend."""
        for index in indices:
            yield index, self.raw(index)


def check_record(line: bytes, text_field: str) -> tuple[Any, str | None]:
    """The line's record and None, or what it holds (a record or None) and why it is a reject."""
    record, problem = _parse(line)
    if problem is None and not isinstance(field_value(record, text_field), str):
        problem = f"record has no string field '{text_field}' (--text-field)"
    return record, problem


def reject_id(record: Any, id_field: str) -> str | None:
    """The id a rejected line's record names, if it is a record with one."""
    raw_id = field_value(record, id_field) if isinstance(record, dict) else None
    return str(raw_id) if isinstance(raw_id, (str, int)) else None


def _parse(line: bytes) -> tuple[Any, str | None]:
    """The line's record and None, or None and why it is no record."""
    value, problem = parse_line(line)
    if problem is None and not isinstance(value, dict):
        return None, "record is not a JSON object"
    if problem is None and nesting_deeper_than(value):
        return None, TOO_DEEP  # as the cleaning's reader refuses it
    return value, problem


def plain_jsonl(path: Path, work_dir: Path) -> tuple[Path, str | None, list[tuple[int, str]]]:
    """`path` itself when it is plain JSON Lines, else a temporary plain copy in `work_dir` with
    one line per line (JSON Lines) or row (Parquet), so line numbers stay the file's; why the
    copy stops short (a corrupt or cut compressed file), or None; and the Parquet rows not read,
    with the reason (a blank line stands for each)."""
    suffix = _base_suffix(path)
    if suffix not in PARQUET_SUFFIXES and path.suffix.lower() not in COMPRESSED_SUFFIXES:
        return path, None, []
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".storysift-input.", suffix=".jsonl", dir=work_dir)
    problem, refused = None, []
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                if suffix in PARQUET_SUFFIXES:
                    for number, row in enumerate(parquet_rows(path), 1):
                        if isinstance(row, str):
                            refused.append((number, row))
                            out.write(b"\n")
                        else:
                            out.write(dumps(json_value(row)).encode("utf-8") + b"\n")
                else:
                    with _open(path) as stream:
                        shutil.copyfileobj(stream, out, COPY_CHUNK)
            except ImportError:
                problem = "reading Parquet needs pyarrow: pip install 'storysift[parquet]'"
            except (*READ_ERRORS, ValueError) as exc:  # pyarrow's errors are OSError or ValueError
                problem = str(exc) or type(exc).__name__
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), problem, refused
