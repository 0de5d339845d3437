"""Whole-page text (a scraper's .txt): the title line goes to `title`, the line classifier removes
the furniture the text rules left, every removed line is attributed, and the rule can be tuned
or switched off like any other. The classifier is a model, so these tests assert behaviour on
pages built for it, never its exact probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storysift.clean.lines import FEATURES, TOKEN, read_page
from storysift.clean.linemodel import (BUNDLED, ModelError, cached_model, forest_from_json, load_model,
                                       second_stage_input)
from storysift.clean.normalize import normalize_line
from storysift.clean.page import clean_text
from storysift.ruleset.load import PAGE_KINDS, RuleError, load_rules

ARTICLE = [
    "The harbour authority approved the new ferry timetable on Tuesday after months of talks with "
    "operators, unions and the island councils that depend on the crossings.",
    "Ferries will leave every forty minutes in summer and every hour in winter, and the first crossing "
    "moves to six in the morning, which the fishermen had asked for since the spring.",
    "It was the third revision this year.",
    "The councils had asked for a later last ferry, which the operator refused, citing the cost of a "
    "second crew and the harbour's night-time noise limits.",
]
MENU = ["Home", "News", "Sport", "Business", "Weather", "Travel", "Contact us"]
FOOTER = ["Share this article", "Facebook", "Twitter", "Email", "Privacy policy", "Terms of use",
          "© 2012 The Harbour Times. All rights reserved."]


def page(*blocks: list[str]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks)


SAVED_PAGE = page(["Ferry timetable approved | The Harbour Times"], MENU, ["Ferry timetable approved"],
                  *([line] for line in ARTICLE), FOOTER)


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def saved(rules):
    return clean_text(SAVED_PAGE, rules)


def test_menu_run_and_footer_removed_but_short_article_paragraph_kept(saved):
    kept = lines_of(saved.text)
    # The menu is a run of short lines at the head; the footer's lines the rules and the model
    # take between them (the model alone is less sure of a footer just under the article).
    assert not set(MENU) & set(kept) and len(set(FOOTER) & set(kept)) < len(FOOTER) / 2
    assert all(line in kept for line in ARTICLE)  # "It was the third revision this year." included
    assert any(r.rule == "text.boilerplate" for r in saved.removed)


def test_title_line_goes_to_title_and_the_headline_stays_where_the_article_starts(saved):
    assert saved.title == "Ferry timetable approved | The Harbour Times"
    assert lines_of(saved.text)[0] == "Ferry timetable approved"
    assert [r.text for r in saved.removed if r.rule == "text.title"] == [saved.title]


def test_no_list_rule_takes_a_short_posts_title_and_headline(rules):
    # Title, credit, headline, byline and date are a run of short Title Case lines: the
    # headline-list rule took them all, and the page lost its title and its only article line.
    post = page(["Ferry Timetable Approved By Harbour Board"],
                ["By World News, harbourtimes.com", "Originally published on harbourtimes.com",
                 "Ferry Timetable Approved By Harbour Board"], ["Adam Garber"], ["July 22, 2012"])
    cleaned = clean_text(post, rules)
    assert cleaned.title == "Ferry Timetable Approved By Harbour Board"
    assert lines_of(cleaned.text)[0] == "Ferry Timetable Approved By Harbour Board"
    assert any(r.rule == "navigation.headline-list" for r in cleaned.removed)  # the rest of the run still goes


def test_a_headline_shown_twice_under_a_menu_is_kept_from_a_list_rule(rules):
    # No <title> line first (a menu is), but the headline stands twice in a row, amid other short
    # Title Case lines that a list rule takes.
    headline = "Ferry Timetable Approved By Harbour Board"
    cleaned = clean_text(page(["Home", "News", "Sport", "Weather"],
                              ["Supported By", "Subscribers Via Rss", headline, headline, "Adam Garber"],
                              ["July 22, 2012"]), rules)
    assert headline in lines_of(cleaned.text)


def test_a_headline_shown_twice_under_a_site_name_title_is_kept_too(rules):
    # The first line is the site's name, which a menu item repeats (the <title> and "headline" of
    # the title rule); the article's headline, shown twice lower down, stays from the list rule too.
    headline = "Ferry Timetable Approved By Harbour Board"
    cleaned = clean_text(page(["Harbour Times, island news"], ["Home", "Island news", "Sport", "Weather"],
                              ["Supported By", "Subscribers Via Rss", headline, "By Adam Garber", headline,
                               "Adam Garber"], ["July 22, 2012"]), rules)
    assert headline in lines_of(cleaned.text)
    assert cleaned.title == headline  # the first line's repeat stands in the menu, above it


def test_a_headline_shown_twice_is_the_title_when_the_first_line_is_a_sites_short_name(rules):
    headline = "Ferry Timetable Approved By Harbour Board"
    cleaned = clean_text(page(["WSJ"], MENU, ["WSJ", "Blogs"], [headline, "By Adam Garber", headline],
                              *([line] for line in ARTICLE), FOOTER), rules)
    assert cleaned.title == headline
    assert headline in lines_of(cleaned.text)


def test_a_headline_shown_again_past_a_byline_and_credit_with_a_comment_count_is_the_title(rules):
    headline = "Ferry Timetable Approved By Harbour Board"
    cleaned = clean_text(page(["Home", "News", "Sport", "Weather"],
                              [headline, "By Adam Garber", "Originally published on harbourtimes.com",
                               f"{headline} 427", "Posted by timothy on Tuesday July 24"]), rules)
    assert cleaned.title == headline and headline in lines_of(cleaned.text)


def test_a_first_line_shown_again_at_once_is_still_taken_as_the_title(rules):
    headline = "Ferry Timetable Approved By Harbour Board"
    cleaned = clean_text(page([headline], ["By Adam Garber", headline], *([line] for line in ARTICLE)), rules)
    assert cleaned.title == headline and lines_of(cleaned.text).count(headline) == 1


def test_a_line_shown_under_each_item_of_a_list_is_no_headline(rules):
    label = "WorldViews By Max Fisher"
    items = ["Haiti video: It is misery...", "Global implications of the vote...", "Saudi Arabia faces a choice..."]
    listing = [line for item in items for line in (item, label)]
    cleaned = clean_text(page(["Home", "News", "Sport", "Weather"], listing, *([line] for line in ARTICLE)), rules)
    assert cleaned.title != label


def test_a_sites_name_shown_again_past_two_headlines_of_a_list_is_no_headline(rules):
    name = "Hatch: The Harbour Times Blog"
    listing = ["You may also like", "Storm Thwarted By Harbour Wall", name, "Council Opens New Ferry Terminal",
               "Timeline: Now Available Worldwide", name, "About Becky"]
    cleaned = clean_text(page(["Home", "News", "Sport", "Weather"], listing), rules)
    assert cleaned.title != name


def test_a_footer_repeating_the_first_line_after_the_article_is_not_kept_for_it(rules):
    footer = ["About Us", "Privacy Policy", "The Harbour Times", "Terms Of Use", "Advertise With Us"]
    cleaned = clean_text(page(["The Harbour Times Online", "Home", "News", "Sport", "Weather"],
                              ["Ferry timetable approved"], *([line] for line in ARTICLE), footer), rules)
    assert "The Harbour Times" not in lines_of(cleaned.text)


def test_every_removed_line_is_attributed_and_kept_plus_removed_is_the_page(saved):
    removed = [line for r in saved.removed for line in r.text.splitlines()]
    assert all(r.rule and r.lines for r in saved.removed)
    assert sorted(lines_of(saved.text) + removed) == sorted(normalize_line(line) for line in lines_of(SAVED_PAGE))


def test_classifier_removals_record_a_probability_below_the_threshold(saved, rules):
    threshold = rules.by_id("text.boilerplate").params["threshold"]
    votes = [r.votes for r in saved.removed if r.rule == "text.boilerplate"]
    assert votes and all(v.startswith("p<=") for v in votes)
    assert all(0 <= float(v[3:]) <= threshold for v in votes)
    assert all(r.votes is None for r in saved.removed if r.rule != "text.boilerplate")
    record = saved.as_record()
    assert all(("votes" in r) == (r["rule"] == "text.boilerplate") for r in record["removed"])


def test_explain_shows_the_classifier_probability_on_a_removed_run(saved):
    from storysift.review.explain import render_explanation

    shown = render_explanation(saved)
    assert "[text.boilerplate]" in shown and "[text.boilerplate p<=" in shown


def test_a_clean_article_loses_nothing(rules):
    text = page(["Ferry timetable approved"], *([line] for line in ARTICLE))
    doc = clean_text(text, rules)
    assert doc.removed == [] and lines_of(doc.text) == lines_of(text)


def test_html_pages_never_reach_the_page_kinds(rules):
    archive = "Archives " + " ".join(f"{month} 2012" for month in ("October", "September", "August", "July", "June",
                                                                    "May", "April", "March", "February", "January",
                                                                    "December", "November", "October"))
    html = (f"<html><head><title>Ferry timetable approved | The Harbour Times</title></head><body>"
            f"<nav>{' '.join(f'<a href=/{m}>{m}</a>' for m in MENU)}</nav><article><h1>Ferry timetable approved</h1>"
            + "".join(f"<p>{line}</p>" for line in ARTICLE) + f"<p>{archive}</p></article></body></html>")
    doc = clean_text(html, rules)
    assert doc.kind == "html" and archive in doc.text  # text.flattened-list would take it from a text page
    assert not {r.rule for r in doc.removed} & {r.id for r in rules.rules if r.kind in PAGE_KINDS}


def override(tmp_path: Path, rules, rule_id: str, **params) -> Path:
    import yaml

    rule = rules.by_id(rule_id)
    entry = {"id": rule.id, "kind": rule.kind, "description": rule.description, "examples": rule.examples,
             **rule.params, **params}
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "mine.yaml").write_text(yaml.safe_dump({"rules": [entry]}), encoding="utf-8")
    return folder


def test_enabled_false_switches_the_classifier_off(tmp_path, rules):
    mine = load_rules([override(tmp_path, rules, "text.boilerplate", enabled=False)])
    doc = clean_text(SAVED_PAGE, mine)
    assert not any(r.rule == "text.boilerplate" for r in doc.removed)
    assert "Business" in lines_of(doc.text)


def test_a_higher_threshold_removes_at_least_as_much(tmp_path, saved, rules):
    strict = load_rules([override(tmp_path, rules, "text.boilerplate", threshold=0.9)])
    doc = clean_text(SAVED_PAGE, strict)
    assert set(lines_of(doc.text)) <= set(lines_of(saved.text))


@pytest.mark.parametrize("threshold", [0, 1, 1.5])
def test_threshold_outside_zero_one_is_refused(tmp_path, rules, threshold):
    with pytest.raises(RuleError, match="'threshold' must be between 0 and 1"):
        load_rules([override(tmp_path, rules, "text.boilerplate", threshold=threshold)])


def test_a_broken_model_file_is_refused_when_the_rules_load(tmp_path, rules):
    folder = override(tmp_path, rules, "text.boilerplate", model="broken.json")
    (folder / "broken.json").write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(RuleError, match="broken.json: not a storysift-line-model/1 file"):
        load_rules([folder])


@pytest.mark.parametrize("what", ["folder", "deep"])
def test_a_model_that_is_no_file_or_nested_too_deep_is_refused(tmp_path, rules, what):
    folder = override(tmp_path, rules, "text.boilerplate", model="model.json")
    if what == "folder":
        (folder / "model.json").mkdir()
    else:
        (folder / "model.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(RuleError, match="model.json: (the line model must be a regular file|cannot read)"):
        load_rules([folder])


def test_model_loading_and_cleaning_are_deterministic(rules):
    lines = [normalize_line(line) for line in SAVED_PAGE.splitlines()]
    first = load_model(BUNDLED).probabilities(lines)[1]
    second = load_model(BUNDLED).probabilities(lines)[1]
    assert first.tobytes() == second.tobytes()
    assert cached_model(str(BUNDLED)) is cached_model(str(BUNDLED))
    records = [json.dumps(clean_text(SAVED_PAGE, rules).as_record()) for _ in range(2)]
    assert records[0] == records[1]


def test_the_bundled_model_reads_the_features_this_storysift_computes():
    data = json.loads(BUNDLED.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES
    assert set(data["stages"]) == {"first", "comment", "second"}


# --- the tree walk ----------------------------------------------------------------------------

def test_padded_trees_give_the_leaf_each_row_reaches():
    # Root: x0 <= 1.5 ? (leaf -1) : (x1 <= 0.5 ? leaf 2 : (x0 <= 3 ? leaf 5 : leaf 7)), an
    # unbalanced tree of depth 3, and a tree that is a single leaf.
    forest = forest_from_json({"trees": [
        {"feature": [0, 1, 0], "threshold": [1.5, 0.5, 3.0], "left": [-1, -2, -3], "right": [1, 2, -4],
         "leaf": [-1.0, 2.0, 5.0, 7.0]},
        {"feature": [], "threshold": [], "left": [], "right": [], "leaf": [0.25]},
    ]}, 2, "test")
    X = np.array([[1.5, 9.0], [2.0, 0.5], [3.0, 1.0], [3.5, 1.0], [0.0, 0.0]])
    assert forest.raw(X).tolist() == [-0.75, 2.25, 5.25, 7.25, -0.75]


def test_a_tree_reading_a_missing_feature_is_refused():
    with pytest.raises(ModelError, match="reads a feature or a node that does not exist"):
        forest_from_json({"trees": [{"feature": [5], "threshold": [0.0], "left": [-1], "right": [-2],
                                     "leaf": [0.0, 1.0]}]}, 2, "test")


# --- the features -----------------------------------------------------------------------------

def test_features_count_the_words_python_finds_on_each_line():
    lines = ["Straße über 12:30 — 'Ärger' in Zürich…", "", "ΑΘΗΝΑ: 3 ώρες", "x_y 2012 © ok", "  "]
    view = read_page([normalize_line(line) for line in lines])
    assert view.index == [0, 2, 3]
    tokens = np.expm1(view.X[:, FEATURES.index("tokens")])
    assert np.allclose(tokens, [len(TOKEN.findall(lines[i])) for i in view.index])
    assert np.isfinite(view.X).all()
    assert view.X[:, FEATURES.index("blank_after")].tolist() == [1.0, 0.0, 1.0]


def test_second_stage_input_is_finite_when_the_likely_lines_have_no_words():
    view = read_page(["—", "...", "Home", "News"])
    for p in (np.array([0.9, 0.9, 0.1, 0.1]), np.zeros(4), np.ones(4)):
        assert np.isfinite(second_stage_input(view.X, view.words, p, 1 - p)).all()


def test_lines_without_words_still_get_features():
    view = read_page(["", "—", "...", ""])
    assert view.index == [1, 2] and view.X.shape == (2, len(FEATURES)) and np.isfinite(view.X).all()
    assert read_page(["", ""]).X.shape == (0, len(FEATURES))


def two_level_model(tmp_path: Path, long_line: float, short_line: float) -> Path:
    """A model file that gives a line of more than 12 words `long_line`, any other `short_line`
    (its second stage splits on the line's word count; the other stages are one leaf)."""
    data = json.loads(BUNDLED.read_text(encoding="utf-8"))

    def logit(p: float) -> float:
        return float(np.log(p / (1 - p)))

    leaf = {"trees": [{"feature": [], "threshold": [], "left": [], "right": [], "leaf": [0.0]}]}
    split = {"trees": [{"feature": [FEATURES.index("tokens")], "threshold": [float(np.log1p(12))],
                        "left": [-1], "right": [-2], "leaf": [logit(short_line), logit(long_line)]}]}
    data["stages"] = {"first": leaf, "comment": leaf, "second": split}
    path = tmp_path / "two-level.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_page_the_model_is_sure_of_nowhere_keeps_the_lines_near_its_best(tmp_path, rules):
    threshold = rules.by_id("text.boilerplate").params["threshold"]
    model = two_level_model(tmp_path, long_line=0.6 * threshold, short_line=0.2 * threshold)  # under it everywhere
    long_lines = [line for line in lines_of(SAVED_PAGE) if len(TOKEN.findall(line)) > 12]
    best = load_rules([override(tmp_path, rules, "text.boilerplate", model=str(model), relative=1.0)])
    # Never emptied: the best lines stay, and the headline (it repeats the <title> line).
    assert lines_of(clean_text(SAVED_PAGE, best).text) == ["Ferry timetable approved", *long_lines]
    near = load_rules([override(tmp_path, rules, "text.boilerplate", model=str(model), relative=0.3)])
    doc = clean_text(SAVED_PAGE, near)  # the threshold drops to 0.3 x the best line's, under every line
    assert not any(r.rule == "text.boilerplate" for r in doc.removed)


def test_an_article_cut_out_of_its_page_keeps_its_headline(tmp_path, rules):
    threshold = rules.by_id("text.boilerplate").params["threshold"]
    model = two_level_model(tmp_path, long_line=0.6 * threshold, short_line=0.2 * threshold)
    best = load_rules([override(tmp_path, rules, "text.boilerplate", model=str(model), relative=1.0)])
    text = page(["Ferry timetable approved by council"], *([line] for line in ARTICLE), ["Privacy policy", "Terms of use"])
    long_lines = [line for line in lines_of(text) if len(TOKEN.findall(line)) > 12]
    assert lines_of(clean_text(text, best).text) == ["Ferry timetable approved by council", *long_lines]
    # A menu's first item reads like no headline: the model decides on it.
    menu_first = page(MENU, *([line] for line in ARTICLE))
    assert lines_of(clean_text(menu_first, best).text) == long_lines


@pytest.mark.parametrize("text", ["A", "A.", "Ab", "A\nB"])
def test_pages_of_a_character_or_two_are_cleaned(text, rules):
    # The model reads the character two after each one: a one-character page had none to pad.
    assert clean_text(text, rules).text == text


@pytest.mark.parametrize("relative", [0, 1.5])
def test_relative_outside_zero_one_is_refused(tmp_path, rules, relative):
    with pytest.raises(RuleError, match="'relative' must be in"):
        load_rules([override(tmp_path, rules, "text.boilerplate", relative=relative)])


def test_a_page_saved_without_blank_lines_is_cleaned_like_one_with_them(saved, rules):
    # Scrapers that write a line per block save no blank lines (the syndication corpus's pages).
    dense = "\n".join(lines_of(SAVED_PAGE))
    kept = lines_of(clean_text(dense, rules).text)
    assert all(line in kept for line in ARTICLE)
    # The menu is a run of short lines at the head; the footer's lines the rules and the model
    # take between them (the model alone is less sure of a footer just under the article).
    assert not set(MENU) & set(kept) and len(set(FOOTER) & set(kept)) < len(FOOTER) / 2


def test_a_line_past_the_cap_is_never_read_by_the_model_and_stays(tmp_path, rules):
    from storysift.clean.normalize import MAX_PATTERN_LINE

    huge = " ".join(["Home"] * (MAX_PATTERN_LINE // 4))  # a menu word, repeated past the cap
    without_lists = load_rules([override(tmp_path, rules, "text.flattened-list", enabled=False)])  # it is one
    doc = clean_text(SAVED_PAGE + "\n\n" + huge, without_lists)
    assert huge in doc.text and not set(MENU) & set(lines_of(doc.text))



# -- reader comments: a thread under its section's heading goes; a heading elsewhere costs nothing
@pytest.mark.parametrize("line, value", [
    ("53 Comments", 2), ("Comments (12)", 2), ("2 responses", 2), ("Leave a Reply", 1), ("Kommentare", 1),
    ("Add a Comment", 1), ("Comments from readers shaped the council's final plan for the winter ferries", 0),
    ("The council read the comments of residents before it voted", 0), ("Commentary", 0),
])
def test_comment_section_headings_are_read_with_their_counts(line, value):
    from storysift.clean.lines import comments_heading

    assert comments_heading([line], np.array([float(len(TOKEN.findall(line)))])).tolist() == [value]


THREAD = [
    "12 Comments", "Mary Jones", "July 24, 2012 at 9:14 am",
    "Finally! I have been waiting for this for years, my husband works late shifts in town and it will make a huge "
    "difference to us.", "Reply", "Tom", "July 24, 2012 at 10:02 am",
    "I doubt the company will keep it up once the summer is over, they cut the winter service last time as soon as "
    "they could.", "Reply", "Sandra P.", "July 24, 2012 at 11:40 am",
    "Does anyone know if the evening boats will take cars as well or only foot passengers? I could not find it on "
    "their site.", "Reply", "Leave a Reply", "Name (required)", "Email (will not be published)",
]


def test_a_thread_under_its_comment_heading_goes_and_the_article_stays(rules):
    doc = clean_text(page(["Ferry timetable approved | The Harbour Times"], MENU, ["Ferry timetable approved"],
                          *([line] for line in ARTICLE), *([line] for line in THREAD), FOOTER), rules)
    kept = set(lines_of(doc.text))
    assert set(ARTICLE) <= kept
    assert not kept & set(THREAD[3::4])  # the comments themselves


def test_a_count_of_comments_above_the_article_costs_no_paragraph(rules):
    # The post's meta line: no comment section starts there. (A comment widget printed between
    # two paragraphs can cost the paragraph after it: see the README's known losses.)
    article = ["By Ann Smith | July 24, 2012", "12 Comments", *ARTICLE]
    doc = clean_text(page(["Ferry timetable approved | The Harbour Times"], MENU, ["Ferry timetable approved"],
                          *([line] for line in article), FOOTER), rules)
    assert set(ARTICLE) <= set(lines_of(doc.text))


# -- in a corpus: the classifier waits for the corpus stage, which applies it where no template can
SITE_MENU = ["Home", "Harbour", "Islands", "Ferries", "Fishing", "Opinion", "Contact the Harbour Times"]
SITE_FOOTER = ["Share this article", "Facebook", "Twitter", "Privacy policy at the Harbour Times",
               "© 2012 The Harbour Times. All rights reserved."]
SITE_STORIES = [
    ("Lighthouse keeper retires", "The last keeper of the north lighthouse retired on Friday after thirty-one years "
     "of climbing its stairs every evening to light the lamp for the fishing fleet."),
    ("School bus route extended", "The island council extended the school bus route to the western farms, so that "
     "eleven children no longer walk two miles to the crossroads every morning in the rain."),
    ("Fish market moves indoors", "The Saturday fish market moves into the old customs hall next month, after the "
     "traders complained for years about the wind that blew their stalls across the quay."),
    ("New pier opens", "The new pier at the south harbour opened on Monday, two years late and a third over its "
     "budget, with room for four trawlers and the summer ferry at once."),
]


def corpus_page(headline: str, paragraph: str) -> str:
    return page(SITE_MENU, [headline], [paragraph, "The council will review the matter again in the spring, "
                                        "when the new budget is known and the harbour board has met."], SITE_FOOTER)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    from storysift.run.engine import run_cleaning

    folder = tmp_path_factory.mktemp("pages")
    for n, story in enumerate(SITE_STORIES):
        (folder / f"site-{n}.txt").write_text(corpus_page(*story), encoding="utf-8")
    (folder / "lone.txt").write_text(SAVED_PAGE, encoding="utf-8")
    (folder / "untitled.txt").write_text(UNTITLED_PAGE, encoding="utf-8")
    out = tmp_path_factory.mktemp("run")
    report = run_cleaning([str(folder)], out, load_rules())
    records = {Path(r["source"]).name: r for r in map(json.loads, (out / "clean.jsonl").read_text().splitlines())}
    return report.as_dict(), records


# No <title> line: the fallback title is the first line that stays, and the classifier removes
# the first ("Accessibility links").
UNTITLED_PAGE = page(["Accessibility links"], ["Ferry timetable approved"], *([line] for line in ARTICLE))


def test_a_lone_page_gets_the_title_in_a_run_that_clean_gives_it(corpus_run):
    _, records = corpus_run
    assert records["untitled.txt"]["title"] == clean_text(UNTITLED_PAGE, load_rules()).title == "Ferry timetable approved"


def test_in_a_run_the_template_cleans_a_sites_pages_and_the_classifier_the_lone_page(corpus_run):
    report, records = corpus_run
    for n, (headline, paragraph) in enumerate(SITE_STORIES):
        record = records[f"site-{n}.txt"]
        rules = {r["rule"] for r in record["removed"]}
        assert "site.template" in rules and "text.boilerplate" not in rules
        assert paragraph in record["text"] and "Fishing" not in lines_of(record["text"])
    lone = records["lone.txt"]
    assert any(r["rule"] == "text.boilerplate" for r in lone["removed"])
    assert not set(MENU) & set(lines_of(lone["text"])) and all(line in lone["text"] for line in ARTICLE)
    assert not any("deferred" in record for record in records.values())
    assert report["dedup"]["removals_per_rule"]["text.boilerplate"] == sum(
        r["rule"] == "text.boilerplate" for record in records.values() for r in record["removed"])


def test_a_run_stopped_before_its_corpus_stage_applies_what_cleaning_deferred(tmp_path):
    from storysift.run.engine import RunOptions, StrictStop, run_cleaning

    (tmp_path / "a.txt").write_text(SAVED_PAGE, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "untitled.txt").write_text(UNTITLED_PAGE, encoding="utf-8")
    with pytest.raises(StrictStop):
        run_cleaning([str(tmp_path / "a.txt"), str(tmp_path / "untitled.txt"), str(tmp_path / "b.txt")],
                     tmp_path / "out", load_rules(), RunOptions(strict=True))
    record, untitled = map(json.loads, (tmp_path / "out" / "clean.jsonl").read_text().splitlines())
    assert untitled["title"] == "Ferry timetable approved"  # as storysift clean gives it
    assert "deferred" not in record and any(r["rule"] == "text.boilerplate" for r in record["removed"])
    assert not set(MENU) & set(lines_of(record["text"]))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    removed = record["removed"] + untitled["removed"]
    assert report["removals_per_rule"]["text.boilerplate"] == sum(r["rule"] == "text.boilerplate" for r in removed)
    assert report["removals_per_stage"]["cleaning"] == len(removed)


def test_the_resume_fingerprint_says_whether_cleaning_defers_the_classifier(tmp_path):
    # Whether cleaning defers the classifier is part of what --resume must find the same.
    from storysift.run.engine import RunOptions, fingerprint

    rules = load_rules()
    with_corpus = fingerprint([str(tmp_path)], rules.deferring(("classifier",)), RunOptions())
    assert with_corpus["rules"] != fingerprint([str(tmp_path)], rules, RunOptions(dedup=None))["rules"]


def test_deferred_entries_that_name_no_line_of_the_text_are_passed_over():
    from storysift.corpus.batches import apply_deferred

    text = "Home\nNews\n\nThe council approved the budget."
    assert apply_deferred(text, [{"rule": "x", "at": [9]}, {"rule": "x", "at": ["1"]}, "junk", {"at": [1]}]) is None
    assert apply_deferred(text, {"rule": "x", "at": [1]}) is None
    stripped = apply_deferred(text, [{"rule": "text.boilerplate", "at": [1, 2], "lines": [3, 4], "votes": "p<=0.05"}])
    assert stripped.text == "The council approved the budget."
    assert [(r.rule, r.text, r.lines, r.votes) for r in stripped.removals] == [
        ("text.boilerplate", "Home\nNews", (3, 4), "p<=0.05")]


def test_a_list_the_rendering_ran_into_one_line_goes_as_a_flattened_list(rules):
    archive = "Archives " + " ".join(f"{month} 2012" for month in ("October", "September", "August", "July", "June",
                                                                    "May", "April", "March", "February", "January",
                                                                    "December", "November", "October"))
    headlines = ("More from the Harbour Times Harbour Board Elects New Chair Island Councils Sign Water Deal "
                 "Fishermen Welcome Early Crossing Storm Closes Northern Pier Museum Opens Maritime Wing")
    cleaned = clean_text(page(["Ferry timetable approved | The Harbour Times"], ["Ferry timetable approved"],
                              *([line] for line in ARTICLE), [headlines], [archive]), rules)
    removed = [line for r in cleaned.removed if r.rule == "text.flattened-list" for line in r.text.split("\n")]
    assert sorted(removed) == sorted([archive, headlines])
    assert all(line in lines_of(cleaned.text) for line in ARTICLE)


@pytest.mark.parametrize("rule_id, share", [("text.flattened-list", "max_lowercase_share"),
                                            ("text.flattened-list", "max_sentence_share"),
                                            ("text.title", "min_similarity"),
                                            ("navigation.headline-list", "min_title_ratio"),
                                            ("navigation.trailer", "tail_share")])
def test_a_share_outside_zero_one_is_refused(tmp_path, rules, rule_id, share):
    with pytest.raises(RuleError, match=f"'{share}' must be in"):
        load_rules([override(tmp_path, rules, rule_id, **{share: 1.5})])


# -- a story republished on two sites: its copies vouch for the lines the classifier doubts
OTHER_MENU = ["Front page", "Coast", "Weather", "Letters", "Subscribe to the Coast Courier"]
OTHER_FOOTER = ["Follow the Coast Courier", "About us", "© 2012 Coast Courier Ltd."]
OTHER_STORIES = [
    ("Ferry fares frozen", "The ferry operator froze its fares for another year, after the island councils agreed to "
     "cover the rising cost of fuel until the new boats arrive in the autumn."),
    ("Cliff path reopens", "The cliff path between the two villages reopened on Sunday, three months after a "
     "landslide carried away a stretch of the fence and part of the old stone steps."),
]
WIRE_STORY = [
    "The last keeper of the north lighthouse retired on Friday after thirty-one years of climbing its stairs "
    "every evening to light the lamp for the fishing fleet.",
    "He lit the lamp for the last time on Friday evening, and the automatic light took over at midnight.",
    "The keeper, who is sixty-four, said he would miss the view from the lamp room most of all.",
]


def site_pages(menu: list[str], footer: list[str], stories: list[tuple[str, str]]) -> list[str]:
    return [page(menu, [headline], [paragraph], footer) for headline, paragraph in stories]


@pytest.fixture(scope="module")
def wire_run(tmp_path_factory):
    """Two sites with a template each (three distinct stories), one story on both, run with the
    classifier's threshold raised so that it doubts the story's own lines too."""
    from storysift.run.engine import run_cleaning

    rules = load_rules()
    tmp = tmp_path_factory.mktemp("wire")
    eager = load_rules([override(tmp, rules, "text.boilerplate", threshold=0.999, relative=1.0)])
    story = page(["Lighthouse keeper retires"], *([line] for line in WIRE_STORY))
    first = site_pages(SITE_MENU, SITE_FOOTER, SITE_STORIES[1:3]) + [
        page(SITE_MENU, [story], ["Great story, my grandfather knew him well from the old days."], SITE_FOOTER)]
    second = site_pages(OTHER_MENU, OTHER_FOOTER, OTHER_STORIES) + [page(OTHER_MENU, [story], OTHER_FOOTER)]
    rows = [{"id": f"{host}-{n}", "url": f"https://{host}/story/{n}", "text": text}
            for host, texts in (("harbour.example", first), ("courier.example", second)) for n, text in enumerate(texts)]
    source = tmp / "pages.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    alone = {row["id"]: clean_text(row["text"], eager) for row in rows}
    out = tmp / "run"
    report = run_cleaning([str(source)], out, eager)
    records = {r["id"]: r for r in map(json.loads, (out / "clean.jsonl").read_text().splitlines())}
    stories = [json.loads(line) for line in (out / "stories.jsonl").read_text().splitlines()]
    return alone, report.as_dict(), records, stories


def test_a_line_the_classifier_doubts_stays_when_the_storys_copy_on_another_site_carries_it(wire_run):
    alone, report, records, _ = wire_run
    for doc_id in ("harbour.example-2", "courier.example-2"):
        doubted = [line for r in alone[doc_id].removed if r.rule == "text.boilerplate" for line in r.text.split("\n")]
        assert set(WIRE_STORY) & set(doubted)  # cleaned alone, the classifier takes lines of the story
        record = records[doc_id]
        assert all(line in lines_of(record["text"]) for line in WIRE_STORY), doc_id
        assert "deferred" not in record
    # The reader's comment is on one copy only: the classifier's removal of it stands.
    comment = "Great story, my grandfather knew him well from the old days."
    assert comment not in records["harbour.example-2"]["text"]
    assert any(r["rule"] == "text.boilerplate" and comment in r["text"] for r in records["harbour.example-2"]["removed"])
    assert report["dedup"]["removals_per_rule"]["text.boilerplate"] == sum(
        r["rule"] == "text.boilerplate" for record in records.values() for r in record["removed"])


def test_a_storys_record_carries_its_canonical_pages_text_as_written(wire_run):
    _, _, records, stories = wire_run
    for story in stories:
        assert story["text"] == records[story["canonical"]]["text"]
    assert any(story["size"] == 2 for story in stories)


def test_deferred_removals_are_renumbered_past_the_lines_the_template_took():
    from storysift.corpus.batches import deferred_after

    text = "Menu\nHome\n\nThe story.\nComment one\n\nComment two"
    kept = np.array([False, False, True, True, True, True, True])
    entries = [{"rule": "text.boilerplate", "at": [2, 5]}, {"rule": "text.boilerplate", "at": [7]},
               {"rule": "text.boilerplate", "at": [1]}, {"rule": "x", "at": [99]}]
    # Without its template the text is "The story.\nComment one\n\nComment two" (the leading blank line goes).
    assert deferred_after(entries, text, kept) == [{"rule": "text.boilerplate", "at": [2]},
                                                   {"rule": "text.boilerplate", "at": [4]}]
    assert deferred_after(entries[:2], text, None) == entries[:2]


# -- an article that is a list of titles: its copies on other sites vouch for the list
BOOK_LIST = ["The Quiet Harbour At The End Of The World", "Ten Winters On The North Lighthouse Rock",
             "A Field Guide To The Ferries Of The Islands", "Why The Fishing Fleet Never Came Home Again",
             "The Lamp Room Diaries Of A Retired Keeper"]
LISTICLE = [
    "The island library asked its readers which local books they would save from a flood, and five came back "
    "again and again in the replies.",
    "Would you have chosen these?",
    *BOOK_LIST,
    "The library will show all five in its window until the end of the month, beside the readers' letters.",
]
OTHER_HEADLINES = ["Council Approves New Ferry Timetable For Summer", "Harbour Master Warns Of Winter Storms Ahead",
                   "Island School Wins National Choir Prize Again", "Fishermen Protest Against New Quota Rules"]


@pytest.fixture(scope="module")
def listicle_run(tmp_path_factory):
    """Two sites with a template each; one story on both is an article listing book titles, and
    one copy is followed by a list of the site's other headlines."""
    from storysift.run.engine import run_cleaning

    tmp = tmp_path_factory.mktemp("listicle")
    story = page(["Five island books readers would save"], *([line] for line in LISTICLE))
    first = site_pages(SITE_MENU, SITE_FOOTER, SITE_STORIES[1:3]) + [
        page(SITE_MENU, [story], ["More from the Harbour Times"], OTHER_HEADLINES, SITE_FOOTER)]
    second = site_pages(OTHER_MENU, OTHER_FOOTER, OTHER_STORIES) + [page(OTHER_MENU, [story], OTHER_FOOTER)]
    rows = [{"id": f"{host}-{n}", "url": f"https://{host}/story/{n}", "text": text}
            for host, texts in (("harbour.example", first), ("courier.example", second)) for n, text in enumerate(texts)]
    source = tmp / "pages.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    rules = load_rules()
    alone = {row["id"]: clean_text(row["text"], rules) for row in rows}
    run_cleaning([str(source)], tmp / "run", rules)
    records = {r["id"]: r for r in map(json.loads, (tmp / "run" / "clean.jsonl").read_text().splitlines())}
    return alone, records


def test_a_list_of_titles_the_storys_copies_carry_stays_and_one_on_a_single_copy_goes(listicle_run):
    alone, records = listicle_run
    for doc_id in ("harbour.example-2", "courier.example-2"):
        listed = [line for r in alone[doc_id].removed if r.rule == "navigation.headline-list"
                  for line in r.text.split("\n")]
        assert set(BOOK_LIST) <= set(listed)  # cleaned alone, the list reads as other stories' headlines
        assert set(BOOK_LIST) <= set(lines_of(records[doc_id]["text"])), doc_id
        assert "deferred" not in records[doc_id]
    harbour = records["harbour.example-2"]
    assert not set(OTHER_HEADLINES) & set(lines_of(harbour["text"]))
    assert any(r["rule"] == "navigation.headline-list" and OTHER_HEADLINES[0] in r["text"] for r in harbour["removed"])


def html_page(host: str, n: int, menu: list[str], article: list[str], footer: list[str]) -> str:
    items = "".join(f"<li><a href='/{k}'>{item}</a></li>" for k, item in enumerate(menu))
    body = "".join(f"<p>{line}</p>" for line in article[1:])
    return (f"<html><head><title>{article[0]}</title><link rel='canonical' href='https://{host}/story/{n}'></head>"
            f"<body><nav><ul>{items}</ul></nav><article><h1>{article[0]}</h1>{body}</article>"
            f"<footer>{''.join(f'<p>{line}</p>' for line in footer)}</footer></body></html>")


@pytest.fixture(scope="module")
def html_listicle_run(tmp_path_factory):
    """The listicle as HTML pages on two sites, and on the first site a story printed once whose
    article ends in a list of the site's other headlines."""
    from storysift.api import clean
    from storysift.run.engine import run_cleaning

    tmp = tmp_path_factory.mktemp("html-listicle")
    story = ["Five island books readers would save", *LISTICLE]
    once = ["Harbour dredging to start in May", "The harbour board voted to dredge the inner basin in May, the "
            "first time in twenty years that the trawlers will have to moor at the south pier for a month.",
            "Read more from the Harbour Times:", *OTHER_HEADLINES]
    pages = {"harbour": [("harbour.example", SITE_MENU, [headline, text], SITE_FOOTER) for headline, text in SITE_STORIES]
             + [("harbour.example", SITE_MENU, story, SITE_FOOTER), ("harbour.example", SITE_MENU, once, SITE_FOOTER)],
             "courier": [("courier.example", OTHER_MENU, [headline, text], OTHER_FOOTER) for headline, text in OTHER_STORIES]
             + [("courier.example", OTHER_MENU, story, OTHER_FOOTER)]}
    folder = tmp / "pages"
    folder.mkdir()
    for name, site in pages.items():
        for n, (host, menu, article, footer) in enumerate(site):
            (folder / f"{name}-{n}.html").write_text(html_page(host, n, menu, article, footer), encoding="utf-8")
    rules = load_rules()
    alone = {p.stem: clean(p.read_text(encoding="utf-8"), ruleset=rules) for p in sorted(folder.iterdir())}
    run_cleaning([str(folder)], tmp / "run", rules)
    records = {Path(r["id"]).stem: r for r in map(json.loads, (tmp / "run" / "clean.jsonl").read_text().splitlines())}
    return alone, records, len(SITE_STORIES), len(OTHER_STORIES)


def test_on_html_pages_too_a_list_the_storys_copies_carry_stays_and_one_printed_once_goes(html_listicle_run):
    alone, records, harbour_stories, courier_stories = html_listicle_run
    listicles = (f"harbour-{harbour_stories}", f"courier-{courier_stories}")
    for doc_id in listicles:
        listed = [line for r in alone[doc_id].removed if r.rule == "navigation.headline-list"
                  for line in r.text.split("\n")]
        assert set(BOOK_LIST) <= set(listed)  # cleaned alone, the list reads as other stories' headlines
        assert set(BOOK_LIST) <= set(lines_of(records[doc_id]["text"])), doc_id
    once = records[f"harbour-{harbour_stories + 1}"]
    assert not set(OTHER_HEADLINES) & set(lines_of(once["text"]))
    assert any(r["rule"] == "navigation.headline-list" and OTHER_HEADLINES[0] in r["text"] for r in once["removed"])
