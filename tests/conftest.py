from pathlib import Path

import pytest

from storysift.ruleset.load import load_rules

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def rules():
    return load_rules()
