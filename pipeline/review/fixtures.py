"""Golden fixtures: `fixtures/<slug>/input.*` with `expected.txt` (the clean text) and
`expected.json` (the record's other fields: metadata and every removal). `storysift check`
compares, `storysift check --update` rewrites; a fixture may carry its own `rules/` folder."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from storysift.clean.page import clean_document
from storysift.document import Reject
from storysift.read.documents import ReadOptions
from storysift.read.files import read_file
from storysift.ruleset.load import load_rules
from storysift.write.outputs import atomic_text


@dataclass(frozen=True)
class FixtureResult:
    slug: str
    diff: str  # empty when the fixture matches its golden files

    @property
    def ok(self) -> bool:
        return not self.diff


def fixture_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and _input_file(p) is not None)


def _input_file(folder: Path) -> Path | None:
    inputs = sorted(folder.glob("input.*"))
    return inputs[0] if inputs else None


def render(folder: Path, extra_rules: list[Path]) -> tuple[str, str]:
    """The fixture's actual (expected.txt, expected.json) contents."""
    local = folder / "rules"
    rules = load_rules([*extra_rules, local] if local.is_dir() else extra_rules)
    path = _input_file(folder)
    assert path is not None
    items = list(read_file(path, folder.name, ReadOptions()))
    records = []
    texts = []
    for item in items:
        if isinstance(item, Reject):
            records.append({"rejected": item.reason})
            continue
        doc = clean_document(item, rules)
        record = doc.as_record()
        texts.append(record.pop("text"))
        record.pop("source")
        records.append(record)
    payload = records[0] if len(records) == 1 else records
    return "\n\n".join(texts) + "\n", json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def check_fixture(folder: Path, extra_rules: list[Path], update: bool = False) -> FixtureResult:
    actual = dict(zip(("expected.txt", "expected.json"), render(folder, extra_rules)))
    diffs = []
    for name, text in actual.items():
        golden = folder / name
        if update:
            if not golden.exists() or golden.read_text(encoding="utf-8") != text:
                with atomic_text(golden) as stream:
                    stream.write(text)
            continue
        expected = golden.read_text(encoding="utf-8") if golden.exists() else ""
        if expected != text:
            diffs.extend(difflib.unified_diff(
                expected.splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=str(golden), tofile=f"{golden} (actual)",
            ))
    return FixtureResult(folder.name, "".join(diffs))


def check_all(root: Path, extra_rules: list[Path], update: bool = False) -> list[FixtureResult]:
    return [check_fixture(folder, extra_rules, update) for folder in fixture_dirs(root)]
