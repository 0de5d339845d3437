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
    without its "run" section (start and end times, seconds per stage, the options as given)."""
    if path.name != "report.json":
        return path.read_bytes()
    report = json.loads(path.read_text(encoding="utf-8"))
    report.pop("run", None)
    return json.dumps(report, indent=2).encode()
