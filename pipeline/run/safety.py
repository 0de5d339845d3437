"""Where a command may write: never over one of its own inputs, and not inside an input folder
(the next run would read its own output back as input) unless the user says so. Checked before
any work starts; each check returns the error message, naming the paths, or None."""

from __future__ import annotations

import os
from pathlib import Path

from storysift.run.shards import WORK_DIR
from storysift.write.complete import COMPLETE, STAGED_DIR
from storysift.write.outputs import special_kind

# The files `run` writes into its --out folder (the engine's, the dedup stage's, the HTML
# report, then the completion manifest), and its work and staging folders there, which it
# deletes when done.
RUN_OUTPUTS = ("clean.jsonl", "rejects.jsonl", "report.json", "stories.jsonl", "report.html")
WRITTEN = (*RUN_OUTPUTS, COMPLETE)
ALLOW_FLAG = "--allow-out-in-input"


def _resolved(name: str | Path) -> Path:
    return Path(os.path.realpath(Path(name).expanduser()))  # not resolve(): it raises on a symlink loop


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _local_inputs(inputs: list[str]) -> list[tuple[str, Path]]:
    """The inputs that are paths on disk (stdin and missing names have nothing to protect)."""
    return [(name, _resolved(name)) for name in inputs if name != "-" and Path(name).exists()]


def output_file_problem(outputs: list[str | None], inputs: list[str], allow_in_input: bool = False) -> str | None:
    """Why the files of `clean` (its --out and rejects file) cannot be written: one would
    replace an input file, or land inside an input folder without `allow_in_input`."""
    for output in outputs:
        if output is None or output == "-":
            continue
        target = _resolved(output)
        for name, source in _local_inputs(inputs):
            if source.is_file() and target == source:
                return f"output {output} is the input file {name}: refusing to overwrite an input"
            if source.is_dir() and _is_within(target, source):
                if not allow_in_input:
                    return (f"output {output} is inside the input folder {name}, where the next run would read "
                            f"it as input; write elsewhere, or pass {ALLOW_FLAG}")
                if target.exists():
                    return f"output {output} is an input file (in the folder {name}): refusing to overwrite an input"
    return None


def output_dir_problem(out_dir: Path, inputs: list[str], allow_in_input: bool = False) -> str | None:
    """Why `run` cannot write into `out_dir`: a file it writes there would replace an input
    file, or the folder is (inside) an input folder and `allow_in_input` is not set."""
    target = _resolved(out_dir)
    if target.exists() and not target.is_dir():
        kind = special_kind(target) or "a file"
        return f"--out {out_dir} is {kind}; a run writes a folder ({', '.join(RUN_OUTPUTS)}): choose a folder"
    written = {target / name for name in WRITTEN}
    for path in sorted(written):
        if kind := special_kind(path):  # a run replaces its files: a pipe or a device there would be replaced
            return f"--out {out_dir}: {path.name} there is {kind}, which a run would replace: choose another --out"
    for name, source in _local_inputs(inputs):
        for work in (WORK_DIR, STAGED_DIR):
            if _is_within(source, target / work):
                return f"--out {out_dir} would delete the input {name}: the run's folder {work} is removed when done"
        if source.is_file() and source in written:
            return (f"--out {out_dir} would overwrite the input file {name} "
                    f"(a run writes {', '.join(WRITTEN)}): choose another --out")
        if source.is_dir() and _is_within(target, source):
            if not allow_in_input:
                return (f"--out {out_dir} is inside the input folder {name}, where the next run would read "
                        f"its output as input; choose another --out, or pass {ALLOW_FLAG}")
            existing = sorted(path.name for path in written if path.exists())
            if existing:  # even when allowed: a file inside an input folder is an input, never replaced
                return (f"--out {out_dir} would overwrite {', '.join(existing)} inside the input folder {name}: "
                        "choose another --out")
    return None
