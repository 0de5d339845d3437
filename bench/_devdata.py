"""The dev data the benches measure on lives beside the repo, in ../shared, and is not part of
it: a bench whose set is missing says where it looked and how to point it elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def require(folder: Path, option: str = "--devset") -> Path:
    """`folder`, or exit 2 with a message naming it when it is not there."""
    if not folder.is_dir():
        print(f"{Path(sys.argv[0]).name}: the dev set {folder} is not there (the ../shared data beside "
              f"the repo); pass its path with {option}", file=sys.stderr)
        raise SystemExit(2)
    return folder
