"""Reading clean JSON Lines back in the corpus stage: a file is scanned once for the offset of
each record, then read a record at a time by index, so the corpus's text is never held."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator


class Corpus:
    """A JSON Lines file, scanned once for offsets and then read back by record index."""

    def __init__(self, path: Path):
        self.path = path
        self.offsets: list[int] = []
        self.stream = open(path, "rb")

    def close(self) -> None:
        self.stream.close()

    def scan(self) -> Iterator[tuple[int, Any]]:
        """(index, parsed record) for every non-blank line; the record is None if unparsable.
        Each scan reads the file again from its start and records the offsets anew."""
        for index, _, record in self.lines():
            yield index, record

    def lines(self) -> Iterator[tuple[int, bytes, Any]]:
        """(index, the line's bytes, parsed record) for every non-blank line, in order."""
        self.offsets = []
        offset = 0
        with open(self.path, "rb") as stream:
            for line in stream:
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                self.offsets.append(start)
                yield len(self.offsets) - 1, line, _parse(line)

    def raw(self, index: int) -> bytes:
        self.stream.seek(self.offsets[index])
        return self.stream.readline()

    def record(self, index: int) -> Any:
        return _parse(self.raw(index))


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: nested ~1,000 deep
        return None
