"""How other projects run `storysift check` in CI: the exit codes the README promises, the
pre-commit hook entry, and the GitHub Actions example's commands."""

import re
import shutil

import yaml
from typer.testing import CliRunner

from storysift.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def project_with_fixture(tmp_path):
    """A user's project: its own fixture folder and rule folder."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures" / "seed-000", fixtures / "seed-000")
    (tmp_path / "rules").mkdir()
    return fixtures


def test_check_exit_codes_are_0_on_match_1_on_difference_2_on_broken_rules(tmp_path):
    fixtures = project_with_fixture(tmp_path)
    assert runner.invoke(app, ["check", str(fixtures)]).exit_code == 0

    golden = fixtures / "seed-000" / "expected.txt"
    golden.write_text(golden.read_text(encoding="utf-8") + "A line the cleaner does not produce.\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(fixtures)])
    assert result.exit_code == 1 and "+++" in result.output and "-A line the cleaner does not produce." in result.output

    (tmp_path / "rules" / "broken.yaml").write_text("rules:\n  - id: x\n    kind: line\n    pattern: '('\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(fixtures), "--rules", str(tmp_path / "rules")])
    assert result.exit_code == 2 and "broken.yaml" in result.output


def test_pre_commit_hook_runs_storysift_check_on_fixture_and_rule_changes():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"] == "storysift check" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "fixtures/seed-000/expected.txt") and re.search(hook["files"], "rules/ads.yaml")
    assert not re.search(hook["files"], "pipeline/cli.py")


def test_readme_github_actions_example_installs_and_runs_check():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## storysift check in your CI", 1)[1].split("\n## ", 1)[0]
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    steps = workflow["jobs"]["fixtures"]["steps"]
    commands = " ".join(step.get("run", "") for step in steps)
    # storysift is on no package index and has no release tag: install and pin by commit.
    assert 'pip install "storysift @ git+' in commands and "storysift check" in commands
    assert "- id: storysift-check" in section and not re.search(r"rev: v\d", section)
