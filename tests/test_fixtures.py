"""Every golden fixture, one test each: the clean text and the record match expected.*"""

import pytest

from storysift.review.fixtures import check_fixture, fixture_dirs
from tests.conftest import ROOT

FIXTURES = fixture_dirs(ROOT / "fixtures")


def test_there_are_fixtures_beyond_the_seeds():
    assert len(FIXTURES) >= 15


@pytest.mark.parametrize("folder", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture_matches_golden(folder):
    result = check_fixture(folder, [])
    assert result.ok, result.diff
