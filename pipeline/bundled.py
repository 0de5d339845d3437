"""Where the data shipped with storysift lives: inside the installed wheel
(`storysift/_bundled/`), or at the top of a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_dir(name: str) -> Path:
    installed = Path(str(resources.files("storysift"))) / "_bundled" / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / name


def rules_dir() -> Path:
    return bundled_dir("rules")


def seeds_dir() -> Path:
    return bundled_dir("seeds")
