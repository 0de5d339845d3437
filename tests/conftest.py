import json
from pathlib import Path

import pytest

from storysift.ruleset.load import load_rules

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def rules():
    return load_rules()


def output_bytes(path: Path) -> bytes:
    """A run's output file as two runs of one command must write it byte for byte: report.json
    without its "run" section (start and end times, seconds per stage, the options as given),
    and complete.json without report.json's size and digest, which follow from those."""
    if path.name not in ("report.json", "complete.json"):
        return path.read_bytes()
    data = json.loads(path.read_text(encoding="utf-8"))
    if path.name == "report.json":
        data.pop("run", None)
    else:
        data.get("files", {}).pop("report.json", None)
    return json.dumps(data, indent=2).encode()
