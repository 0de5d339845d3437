"""The Python API: its docstring examples and the README's Python API examples run as written."""

import doctest
import re

import pytest

import storysift.api
from storysift import api
from tests.conftest import ROOT


def test_api_docstring_examples_pass():
    assert doctest.testmod(storysift.api).failed == 0


def readme_python_blocks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_python_api_examples_run(capsys):
    blocks = readme_python_blocks()
    assert blocks, "the README's Python API section has no example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_clean_refuses_content_that_is_no_document_with_the_reason():
    with pytest.raises(ValueError, match="blank: no text: only whitespace"):
        api.clean("  \n\t ", doc_id="blank")


def test_clean_records_reports_a_record_without_text_instead_of_raising():
    results = list(api.clean_records([{"id": "x", "body": "no text field"}]))
    assert results[0]["id"] == "x" and "no string field" in results[0]["reason"] and "text" not in results[0]


def test_deduplicate_names_a_record_without_text():
    with pytest.raises(ValueError, match="record 2: record has no string field 'text'"):
        api.deduplicate([{"id": "a", "text": "The ferry runs late."}, {"id": "b", "body": "no text"}])


def test_rules_are_loaded_once_and_extra_rules_override(tmp_path):
    assert api.rules() is api.rules()
    (tmp_path / "off.yaml").write_text(
        "rules:\n  - id: social.share-line\n    kind: line\n    description: switched off\n    pattern: 'x^'\n"
        "    enabled: false\n    examples: {match: ['x'], keep: ['y']}\n", encoding="utf-8")
    mine = api.rules([tmp_path])
    doc = api.clean("Share on Facebook\nThe council approved the budget on Monday.", ruleset=mine)
    assert "Share on Facebook" in doc.text
