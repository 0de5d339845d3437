"""`storysift rules import-easylist`: cosmetic filters become CSS rules that load, pass their
own examples and clean pages; everything else is skipped and counted by reason."""

from pathlib import Path

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser
from typer.testing import CliRunner

from storysift.clean.page import clean_text
from storysift.cli import app
from storysift.ruleset.easylist import classify, import_easylist, match_example
from storysift.ruleset.load import load_rules

EXCERPT = Path(__file__).parent / "data" / "easylist-excerpt.txt"
ARTICLE = "<p>The council approved the budget on Monday after a long debate about the harbour wall.</p>" * 3


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def imported(tmp_path):
    out = tmp_path / "rules" / "easylist.yaml"
    result = run("rules", "import-easylist", EXCERPT, "--out", out)
    assert result.exit_code == 0, result.output
    return out, result.output


def selectors(path: Path) -> list[str]:
    return [rule["selector"] for rule in yaml.safe_load(path.read_text())["rules"]]


@pytest.mark.parametrize("line, reason", [
    ("[Adblock Plus 2.0]", "list header ([Adblock ...])"),
    ("! Title: EasyList", "comment (!)"),
    ("||ads.example.com^", "network filter (no ##)"),
    ("@@||example.com/ads.js$script", "network filter (no ##)"),
    ("example.com#?#div:-abp-has(> .label)", "procedural filter (#?#)"),
    ("example.com##+js(aopr, adblock)", "scriptlet (##+js)"),
    ("example.com##^script:has-text(ads)", "HTML filter (##^)"),
    ("example.com#$#.cookie { display: none !important; }", "AdGuard CSS injection (#$#)"),
    ("example.com#%#//scriptlet('abort-on-property-read', 'ads')", "AdGuard scriptlet (#%#)"),
])
def test_lines_that_are_not_element_hiding_are_classified_for_skipping(line, reason):
    assert classify(line) == reason


def test_hiding_and_exception_filters_are_split_into_domains_and_selector():
    assert classify("a.com,b.com##.related") == ("hide", "a.com,b.com", ".related")
    assert classify("##.ad-banner") == ("hide", "", ".ad-banner")
    assert classify("a.com#@#.ad-banner") == ("except", "a.com", ".ad-banner")
    assert classify("   ") is None


def test_generic_filters_become_one_rule_file(imported):
    out, _ = imported
    assert selectors(out) == [
        ".ad-banner", "#ad-top", 'div[id^="div-gpt-ad"]', "ins.adsbygoogle", "[data-ad-slot]",
        'a[href^="https://ad.doubleclick.net/"]', ".promo-heading + .promo-list",
        'div[class$="-ad-container"]', ".outbrain-widget:not(.story)", ".sponsor-box:has(> .sponsor-label)",
    ]


def test_site_filters_go_to_one_file_per_host_under_sites(imported):
    out, _ = imported
    sites = out.parent / "sites"
    assert sorted(p.name for p in sites.iterdir()) == ["example.com.yaml", "example.net.yaml", "news.example.org.yaml"]
    assert selectors(sites / "example.com.yaml") == [".related-stories", ".bottom-strip"]  # once each
    assert selectors(sites / "example.net.yaml") == ["aside.most-read"]  # www. is dropped from the host


def test_exceptions_drop_the_selector_they_name(imported):
    out, _ = imported
    every = [s for path in out.parent.rglob("*.yaml") for s in selectors(path)]
    # example.com#@#.trc_related_container: no per-host allowlist for CSS, so the generic filter goes.
    assert ".trc_related_container" not in every
    # #@#.sidebar > .sponsored-links: an exception for every site.
    assert ".sidebar > .sponsored-links" not in every
    # blog.example.org#@#.newsletter-signup: only that host of a.com,b.com##sel is dropped.
    assert not (out.parent / "sites" / "blog.example.org.yaml").exists()
    assert selectors(out.parent / "sites" / "news.example.org.yaml") == [".newsletter-signup"]


def test_every_skip_is_counted_by_reason_in_the_output_and_the_file(imported):
    out, output = imported
    expected = {
        "procedural operator :has-text": 2, "procedural operator :xpath": 1, "procedural operator :-abp-": 1,
        "selectolax cannot parse the selector": 1, "selects the whole page": 1, "matches ordinary article markup": 1,
        "~domain negation": 1, "entity domain (example.*)": 1, "network filter (no ##)": 3, "comment (!)": 6,
        "generic selector has an exception (#@#)": 2, "duplicate": 1,
    }
    for reason, count in expected.items():
        assert f"skipped {count}\t{reason}\n" in output
    description = yaml.safe_load(out.read_text())["description"]
    assert "procedural operator :has-text: 2" in description
    assert "44 filters, 14 rules written" in description


def test_imported_rules_load_list_and_pass_their_own_examples(imported):
    out, _ = imported
    listing = run("rules", "list", "--rules", out.parent)
    assert listing.exit_code == 0
    assert "easylist.example.com." in listing.output and "\texample.com\t" in listing.output
    tested = run("rules", "test", "--rules", out.parent)
    assert tested.exit_code == 0, tested.output
    assert "0 failed" in tested.output


def test_imported_rules_clean_pages_generic_everywhere_site_rules_on_their_host(imported):
    out, _ = imported
    rules = load_rules([out.parent])
    page = ('<html><body><div id="ad-top">Buy a boat today</div><article>' + ARTICLE +
            '<div class="bottom-strip">Ten other harbour stories</div></article></body></html>')
    elsewhere = clean_text(page, rules, url="https://other.org/news/1")
    on_site = clean_text(page, rules, url="https://www.example.com/news/1")
    assert "Buy a boat" not in elsewhere.text and "Buy a boat" not in on_site.text
    assert "Ten other harbour stories" in elsewhere.text
    assert "Ten other harbour stories" not in on_site.text
    assert [r.rule.startswith("easylist.example.com.") for r in on_site.removed if "harbour stories" in r.text] == [True]
    assert "council approved the budget" in on_site.text


def test_rule_ids_survive_lines_added_above(tmp_path):
    first = import_easylist("##.ad-banner\nexample.com##.related\n", "a.txt")
    second = import_easylist("! new header\n##.new-thing\n##.ad-banner\nexample.com##.related\n", "a.txt")
    assert first.generic[0]["id"] in {rule["id"] for rule in second.generic}
    assert first.sites["example.com"][0]["id"] == second.sites["example.com"][0]["id"]


def test_toml_output_holds_the_same_rules(tmp_path, imported):
    out, _ = imported
    toml_out = tmp_path / "toml" / "easylist.toml"
    assert run("rules", "import-easylist", EXCERPT, "--out", toml_out).exit_code == 0
    from_yaml = {(r.id, r.host, r.params["selector"]) for r in load_rules([out.parent]).rules if r.id.startswith("easylist.")}
    from_toml = {(r.id, r.host, r.params["selector"]) for r in load_rules([toml_out.parent]).rules if r.id.startswith("easylist.")}
    assert from_toml == from_yaml and len(from_toml) == 14
    assert run("rules", "test", "--rules", toml_out.parent).exit_code == 0


def test_a_site_file_written_by_hand_is_never_overwritten(tmp_path):
    sites = tmp_path / "rules" / "sites"
    sites.mkdir(parents=True)
    mine = sites / "example.com.yaml"
    mine.write_text("rules: []\n")
    result = run("rules", "import-easylist", EXCERPT, "--out", tmp_path / "rules" / "easylist.yaml")
    assert result.exit_code == 2
    assert "was not written by import-easylist" in result.output
    assert mine.read_text() == "rules: []\n"
    assert not (tmp_path / "rules" / "easylist.yaml").exists()


@pytest.mark.parametrize("selector", [
    ".ad-banner", "#ad-top", "AD-SLOT", 'div[id^="div-gpt-ad"]', '[class^="ad-"][class$="-box"]',
    "div.a > ul li + li.x", ".promo ~ .list", 'a[href*="track"] > img', ".box:has(> .label)",
    "section:not(.story) .x", "#a.b.c[title='q']:first-child",
])
def test_match_examples_are_matched_by_their_selector(selector):
    snippet = match_example(selector)
    assert snippet is not None
    assert LexborHTMLParser(snippet).css(selector)
