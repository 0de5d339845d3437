"""The package's layout: the source folder installs as `storysift`, every sub-package ships in
the wheel, no module imports itself back through others, and the stages never import the
executors that schedule them (the Ray engine was added without touching a stage)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import storysift

SOURCE = Path(__file__).resolve().parent.parent / "pipeline"
# Stage sub-packages: what they may import is each other and the shared record, never `run`,
# `cli` or `api`, which sit on top of them.
STAGES = ("read", "clean", "ruleset", "corpus", "write", "review")
ON_TOP = ("storysift.run", "storysift.cli", "storysift.api")


def module_name(path: Path) -> str:
    """The import name of a module file, or of a package's __init__.py."""
    parts = path.relative_to(SOURCE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("storysift", *parts))


def package_imports() -> dict[str, set[str]]:
    """Every storysift module each module imports, at its top or inside a function."""
    modules = {module_name(p): p for p in SOURCE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                # `from storysift.run import engine` imports the sub-module `engine`.
                targets |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        graph[name] = {t for t in targets if t in modules and t != name and t != "storysift"}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_package_imports_without_a_circle():
    assert cycles(package_imports()) == []


def test_the_cycle_finder_reports_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_stages_never_import_the_executors_or_the_commands():
    offending = {
        (name, target)
        for name, targets in package_imports().items()
        if name.partition(".")[2].split(".")[0] in STAGES
        for target in targets
        if target.startswith(ON_TOP)
    }
    assert offending == set()


def test_every_sub_package_is_listed_for_the_wheel_and_typed():
    listed = set(tomllib.loads((SOURCE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {module_name(p) for p in SOURCE.rglob("__init__.py")}
    assert folders <= listed
    assert (SOURCE / "py.typed").exists()
    assert {f"storysift.{stage}" for stage in STAGES} <= folders


def test_storysift_imports_beside_a_users_own_pipeline_package(tmp_path):
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "__init__.py").write_text("USERS_OWN = True\n")
    code = "import pipeline, storysift.api; assert pipeline.USERS_OWN; print(storysift.api.__name__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "storysift.api"
    assert storysift.__version__
