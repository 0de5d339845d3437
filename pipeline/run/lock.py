"""One command at a time per output folder: `run` and `dedup` hold an advisory lock on
OUT/.storysift-lock while they write there, so a second command into the same folder refuses at
once, naming the process that holds it, instead of deleting the first one's work folder. The
kernel drops the lock when its holder dies, even by SIGKILL: a killed run leaves no stale lock."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from storysift.write.outputs import make_folder, writing

try:
    import fcntl
except ImportError:  # not POSIX: no lock is taken
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".storysift-lock"
# The lock files this process holds open. A forked child (a cleaning worker) shares the open
# file and so the lock, which it would keep if it outlived its parent: it closes them at once.
_held: set[int] = set()


def _close_in_child() -> None:
    for fd in _held:
        os.close(fd)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


class FolderLocked(Exception):
    """Another storysift command is writing into the folder."""


def folder_in_use(out_dir: Path) -> str | None:
    """Who holds the folder's lock (a `run` or `dedup` writing there), or None; `clean --out
    FILE` checks the folder of its file, so as not to write a file into a run's output set."""
    if fcntl is None:
        return None
    try:
        fd = os.open(Path(out_dir) / LOCK_NAME, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # released at once, with the file
    except BlockingIOError:
        return os.read(fd, 200).decode("utf-8", "replace").strip() or "a process"
    except OSError:
        return None
    finally:
        os.close(fd)
    return None


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; FolderLocked at once if another process holds it."""
    make_folder(out_dir)
    if fcntl is None:
        yield
        return
    path = out_dir / LOCK_NAME
    while True:
        with writing(path, "create the lock file"):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "a process"
            os.close(fd)
            raise FolderLocked(f"{out_dir}: another storysift command ({holder}) is writing into this folder; "
                               "wait for it to end, or choose another --out") from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder removed the file as we opened it: lock the new one
    _held.add(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        yield
    finally:
        Path(path).unlink(missing_ok=True)
        _held.discard(fd)
        os.close(fd)
