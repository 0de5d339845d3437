"""The output folder as a set: a command (`run`, `dedup`) writes all its outputs into a staging
folder beside them, then switches them in: it removes the folder's completion manifest
(complete.json), renames each staged file over the old one (and removes an old output it did not
write again), and writes a new complete.json last, naming each file with its size and SHA-256.

So the folder always holds one command's whole output with its manifest, or, for the moment
of the renames after a kill, files without one: a reader (`dedup` of a run's clean.jsonl in
place, `run --resume`) checks complete.json before trusting the files, as readers of Hadoop's
_SUCCESS marker or datatrove's completion files do. POSIX renames one file at a time, and the
folder the user named (which may hold other files) cannot itself be swapped; the manifest
costs one small file and keeps every output a plain file at its usual path."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from storysift.write.outputs import make_folder, write_json, writing

COMPLETE = "complete.json"
STAGED_DIR = ".storysift-staged"


class IncompleteOutput(ValueError):
    """A folder whose files are not one command's complete output."""


def staging_folder(out_dir: Path) -> Path:
    """An empty staging folder in `out_dir` (a killed command's staged files are discarded)."""
    staged = out_dir / STAGED_DIR
    with writing(staged, "empty the staging folder"):
        shutil.rmtree(staged, ignore_errors=True)
    make_folder(staged)
    return staged


def publish(staged: Path, out_dir: Path, names: tuple[str, ...], about: dict[str, Any]) -> dict[str, Any]:
    """Switch the staged outputs among `names` into `out_dir`, remove the others of `names`
    left there by an earlier command, then write complete.json (with `about`: what made the
    files) and remove the staging folder. Returns the manifest."""
    files = {name: describe(staged / name) for name in names if (staged / name).is_file()}
    manifest = {**about, "files": files}
    with writing(out_dir / COMPLETE, "remove"):
        (out_dir / COMPLETE).unlink(missing_ok=True)
    for name in names:
        with writing(out_dir / name, "switch in"):
            if name in files:
                os.replace(staged / name, out_dir / name)
            else:
                (out_dir / name).unlink(missing_ok=True)
    _sync_folder(out_dir)
    write_json(out_dir / COMPLETE, manifest)
    shutil.rmtree(staged, ignore_errors=True)
    return manifest


def describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _sync_folder(folder: Path) -> None:
    """Make the renames durable before the manifest says they happened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every system opens folders
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_complete(out_dir: Path, needed: tuple[str, ...] = ()) -> dict[str, Any]:
    """The folder's manifest, checked against its files (sizes; SHA-256 for `needed`, which
    must be listed): IncompleteOutput saying what does not match."""
    path = out_dir / COMPLETE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IncompleteOutput(f"{out_dir}/ has no {COMPLETE}: its files are not one command's complete output "
                               "(a command was stopped while switching them in)") from None
    except (OSError, ValueError) as exc:
        raise IncompleteOutput(f"{path}: unreadable: {exc}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise IncompleteOutput(f"{path}: not a storysift completion manifest")
    for name in needed:
        if name not in files:
            raise IncompleteOutput(f"{out_dir}/{name} is not part of the output {COMPLETE} describes")
    for name, expected in files.items():
        target = out_dir / name
        if not target.is_file() or target.stat().st_size != expected.get("bytes") or \
                name in needed and describe(target)["sha256"] != expected.get("sha256"):
            raise IncompleteOutput(f"{target} does not match {COMPLETE}: the folder changed after the command "
                                   "that wrote it completed")
    return manifest
