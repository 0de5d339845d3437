"""Writing: JSON Lines and JSON outputs, each written to a temporary name beside its target
and renamed into place, so an interrupted run never leaves a truncated file."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


def dumps(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def atomic_text(path: Path | str) -> Iterator[IO[str]]:
    """A text stream for `path`; "-" is stdout. The file appears only if the block succeeds."""
    if str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path | str, data: Any) -> None:
    with atomic_text(path) as stream:
        json.dump(data, stream, ensure_ascii=False, indent=2, sort_keys=False)
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
