"""The shingle set of every document of a corpus run, on disk: written once as the stage signs
the documents, read back by index for each verified join and each similarity to a story's
canonical text. Memory holds 12 bytes a document; holding the sets took ~8 KB a page of 2,000
words (64 MB was the budget, ~8,000 pages), and recomputing them from the text past that budget
made the stage slower than linear."""

from __future__ import annotations

import os
import tempfile
from array import array
from pathlib import Path

import numpy as np


class ShingleSets:
    """uint32 shingle sets by corpus index in one file (`path`), which worker processes read
    too (batches.read_set)."""

    def __init__(self, work_dir: Path | None = None):
        fd, name = tempfile.mkstemp(prefix=".storysift-shingles.", suffix=".u32", dir=work_dir)
        self.path = name
        self.stream = os.fdopen(fd, "w+b")
        self.offsets = array("q")  # in shingles; -1 for a document with no set
        self.lengths = array("l")
        self.size = 0
        self.unflushed = False

    def add(self, index: int, shingles: np.ndarray) -> None:
        while len(self.offsets) <= index:
            self.offsets.append(-1)
            self.lengths.append(0)
        self.offsets[index], self.lengths[index] = self.size, len(shingles)
        self.stream.write(shingles.astype(np.uint32, copy=False).tobytes())
        self.size += len(shingles)
        self.unflushed = True

    def where(self, index: int) -> tuple[int, int]:
        """(offset, length) of a document's set in the file, in shingles."""
        self.flush()
        return self.offsets[index], self.lengths[index]

    def __getitem__(self, index: int) -> np.ndarray:
        self.flush()
        data = os.pread(self.stream.fileno(), self.lengths[index] * 4, self.offsets[index] * 4)
        return np.frombuffer(data, dtype=np.uint32)

    def flush(self) -> None:
        if self.unflushed:
            self.stream.flush()
            self.unflushed = False

    def flushed(self) -> str:
        """The file's path, everything added written to it (for other processes to read)."""
        self.flush()
        return self.path

    def close(self) -> None:
        self.stream.close()
        Path(self.path).unlink(missing_ok=True)
