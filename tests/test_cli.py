"""The command line through typer's CliRunner: clean, run, explain, check, rules list/test;
exit codes (0 ok, 1 a check failed or --strict stopped, 2 bad usage or broken rules, 3 the
inputs gave nothing to trust)."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from typer.testing import CliRunner

from storysift.bundled import seeds_dir
from storysift.cli import app
from storysift.ruleset.load import load_rules
from tests.conftest import ROOT, output_bytes

runner = CliRunner()

ARTICLE = textwrap.dedent("""\
    Harbour Town Council Extends Island Ferry Subsidy

    The council of Harbour Town voted seven to two on Tuesday evening to extend its subsidy for the island ferry.

    Under the agreement, the operator will receive 2.1 million euros a year for keeping the early crossing.

    Advertisement

    The operator declined to comment.

    More Stories
    Island School Reopens After Storm Repairs
    Fishing Quotas Cut for Third Year Running
    Coastal Rail Line Faces Weekend Closures
    New Harbour Master Named After Long Search
    """)
FURNITURE = ["Advertisement", "More Stories", "Island School Reopens", "New Harbour Master"]
HTML = textwrap.dedent("""\
    <!DOCTYPE html><html><head><title>Night Market Returns</title>
    <link rel="canonical" href="https://example.com/night-market"></head><body>
    <nav><a href="/">Home</a> <a href="/city">City</a> <a href="/sport">Sport</a></nav>
    <article><h1>Night Market Returns</h1>
    <p>The Canal Street night market will reopen on the first Friday of June after a two-year break, the events office said.</p>
    <p>The market closed in 2024 when the canal wall was found to be unstable, and engineers finished the repairs in March.</p>
    <p>Stallholders will pay a flat fee of 45 euros a night, and a quarter of the pitches are reserved for new traders.</p>
    </article></body></html>
    """)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def corpus(tmp_path):
    """A folder with documents of every kind, good and bad."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-article.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b-page.html").write_text(HTML, encoding="utf-8")
    (folder / "c-empty.txt").write_bytes(b"")
    (folder / "d-records.jsonl").write_text(
        json.dumps({"id": "r1", "text": ARTICLE}) + "\n"
        + "{broken\n"
        + json.dumps({"id": "r3", "html": HTML, "url": "https://example.com/r3"}) + "\n"
        + json.dumps({"id": "r4", "title": "no body"}) + "\n",
        encoding="utf-8",
    )
    (folder / "e-image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return folder


# --- exit codes a scheduler can act on -------------------------------------------------------

@pytest.mark.parametrize("command", ["clean", "run"])
def test_a_missing_input_path_exits_3_after_cleaning_the_others(tmp_path, command):
    (tmp_path / "ferry.txt").write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / ("clean.jsonl" if command == "clean" else "out")
    result = invoke(command, tmp_path / "ferry.txt", tmp_path / "nosuch.html", "--out", out)
    assert result.exit_code == 3
    assert f"no such file or folder: {tmp_path / 'nosuch.html'}" in result.stderr
    written = out if command == "clean" else out / "clean.jsonl"
    assert [r["id"] for r in jsonl(written)] == ["ferry.txt"]


@pytest.mark.parametrize("command", ["clean", "run"])
def test_an_input_folder_with_no_documents_exits_3(tmp_path, command):
    (tmp_path / "empty").mkdir()
    result = invoke(command, tmp_path / "empty", "--out", tmp_path / ("clean.jsonl" if command == "clean" else "out"))
    assert result.exit_code == 3 and "no input document found" in result.stderr


@pytest.mark.parametrize("command", ["clean", "run"])
def test_a_wrong_text_field_that_rejects_every_record_exits_3(tmp_path, command):
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps({"id": f"r{n}", "body": ARTICLE}) + "\n" for n in range(30)), encoding="utf-8")
    out = tmp_path / ("clean.jsonl" if command == "clean" else "out")
    result = invoke(command, records, "--out", out)
    assert result.exit_code == 3 and "every document was rejected (30)" in result.stderr
    rejects = out.parent / "clean.jsonl.rejects.jsonl" if command == "clean" else out / "rejects.jsonl"
    assert len(jsonl(rejects)) == 30
    if command == "clean":  # the rejects file holds them all; stderr lists only the first ones
        assert result.stderr.count("storysift: rejected") == 20
        assert f"30 rejected in all, listed in {rejects}" in result.stderr


def test_a_wrong_text_field_to_stdout_lists_a_few_rejects_then_counts_them(tmp_path):
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps({"id": f"r{n}", "body": ARTICLE}) + "\n" for n in range(200)), encoding="utf-8")
    result = invoke("clean", records, "--text-field", "page.body")
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.count("storysift: rejected") == 20 and len(result.stderr.splitlines()) < 30
    assert "200 rejected in all, the first ones are listed above; --rejects FILE keeps them all" in result.stderr
    assert "200 record has no string field 'page.body' or 'html'" in result.stderr


def test_a_clean_rerun_with_no_rejects_leaves_no_stale_rejects_file(tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "clean.jsonl"
    source.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n" + json.dumps({"id": "b", "text": " "}) + "\n")
    assert invoke("clean", source, "--out", out).exit_code == 0
    assert [r["id"] for r in jsonl(tmp_path / "clean.jsonl.rejects.jsonl")] == ["b"]
    source.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n")
    assert invoke("clean", source, "--out", out).exit_code == 0
    assert not (tmp_path / "clean.jsonl.rejects.jsonl").exists()


@pytest.mark.parametrize("flags", [["-v"], ["--log-level", "info"]])
def test_verbose_logs_each_stage(tmp_path, flags):
    result = invoke("run", "--out", tmp_path / "out", "-q", *flags)
    assert result.exit_code == 0
    stages = [line.split("stage: ")[1].split(" (")[0] for line in result.stderr.splitlines() if "stage: " in line]
    assert stages == ["cleaning", "writing", "site templates", "stories", "writing", "events", "writing", "report"]
    assert "stage: " not in invoke("run", "--out", tmp_path / "quiet", "-q").stderr


def test_max_reject_share_fails_a_run_past_it_and_passes_one_within_it(tmp_path, corpus):
    # The corpus folder: 4 documents written, 4 rejected.
    assert invoke("run", corpus, "--out", tmp_path / "a", "-q", "--max-reject-share", "0.4").exit_code == 3
    assert invoke("run", corpus, "--out", tmp_path / "b", "-q", "--max-reject-share", "0.5").exit_code == 0
    assert invoke("clean", corpus, "--out", tmp_path / "c.jsonl", "--max-reject-share", "0.4").exit_code == 3


def test_version_and_short_help():
    from storysift import __version__

    assert invoke("--version").stdout == f"storysift {__version__}\n"
    assert "Usage" in invoke("-h").stdout and "Usage" in invoke("clean", "-h").stdout


# --- clean ----------------------------------------------------------------------------------

def test_clean_to_stdout(tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = invoke("clean", path)
    assert result.exit_code == 0
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["id"] == "ferry.txt" and record["title"] == "Harbour Town Council Extends Island Ferry Subsidy"
    assert record["text"].endswith("The operator declined to comment.")
    assert not any(f in record["text"] for f in FURNITURE)
    assert {r["rule"] for r in record["removed"]} == {"ads.advertisement-label", "navigation.headline-list"}


def test_clean_to_file_with_rejects_beside_it(tmp_path, corpus):
    out = tmp_path / "out" / "clean.jsonl"
    result = invoke("clean", corpus, "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    records = jsonl(out)
    assert [r["id"] for r in records] == ["a-article.txt", "b-page.html", "r1", "r3"]
    rejects = jsonl(out.parent / "clean.jsonl.rejects.jsonl")
    assert [r["reason"].split(":")[0] for r in rejects] == [
        "empty document", "line is not valid JSON", "record has no string field 'text' or 'html'",
        "unsupported file type '.png'"]
    assert f"storysift: rejected {(corpus / 'd-records.jsonl').as_posix()}:2: line is not valid JSON" in result.stderr
    assert f"{(corpus / 'd-records.jsonl').as_posix()}:4: record has no string field 'text' or 'html'" in result.stderr
    assert [r["source"] for r in rejects][1:3] == [f"{(corpus / 'd-records.jsonl').as_posix()}:{n}" for n in (2, 4)]
    html_record = records[1]
    assert html_record["url"] == "https://example.com/night-market" and html_record["kind"] == "html"
    assert "Home City Sport" not in html_record["text"] and "Canal Street night market" in html_record["text"]


def test_clean_strict_stops_at_first_reject_and_keeps_what_was_written(tmp_path, corpus):
    out = tmp_path / "clean.jsonl"
    result = invoke("clean", corpus, "--out", out, "--strict")
    assert result.exit_code == 1
    assert [r["id"] for r in jsonl(out)] == ["a-article.txt", "b-page.html"]
    assert [r["id"] for r in jsonl(tmp_path / "clean.jsonl.rejects.jsonl")] == ["c-empty.txt"]


def test_clean_reads_a_document_from_stdin():
    result = runner.invoke(app, ["clean", "-"], input=ARTICLE.encode("utf-8"), catch_exceptions=False)
    assert result.exit_code == 0
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (record["id"], record["source"]) == ("stdin", "<stdin>")
    assert record["text"].endswith("The operator declined to comment.") and "More Stories" not in record["text"]


def test_clean_reads_json_lines_from_stdin():
    data = json.dumps({"id": "s1", "text": ARTICLE}) + "\n" + json.dumps({"id": "s2", "html": HTML}) + "\n"
    result = runner.invoke(app, ["clean", "-"], input=data.encode("utf-8"), catch_exceptions=False)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["kind"], r["source"]) for r in records] == [("s1", "text", "<stdin>:1"), ("s2", "html", "<stdin>:2")]


def test_clean_field_options(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"key": "k1", "body": ARTICLE, "link": "https://news.example/a"}) + "\n", encoding="utf-8")
    result = invoke("clean", path, "--text-field", "body", "--id-field", "key", "--url-field", "link")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (record["id"], record["url"]) == ("k1", "https://news.example/a")


# --- run ------------------------------------------------------------------------------------

def test_run_on_a_folder_accounts_for_every_input(tmp_path, corpus):
    out = tmp_path / "out"
    result = invoke("run", corpus, "--out", out)
    assert result.exit_code == 0
    clean = jsonl(out / "clean.jsonl")
    rejects = jsonl(out / "rejects.jsonl")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in clean] == ["a-article.txt", "b-page.html", "r1", "r3"]
    assert len(rejects) == 4
    assert report["inputs"] == {"read": 8, "written": 4, "rejected": 4, "skipped": 0}
    files = report["files"]
    jsonl_name = (corpus / "d-records.jsonl").as_posix()
    assert files[jsonl_name] == {"read": 4, "written": 2, "rejected": 2, "skipped": 0}
    assert files[str(corpus / "c-empty.txt")] == {"read": 1, "written": 0, "rejected": 1, "skipped": 0}
    for counts in files.values():
        assert counts["read"] == counts["written"] + counts["rejected"]
    assert sum(c["read"] for c in files.values()) == report["inputs"]["read"]
    assert sum(c["written"] for c in files.values()) == len(clean)
    assert sum(c["rejected"] for c in files.values()) == len(rejects)
    removals = [r["rule"] for record in clean for r in record["removed"]]
    assert report["removals_per_rule"] == {rule: removals.count(rule) for rule in sorted(set(removals))}
    assert report["reject_reasons"]["empty document"] == 1
    assert "8 read, 4 written, 4 rejected" in result.stderr


def test_run_without_inputs_cleans_the_bundled_seeds(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "--out", out, "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    records = jsonl(out / "clean.jsonl")
    assert [r["id"] for r in records] == sorted(p.name for p in seeds_dir().glob("*.txt"))
    assert json.loads((out / "report.json").read_text())["inputs"] == {"read": 5, "written": 5, "rejected": 0, "skipped": 0}
    assert (out / "rejects.jsonl").read_text() == ""


def test_run_strict_exits_1_and_keeps_what_was_written(tmp_path, corpus):
    out = tmp_path / "out"
    result = invoke("run", corpus, "--out", out, "--strict")
    assert result.exit_code == 1
    assert "c-empty.txt" in result.stderr
    assert [r["id"] for r in jsonl(out / "clean.jsonl")] == ["a-article.txt", "b-page.html"]
    assert [r["id"] for r in jsonl(out / "rejects.jsonl")] == ["c-empty.txt"]
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"] == {"read": 3, "written": 2, "rejected": 1, "skipped": 0}
    assert "c-empty.txt" in report["stopped"]


def test_run_twice_gives_byte_identical_outputs(tmp_path, corpus):
    first, second = tmp_path / "one", tmp_path / "two"
    assert invoke("run", corpus, "--out", first, "-q").exit_code == 0
    assert invoke("run", corpus, "--out", second, "-q").exit_code == 0
    names = sorted(p.name for p in first.iterdir())
    assert {"clean.jsonl", "rejects.jsonl", "report.json"} <= set(names)
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert output_bytes(first / name) == output_bytes(second / name), name


def test_run_is_byte_identical_across_processes_with_different_hash_seeds(tmp_path, corpus):
    """Set and dict orders that depend on string hashing must not reach the outputs."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "storysift.cli", "run", str(corpus), "--out", str(out), "-q"],
                       env=env, check=True, cwd=ROOT, capture_output=True)
        outs.append(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    for name in names:
        assert output_bytes(outs[0] / name) == output_bytes(outs[1] / name), name


def test_run_leaves_no_temporary_files(tmp_path, corpus):
    out = tmp_path / "out"
    invoke("run", corpus, "--out", out, "-q")
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


# --- broken rules: exit 2 before any work ---------------------------------------------------

@pytest.fixture
def broken_rules(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.yaml").write_text(textwrap.dedent("""\
        rules:
          - id: mine.broken
            kind: line
            description: Unbalanced.
            pattern: '(oops'
            examples: {match: [oops], keep: [fine]}
        """), encoding="utf-8")
    return folder


@pytest.mark.parametrize("command", [["run", "--out", "{out}"], ["clean", "--out", "{out}/clean.jsonl"],
                                     ["rules", "test"], ["rules", "list"], ["check", "{fixtures}"],
                                     ["explain"]])
def test_broken_extra_rules_fail_with_exit_2_before_any_work(tmp_path, corpus, broken_rules, command):
    out = tmp_path / "out"
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures" / "seed-000", fixtures / "seed-000")
    golden = (fixtures / "seed-000" / "expected.txt").read_bytes()
    args = [a.format(out=out, fixtures=fixtures) for a in command]
    if command[0] in ("run", "clean"):
        args.insert(1, str(corpus))
    if command[0] == "explain":
        args.append(str(corpus / "a-article.txt"))
    if command[0] == "check":
        args.append("--update")
    result = invoke(*args, "--rules", broken_rules)
    assert result.exit_code == 2
    assert str(broken_rules / "mine.yaml") in result.stderr and "'mine.broken'" in result.stderr
    assert "invalid pattern" in result.stderr
    assert not out.exists()
    assert (fixtures / "seed-000" / "expected.txt").read_bytes() == golden


def test_missing_rules_folder_is_exit_2(tmp_path):
    result = invoke("rules", "list", "--rules", tmp_path / "nope")
    assert result.exit_code == 2 and "no such rule file or folder" in result.stderr


# --- explain --------------------------------------------------------------------------------

def test_explain_marks_removed_lines_with_rule_ids(tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = invoke("explain", path, "--no-color")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# ferry.txt (text)")
    marked = {line.split("] ", 1)[1].strip(): line.split("]")[0].lstrip("- [") for line in lines if line.startswith("- [")}
    assert marked == {
        "Advertisement": "ads.advertisement-label",
        "More Stories": "navigation.headline-list",
        "Island School Reopens After Storm Repairs": "navigation.headline-list",
        "Fishing Quotas Cut for Third Year Running": "navigation.headline-list",
        "Coastal Rail Line Faces Weekend Closures": "navigation.headline-list",
        "New Harbour Master Named After Long Search": "navigation.headline-list",
    }
    kept = [line.strip() for line in lines[1:] if line.strip() and not line.startswith("- [")]
    assert kept[-1] == "The operator declined to comment." and len(kept) == 4
    assert "\x1b[" not in result.stdout


def test_explain_does_not_mark_a_protected_line_inside_a_removed_run(tmp_path):
    path = tmp_path / "kt.txt"
    path.write_text(textwrap.dedent("""\
        The council voted on Tuesday to extend the ferry subsidy for another three years.

        Markets Rally on Rate Hopes
        Key Takeaways
        Ferry Strike Called Off
        School Reopens After Repairs
        Quotas Cut Again This Year
        """), encoding="utf-8")
    lines = invoke("explain", path, "--no-color").stdout.splitlines()
    (takeaways,) = [line for line in lines if line.endswith("Key Takeaways")]
    assert not takeaways.startswith("- [")  # kept by allow.key-takeaways, so not marked
    assert sum(line.startswith("- [navigation.headline-list]") for line in lines) == 4


def test_explain_lists_removed_html_elements(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    result = invoke("explain", path, "--no-color")
    assert "## HTML elements removed before extraction" in result.stdout
    assert "- [navigation.css] Home City Sport" in result.stdout


def test_explain_of_a_reject_exits_1(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = invoke("explain", path)
    assert result.exit_code == 1 and "empty document" in result.stderr


# --- check ----------------------------------------------------------------------------------

@pytest.fixture
def fixture_copy(tmp_path):
    root = tmp_path / "fixtures"
    for slug in ("related-headlines-short-ending", "html-site-rule"):
        shutil.copytree(ROOT / "fixtures" / slug, root / slug)
    return root


def test_check_passes_on_the_fixtures(fixture_copy):
    result = invoke("check", fixture_copy)
    assert result.exit_code == 0 and "2 fixtures checked, 0 differ" in result.stdout


def test_check_on_a_modified_golden_prints_a_unified_diff_and_exits_1(fixture_copy):
    golden = fixture_copy / "related-headlines-short-ending" / "expected.txt"
    golden.write_text(golden.read_text(encoding="utf-8").replace("declined to comment", "refused to comment"), encoding="utf-8")
    result = invoke("check", fixture_copy)
    assert result.exit_code == 1
    out = result.stdout
    assert f"--- {golden}\n" in out and f"+++ {golden} (actual)\n" in out and "@@ " in out
    assert "-The operator refused to comment.\n" in out and "+The operator declined to comment.\n" in out
    assert "2 fixtures checked, 1 differ" in out


def test_check_update_rewrites_goldens(fixture_copy):
    folder = fixture_copy / "related-headlines-short-ending"
    before = (folder / "expected.json").read_bytes()
    (folder / "expected.txt").write_text("wrong\n", encoding="utf-8")
    (folder / "expected.json").unlink()
    result = invoke("check", fixture_copy, "--update")
    assert result.exit_code == 0 and "2 fixtures updated" in result.stdout
    assert (folder / "expected.json").read_bytes() == before
    assert (folder / "expected.txt").read_text(encoding="utf-8").endswith("The operator declined to comment.\n")
    assert invoke("check", fixture_copy).exit_code == 0


def test_check_uses_a_fixtures_own_site_rules(fixture_copy):
    shutil.rmtree(fixture_copy / "html-site-rule" / "rules")
    result = invoke("check", fixture_copy)
    assert result.exit_code == 1 and "Got a tip for the City Desk" in result.stdout


def test_check_without_fixtures_is_exit_2(tmp_path):
    assert invoke("check", tmp_path).exit_code == 2
    assert invoke("check", tmp_path / "missing").exit_code == 2


# --- rules ----------------------------------------------------------------------------------

def test_rules_list_shows_every_rule_with_kind_scope_and_file(tmp_path):
    site = tmp_path / "rules" / "sites"
    shutil.copytree(ROOT / "fixtures" / "html-site-rule" / "rules" / "sites", site)
    result = invoke("rules", "list", "--rules", tmp_path / "rules")
    assert result.exit_code == 0
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()}
    assert set(rows) == {rule.id for rule in load_rules([tmp_path / "rules"]).rules}
    assert rows["navigation.headline-list"][1:4] == ["headline_list", "generic", "bundled:navigation.yaml"]
    assert rows["example.com.tip-line"][1:4] == ["line", "example.com", str(site / "example.com.yaml")]


def test_engine_help_shows_the_ray_extra_as_written():
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "300"})
    assert "pip install 'storysift[ray]'" in " ".join(result.stdout.split())  # click wraps the help at its width


def test_explain_color_is_kept_when_stdout_is_not_a_terminal(tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    # CliRunner's stdout is no terminal, as with `storysift explain --color page | less -R`.
    assert "\x1b[31m" in invoke("explain", path, "--color").stdout
    assert "\x1b[" not in invoke("explain", path).stdout


def test_rules_list_marks_disabled_rules(tmp_path):
    (tmp_path / "off.yaml").write_text(textwrap.dedent("""\
        rules:
          - id: structure.stray-symbols
            kind: line
            description: Off.
            pattern: '^[|]$'
            enabled: false
            examples: {match: ["|"], keep: ["a"]}
        """), encoding="utf-8")
    result = invoke("rules", "list", "--rules", tmp_path)
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("structure.stray-symbols\t")]
    assert "off.yaml (disabled)" in row


def test_rules_test_passes_on_bundled_rules():
    result = invoke("rules", "test")
    assert result.exit_code == 0
    rules = load_rules().rules
    examples = sum(len(r.examples["match"]) + len(r.examples["keep"]) for r in rules)
    assert result.stdout.strip().endswith(f"{len(rules)} rules, {examples} examples: {examples} passed, 0 failed")


def test_rules_test_fails_on_a_rule_whose_example_does_not_hold(tmp_path):
    (tmp_path / "mine.yaml").write_text(textwrap.dedent("""\
        rules:
          - id: mine.too-greedy
            kind: line
            description: Removes any line about tips.
            pattern: '(?i)tip'
            examples:
              match: ["Got a tip? Write to us."]
              keep: ["Police asked anyone with a tip to call."]
        """), encoding="utf-8")
    result = invoke("rules", "test", "--rules", tmp_path)
    assert result.exit_code == 1
    assert f"FAIL {tmp_path / 'mine.yaml'}: rule 'mine.too-greedy': keep example" in result.stdout
    assert "1 failed" in result.stdout
