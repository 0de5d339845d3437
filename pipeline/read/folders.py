"""Walking an input folder, for read/files.py: every entry below it becomes a file to read or a
skip (or failure) with its reason, so nothing in a folder vanishes without a trace. Symbolic
links to folders are followed, each folder read once: a link back to a folder already read
(a loop) is reported, never walked again."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# What a special file is, for its skip reason. Opening one could block for good (a FIFO with
# no writer) or read a device, so it is never opened from inside a folder.
SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


@dataclass(frozen=True)
class Entry:
    """One entry of an input folder: `path` to open, `name` its path relative to the folder
    (the document id), and why it is not read (`problem`), if it is not."""

    path: Path
    name: str
    problem: str | None = None


def walk(root: Path) -> Iterator[Entry]:
    """Every entry below `root` in a fixed order (depth first, names sorted: the order of the
    sorted relative paths), folders expanded in place; hidden entries are skipped whole."""
    try:
        read_as = {_identity(os.stat(root)): "the input folder itself"}
    except OSError as exc:
        yield Entry(root, ".", f"unreadable folder: {exc.strerror}")
        return
    yield from _walk(root, "", read_as)


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


def _walk(folder: Path, prefix: str, read_as: dict[tuple[int, int], str]) -> Iterator[Entry]:
    """`read_as`: each folder read so far (by device and inode) and the name it was read as."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        yield Entry(folder, prefix.rstrip("/"), f"unreadable folder: {exc.strerror}")
        return
    for entry in entries:
        path, name = Path(entry.path), prefix + entry.name
        if entry.name.startswith("."):
            kind = "folder" if entry.is_dir() else "file"
            yield Entry(path, name, f"skipped hidden {kind}: its name starts with '.'")
            continue
        try:
            status = os.stat(path)  # follows a symbolic link
        except OSError as exc:
            yield Entry(path, name, f"broken symbolic link: to {os.readlink(path)} ({exc.strerror})"
                        if entry.is_symlink() else f"unreadable: {exc.strerror}")
            continue
        if stat.S_ISDIR(status.st_mode):
            identity = _identity(status)
            if identity in read_as:
                yield Entry(path, name, f"skipped folder already read: a symbolic link to {read_as[identity]}")
                continue
            read_as[identity] = name
            yield from _walk(path, name + "/", read_as)
        elif stat.S_ISREG(status.st_mode):
            yield Entry(path, name)
        else:
            yield Entry(path, name, f"skipped special file: {special_file_kind(status.st_mode)}")


def special_file_kind(mode: int) -> str:
    """What a file that is neither a folder nor a regular file is, in words."""
    return next((said for test, said in SPECIAL_FILES if test(mode)), "not a regular file")
