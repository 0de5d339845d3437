"""Start-up stays light: a command imports what it uses (issue 15). Each case runs in a fresh
interpreter and lists the modules loaded; no timing here (bench/cleaning_speed.py measures it)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import json, sys
from storysift.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except (SystemExit, Exception) as exc:  # no arguments: click's "no args is help"
    print(type(exc).__name__, file=sys.stderr)
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)))
"""

# Never needed to show help or to clean a page: the dedup stack, Parquet, rich, Ray, and the
# process pool (multiprocessing) that one worker does without.
NEVER_FOR_CLEANING = ("datasketch", "scipy", "pyarrow", "rich", "ray", "multiprocessing", "storysift.corpus.dedup",
                      "storysift.corpus.batches", "storysift.write.htmlreport")
# Loaded only when a page is cleaned: the extractors, the HTML parsers and numpy (the model).
EXTRACTION = ("numpy", "trafilatura", "lxml", "resiliparse", "readability", "selectolax", "storysift.clean.page")


def loaded(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout.strip().splitlines()[-1]))
    return {name.split(".")[0] if not name.startswith("storysift") else name for name in modules}


def test_importing_the_command_line_loads_no_numpy_pyarrow_datasketch_or_extractor():
    modules = loaded()
    assert not modules & {*NEVER_FOR_CLEANING, *EXTRACTION}, sorted(modules & {*NEVER_FOR_CLEANING, *EXTRACTION})


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["dedup", "--help"], ["clean", "--help"]])
def test_help_loads_no_numpy_pyarrow_datasketch_rich_or_extractor(args):
    modules = loaded(*args)
    assert not modules & {*NEVER_FOR_CLEANING, *EXTRACTION}, sorted(modules & {*NEVER_FOR_CLEANING, *EXTRACTION})


def test_cleaning_one_page_loads_the_extractors_but_not_the_dedup_stack(tmp_path):
    page = tmp_path / "one.html"
    page.write_text("<html><body><article><h1>Ferry</h1><p>The harbour authority approved the new ferry "
                    "timetable on Tuesday after months of talks.</p></article></body></html>", encoding="utf-8")
    modules = loaded("clean", str(page), "--out", str(tmp_path / "out.jsonl"), "-q")
    assert "trafilatura" in modules and "storysift.clean.page" in modules
    assert not modules & set(NEVER_FOR_CLEANING), sorted(modules & set(NEVER_FOR_CLEANING))


def test_command_parameters_are_annotated_with_objects_typer_need_not_eval():
    from storysift.cli import app, rules_app

    commands = [info.callback for typer_app in (app, rules_app) for info in typer_app.registered_commands]
    strings = {f"{command.__name__}.{name}" for command in commands
               for name, annotation in command.__annotations__.items() if isinstance(annotation, str)}
    assert commands and not strings, sorted(strings)
