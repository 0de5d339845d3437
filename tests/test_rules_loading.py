"""Loading rule files: every way a rule file can be wrong is refused with a message that names
the file and the rule; overrides, `enabled: false`, protect rules and per-site scoping work."""

from __future__ import annotations

import textwrap

import pytest

from storysift.bundled import rules_dir
from storysift.clean.textrules import apply_text_rules
from storysift.ruleset.load import KINDS, RuleError, load_rule_file, load_rules
from storysift.ruleset.selftest import check_rules

GOOD_RULE = """
  - id: {id}
    kind: line
    description: A test rule.
    pattern: '{pattern}'
    examples:
      match: ["{match}"]
      keep: ["{keep}"]
"""


def write(folder, name, body):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def good_rule(rule_id="test.rule", pattern="^Zebra crossing notice$", match="Zebra crossing notice", keep="Zebras crossed."):
    return GOOD_RULE.format(id=rule_id, pattern=pattern, match=match, keep=keep)


def load_error(folder) -> str:
    with pytest.raises(RuleError) as info:
        load_rules([folder])
    return str(info.value)


# --- refused files --------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, why", [
    ("(unclosed", "missing )"),
    ("(a)\\1", "no backreferences"),  # RE2: no backreferences
    ("(?=ahead)x", "no backreferences or lookaround"),
    ("x*", "matches the empty string"),
])
def test_invalid_pattern_names_file_and_rule(tmp_path, pattern, why):
    path = write(tmp_path, "bad.yaml", "rules:" + good_rule("test.bad-pattern", pattern.replace("'", "''")))
    message = load_error(tmp_path)
    assert str(path) in message and "'test.bad-pattern'" in message
    assert why in message


def test_unknown_field_is_refused_with_the_allowed_ones(tmp_path):
    path = write(tmp_path, "bad.yaml", "rules:" + good_rule("test.colour") + "    colour: red\n")
    message = load_error(tmp_path)
    assert str(path) in message and "'test.colour'" in message
    assert "unknown field(s) ['colour']" in message and "max_words" in message


def test_field_of_another_kind_is_unknown(tmp_path):
    write(tmp_path, "bad.yaml", "rules:" + good_rule("test.min-lines") + "    min_lines: 3\n")  # a `run` field
    assert "unknown field(s) ['min_lines'] for kind 'line'" in load_error(tmp_path)


def test_unknown_kind_lists_the_known_kinds(tmp_path):
    path = write(tmp_path, "bad.yaml", "rules:" + good_rule("test.magic").replace("kind: line", "kind: magic"))
    message = load_error(tmp_path)
    assert str(path) in message and "'test.magic'" in message and "unknown kind 'magic'" in message
    assert all(kind in message for kind in KINDS)


@pytest.mark.parametrize("examples, complaint", [
    ("", "'examples' needs non-empty 'match' and 'keep' lists"),
    ("    examples:\n      match: [Zebra crossing notice]\n", "'examples' needs non-empty 'match' and 'keep' lists"),
    ("    examples:\n      match: [Zebra crossing notice]\n      keep: []\n", "needs non-empty"),
    ("    examples:\n      match: [Zebra crossing notice]\n      keep: [x]\n      maybe: [y]\n", "only 'match' and 'keep'"),
])
def test_missing_or_malformed_examples(tmp_path, examples, complaint):
    rule = good_rule("test.examples")
    rule = rule[:rule.index("    examples:")] + examples
    path = write(tmp_path, "bad.yaml", "rules:" + rule)
    message = load_error(tmp_path)
    assert str(path) in message and "'test.examples'" in message and complaint in message


def test_missing_id_names_the_rule_by_position(tmp_path):
    body = "rules:" + good_rule("test.first") + good_rule("test.second").replace("id: test.second", "id: ''")
    path = write(tmp_path, "bad.yaml", body)
    assert load_error(tmp_path) == f"{path}: rule #2: missing 'id'"


def test_missing_description(tmp_path):
    write(tmp_path, "bad.yaml", "rules:" + good_rule("test.nodesc").replace("description: A test rule.", "description: ' '"))
    assert "'test.nodesc': missing 'description'" in load_error(tmp_path)


def test_missing_required_parameter(tmp_path):
    rule = good_rule("test.nopattern")
    rule = "\n".join(line for line in rule.splitlines() if "pattern:" not in line) + "\n"
    write(tmp_path, "bad.yaml", "rules:" + rule)
    assert "'test.nopattern': kind 'line' needs 'pattern'" in load_error(tmp_path)


def test_parameter_of_wrong_type(tmp_path):
    body = """
    rules:
      - id: test.run
        kind: run
        description: A run.
        pattern: '^x$'
        min_lines: three
        examples: {match: ["x\\nx\\nx"], keep: ["y"]}
    """
    write(tmp_path, "bad.yaml", body)
    assert "'test.run': 'min_lines' must be a int, got 'three'" in load_error(tmp_path)


def test_enabled_must_be_a_boolean(tmp_path):
    write(tmp_path, "bad.yaml", "rules:" + good_rule("test.enabled") + "    enabled: 'no'\n")
    assert "'test.enabled': 'enabled' must be true or false" in load_error(tmp_path)


@pytest.mark.parametrize("selector, complaint", [
    ("div[[", "invalid CSS selector"),
    ("body", "would remove the whole page"),
    ("*", "would remove the whole page"),
])
def test_bad_css_selector(tmp_path, selector, complaint):
    body = f"""
    rules:
      - id: test.css
        kind: css
        description: A selector.
        selector: '{selector}'
        examples: {{match: ['<div class="x"></div>'], keep: ['<p></p>']}}
    """
    path = write(tmp_path, "bad.yaml", body)
    message = load_error(tmp_path)
    assert str(path) in message and "'test.css'" in message and complaint in message


@pytest.mark.parametrize("body, complaint", [
    ("rules: [unclosed\n", "cannot read rule file"),
    ("- just\n- a list\n", "a rule file is a mapping with a 'rules' list"),
    ("concern: x\n", "a rule file is a mapping with a 'rules' list"),
    ("rules: []\nowner: me\n", "unknown top-level field(s) ['owner']"),
    ("rules:\n  - just a string\n", "rule #1: each rule is a mapping"),
])
def test_malformed_file(tmp_path, body, complaint):
    path = write(tmp_path, "bad.yaml", body)
    message = load_error(tmp_path)
    assert message.startswith(str(path)) and complaint in message


def test_yaml_is_loaded_safely(tmp_path):
    write(tmp_path, "bad.yaml", "rules: !!python/object/apply:os.system ['echo pwned']\n")
    assert "cannot read rule file" in load_error(tmp_path)


def test_duplicate_id_within_one_folder_names_both_files(tmp_path):
    first = write(tmp_path, "a.yaml", "rules:" + good_rule("test.dup"))
    second = write(tmp_path, "b.yaml", "rules:" + good_rule("test.dup"))
    message = load_error(tmp_path)
    assert str(first) in message and str(second) in message and "'test.dup' already defined" in message


def test_duplicate_id_within_one_file(tmp_path):
    write(tmp_path, "a.yaml", "rules:" + good_rule("test.dup") + good_rule("test.dup"))
    assert "'test.dup' already defined" in load_error(tmp_path)


def test_missing_extra_folder(tmp_path):
    assert load_error(tmp_path / "nope") == f"{tmp_path / 'nope'}: no such rule file or folder"


def test_a_file_of_another_kind_given_as_rules_is_refused(tmp_path):
    path = write(tmp_path, "notes.txt", "rules: []")
    assert load_error(path) == f"{path}: not a rule file (a rule file is .yaml, .yml, .toml)"


# --- accepted files -------------------------------------------------------------------------

def test_bundled_rules_load_and_their_examples_pass():
    ruleset = load_rules()
    assert {rule.kind for rule in ruleset.rules} == set(KINDS)
    assert all(rule.origin.startswith(str(rules_dir())) for rule in ruleset.rules)
    assert check_rules(ruleset) == []


def test_extra_folder_adds_rules_and_toml_works(tmp_path):
    write(tmp_path, "extra.yaml", "rules:" + good_rule("test.yaml-rule"))
    write(tmp_path, "more.toml", """
    [[rules]]
    id = "test.toml-rule"
    kind = "line"
    description = "A TOML rule."
    pattern = '^Zebra notice$'
    examples = { match = ["Zebra notice"], keep = ["Zebras."] }
    """)
    bundled = load_rules()
    ruleset = load_rules([tmp_path])
    assert len(ruleset.rules) == len(bundled.rules) + 2
    result = apply_text_rules("Zebra crossing notice\nZebra notice\nZebras crossed the road.", ruleset)
    assert result.text == "Zebras crossed the road."
    assert [r.rule for r in result.removed] == ["test.yaml-rule", "test.toml-rule"]


def test_override_by_id_replaces_the_bundled_rule(tmp_path):
    bundled = load_rules()
    # Make the headline list need 6 lines instead of 4.
    write(tmp_path, "navigation.yaml", """
    rules:
      - id: navigation.headline-list
        kind: headline_list
        description: Only long lists.
        min_lines: 6
        examples:
          match:
            - "A Big Story Here\\nAnother Big Story\\nThird Big Story Now\\nFourth Big Story Too\\nFifth Big Story Yes\\nSixth Big Story Done"
          keep:
            - "A Big Story Here\\nAnother Big Story\\nThird Big Story Now\\nFourth Big Story Too"
    """)
    ruleset = load_rules([tmp_path])
    assert len(ruleset.rules) == len(bundled.rules)
    rule = ruleset.by_id("navigation.headline-list")
    assert rule.origin == str(tmp_path / "navigation.yaml") and rule.params["min_lines"] == 6
    four = "Markets Rally on Rate Hopes\nFerry Strike Called Off\nSchool Reopens After Repairs\nQuotas Cut Again This Year"
    assert apply_text_rules(four, bundled).text == ""
    assert apply_text_rules(four, ruleset).text == four


def test_later_extra_folder_wins(tmp_path):
    write(tmp_path / "one", "r.yaml", "rules:" + good_rule("test.same", "^Alpha notice$", "Alpha notice", "Alpha."))
    write(tmp_path / "two", "r.yaml", "rules:" + good_rule("test.same", "^Beta notice$", "Beta notice", "Beta."))
    ruleset = load_rules([tmp_path / "one", tmp_path / "two"])
    assert apply_text_rules("Alpha notice\nBeta notice", ruleset).text == "Alpha notice"


def test_enabled_false_disables_a_bundled_rule(tmp_path):
    write(tmp_path, "off.yaml", """
    rules:
      - id: ads.advertisement-label
        kind: line
        description: Switched off for this corpus.
        pattern: '(?i)^advertisement$'
        enabled: false
        examples: {match: [Advertisement], keep: [Advertising revenue fell.]}
    """)
    ruleset = load_rules([tmp_path])
    assert not ruleset.by_id("ads.advertisement-label").enabled
    assert all(r.id != "ads.advertisement-label" for r in ruleset.for_host(None, ("line",)))
    text = "Advertisement\nThe museum reopened on Friday."
    assert apply_text_rules(text, load_rules()).text == "The museum reopened on Friday."
    assert apply_text_rules(text, ruleset).text == text


def test_extra_protect_rule_keeps_lines_bundled_rules_remove(tmp_path):
    write(tmp_path, "allow.yaml", """
    rules:
      - id: allow.subscribe-column
        kind: protect
        description: This paper's column is called Subscribe Now.
        pattern: '^Subscribe now!$'
        examples: {match: ["Subscribe now!"], keep: ["Subscribe"]}
    """)
    text = "Subscribe now!\nThe column returns next week with letters from readers."
    assert apply_text_rules(text, load_rules()).text == text.splitlines()[1]
    assert apply_text_rules(text, load_rules([tmp_path])).text == text


def test_site_file_applies_only_to_its_host_and_subdomains(tmp_path):
    write(tmp_path, "sites/example.com.yaml", "rules:" + good_rule("example.com.notice"))
    ruleset = load_rules([tmp_path])
    rule = ruleset.by_id("example.com.notice")
    assert rule.host == "example.com"
    text = "Zebra crossing notice\nZebras crossed."
    for host in ("example.com", "news.example.com"):
        assert apply_text_rules(text, ruleset, host).text == "Zebras crossed.", host
    for host in (None, "notexample.com", "example.com.evil.test", "example.org"):
        assert apply_text_rules(text, ruleset, host).text == text, host


def test_host_field_scopes_a_file_outside_sites(tmp_path):
    write(tmp_path, "local.yaml", "host: courier.example\nrules:" + good_rule("courier.notice"))
    ruleset = load_rules([tmp_path])
    assert ruleset.by_id("courier.notice").host == "courier.example"
    assert ruleset.by_id("courier.notice") in ruleset.for_host("courier.example", ("line",))
    assert ruleset.by_id("courier.notice") not in ruleset.for_host("other.example", ("line",))


def test_site_scoped_css_rule_prunes_only_its_host(tmp_path):
    from storysift.clean.html import extract_html

    write(tmp_path, "sites/example.com.yaml", """
    rules:
      - id: example.com.promo
        kind: css
        description: The site's promo strip.
        selector: '.promo-strip'
        examples: {match: ['<div class="promo-strip">x</div>'], keep: ['<div class="promo">x</div>']}
    """)
    ruleset = load_rules([tmp_path])
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in [
        "The museum reopened on Friday after a two-year renovation of its roof and galleries.",
        "Visitors queued from early morning, and the café ran out of pastries before noon.",
        "The director said the collection would rotate every six months from now on.",
    ])
    html = f'<html><body><article>{paragraphs}<div class="promo-strip">Members get in free</div></article></body></html>'
    on_site = extract_html(html, ruleset, "https://example.com/museum")
    elsewhere = extract_html(html, ruleset, "https://other.example/museum")
    assert [r.rule for r in on_site.removed] == ["example.com.promo"]
    assert "Members get in free" not in on_site.text
    assert elsewhere.removed == [] and "Members get in free" in elsewhere.text


def test_load_rule_file_reads_one_file(tmp_path):
    path = write(tmp_path, "one.yaml", "rules:" + good_rule("test.one"))
    (rule,) = load_rule_file(path)
    assert (rule.id, rule.kind, rule.host, rule.enabled, rule.origin) == ("test.one", "line", None, True, str(path))
    assert rule.regex.search("Zebra crossing notice") and not rule.regex.search("Zebras crossed.")


def test_a_single_rule_file_is_accepted_as_rules_and_only_it_is_read(tmp_path):
    mine = write(tmp_path, "mine.yaml", "rules:" + good_rule("test.mine"))
    write(tmp_path, "other.yaml", "rules:" + good_rule("test.other"))
    site = write(tmp_path / "sites", "example.com.yaml", "rules:" + good_rule("test.site"))
    ids = {rule.id: rule for rule in load_rules([mine, site]).rules}
    assert "test.mine" in ids and "test.other" not in ids
    assert ids["test.site"].host == "example.com"  # a file under sites/ is scoped to its host, as in a folder
