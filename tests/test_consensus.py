"""Consensus extraction on HTML: blocks, the mapping of an extractor's text onto them, the
gate on readability, the model's decision, the headline and byline in their fields, and the
provenance invariant: every visible word of a page is kept or removed under a rule id."""

from __future__ import annotations

from collections import Counter

import pytest
from selectolax.lexbor import LexborHTMLParser

from storysift.clean.alignment import coverage, words
from storysift.clean.blocks import text_blocks, visible_words
from storysift.clean.features import FEATURES, VOTER_NAMES, feature_rows
from storysift.clean.model import load_model
from storysift.clean.page import clean_text
from storysift.clean.voters import VOTERS
from tests.conftest import ROOT

PARAGRAPHS = [
    "The harbour board approved the new ferry timetable on Tuesday after a long debate about the early crossings.",
    "Residents of the island had asked for a sailing before six so that nurses could reach the hospital in time.",
    "The operator said the extra crossing would cost about two hundred thousand euros a year to run.",
    "The board will review the timetable again in the autumn, when the winter schedule is drawn up.",
]
MENU = "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(8))
PAGE = (
    "<html><head><title>Ferry Timetable Approved | The Courier</title></head><body>"
    f"<header><ul class='menu'>{MENU}</ul></header>"
    "<article><h1>Ferry Timetable Approved</h1><p class='byline'>By Ruth Calloway</p>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article><div class='widget'><h3>Most read</h3><ul>"
    + "".join(f"<li><a href='/r{i}'>Another story about the region number {i}</a></li>" for i in range(6))
    + "</ul></div><footer><p>Copyright 2026 The Courier. All rights reserved.</p></footer></body></html>"
)


def removed_words(doc) -> Counter:
    return Counter(word for removal in doc.removed for word in words(removal.text))


@pytest.mark.parametrize("path", sorted(ROOT.glob("fixtures/*/input.html")) + ["page"],
                         ids=lambda p: p if isinstance(p, str) else p.parent.name)
def test_kept_plus_removed_words_are_the_pages_visible_words(path):
    html = PAGE if path == "page" else path.read_bytes().decode("utf-8", "replace")
    doc = clean_text(html, _rules())
    visible = Counter(visible_words(LexborHTMLParser(html)))
    kept = Counter(words(doc.text))
    assert kept + removed_words(doc) == visible


def _rules():
    from storysift.api import rules
    return rules()


def test_every_block_extraction_drops_is_attributed_with_the_votes():
    doc = clean_text(PAGE, _rules())
    dropped = [r for r in doc.removed if r.rule == "extract.boilerplate"]
    assert any("Another story about the region number 3" in r.text for r in dropped)
    for removal in dropped:
        assert removal.votes and all(f"{name}=" in removal.votes for name in VOTER_NAMES)
    assert all(p in doc.text for p in PARAGRAPHS)


def test_the_pages_headline_and_byline_go_to_their_fields_not_the_text():
    doc = clean_text(PAGE, _rules())
    assert doc.title == "Ferry Timetable Approved"
    assert doc.text.splitlines()[0] == PARAGRAPHS[0]
    rules_of = {r.text: r.rule for r in doc.removed}
    assert rules_of["Ferry Timetable Approved"] == "extract.title"
    assert rules_of["By Ruth Calloway"] == "extract.byline"


def test_a_teaser_repeating_the_article_is_not_found_in_the_one_copy_an_extractor_kept():
    article = words(PARAGRAPHS[0])
    teaser = article[:8]
    output = PARAGRAPHS[0]
    assert coverage([teaser, article], output) == [0.0, 1.0]
    assert coverage([article, article], output) == [1.0, 0.0]  # a page printing its article twice


def test_a_short_block_counts_only_between_the_blocks_around_it():
    menu, article, label = ["news"], words(PARAGRAPHS[1]), ["news"]
    # "news" occurs in the output after the article: the menu item before it is not found there.
    assert coverage([menu, article, label], PARAGRAPHS[1] + " News") == [0.0, 1.0, 1.0]


def test_readability_runs_only_where_trafilatura_and_resiliparse_disagree(monkeypatch):
    calls = []
    for name, voter in VOTERS.items():
        monkeypatch.setitem(VOTERS, name, lambda page, html, url, _n=name, _v=voter: calls.append(_n) or _v(page, html, url))
    clean_text(PAGE, _rules())
    agreed = "readability" not in calls
    calls.clear()
    # A voter that keeps nothing disagrees with the other on the whole article.
    monkeypatch.setitem(VOTERS, "resiliparse", lambda page, html, url: calls.append("resiliparse") or "")
    clean_text(PAGE, _rules())
    assert agreed and "readability" in calls


def test_a_voters_keep_never_lowers_a_blocks_probability():
    # The trees are trained monotone in each block's own votes (bench/train_consensus.py).
    blocks = text_blocks(LexborHTMLParser(PAGE))
    votes = {name: [0.5] * len(blocks) for name in VOTER_NAMES}
    rows = feature_rows(blocks, votes)
    model = load_model()
    for name in VOTER_NAMES:
        column = FEATURES.index(name)
        kept = [row[:column] + [1.0] + row[column + 1:] for row in rows]
        dropped = [row[:column] + [0.0] + row[column + 1:] for row in rows]
        high, low = model.probabilities(kept), model.probabilities(dropped)
        assert all(a >= b for a, b in zip(high, low)) and sum(high) > sum(low)


def test_the_model_reads_the_features_the_code_writes():
    assert load_model().features == list(FEATURES)


def test_an_article_found_only_in_json_ld_is_kept_whole():
    import json
    ld = json.dumps({"@type": "NewsArticle", "headline": "Ferry", "articleBody": " ".join(PARAGRAPHS)})
    html = (f'<html><head><script type="application/ld+json">{ld}</script></head>'
            "<body><div>Menu</div></body></html>")
    doc = clean_text(html, _rules())
    assert PARAGRAPHS[0] in doc.text
    assert [r.rule for r in doc.removed] == ["extract.boilerplate"]


def test_explain_shows_the_page_block_by_block_with_each_removed_block_under_its_id():
    from storysift.review.explain import render_explanation
    lines = render_explanation(clean_text(PAGE, _rules())).splitlines()
    assert any(line.startswith("- [extract.title]") and line.endswith("Ferry Timetable Approved") for line in lines)
    boilerplate = [line for line in lines if "Another story about the region number 2" in line]
    assert boilerplate and boilerplate[0].startswith("- [extract.boilerplate]") and "trafilatura=" in boilerplate[0]
    kept = [line.strip() for line in lines if line.startswith("  ")]
    assert kept == PARAGRAPHS


def test_context_columns_are_the_word_weighted_means_of_the_neighbours_and_siblings():
    html = ("<body><div><p>one two three</p><p>four five</p></div><ul><li>six</li><li>seven eight nine ten</li></ul>"
            "<p>eleven <a href=/x>twelve</a><br>thirteen</p><div>fourteen fifteen</div></body>")
    blocks = text_blocks(LexborHTMLParser(html))
    sizes = [len(block.words) for block in blocks]
    assert sizes == [3, 2, 1, 4, 2, 1, 2]
    vote = [1.0, 0.5, 0.0, 1.0, 0.25, 0.0, 1.0]
    rows = feature_rows(blocks, {"trafilatura": vote, "resiliparse": [1.0] * 7, "readability": [0.0] * 7})
    column = {name: [row[FEATURES.index(name)] for row in rows] for name in FEATURES}
    # Within 3 blocks on each side, weighted by words, the block itself left out.
    for i in range(7):
        others = [j for j in range(max(0, i - 3), min(7, i + 4)) if j != i]
        assert column["trafilatura around"][i] == sum(vote[j] * sizes[j] for j in others) / sum(sizes[j] for j in others)
    assert column["trafilatura before"][0] == 0.0 and column["trafilatura after"][6] == 0.0
    assert column["trafilatura before"][3] == (3 * 1.0 + 2 * 0.5 + 1 * 0.0) / 6
    # The two runs of text split by <br> share their paragraph: their parent vote is their mean.
    assert column["trafilatura parent"][4] == column["trafilatura parent"][5] == (0.25 + 0.0) / 2
    assert column["trafilatura page"][0] == sum(v * n for v, n in zip(vote, sizes)) / sum(sizes)
    assert column["link share"][4] == len("twelve") / len("eleven twelve")
    assert column["agreement"] == [1.0 - (max(v, 1.0) - min(v, 0.0)) for v in vote]


def test_a_heading_reads_the_votes_of_the_blocks_it_introduces_apart_from_those_above():
    # "Most read" heads a list the voters drop, under an article they keep: its "after" columns
    # say so, where "around" mixes the two sides.
    blocks = text_blocks(LexborHTMLParser(PAGE))
    heading = next(i for i, block in enumerate(blocks) if block.text == "Most read")
    votes = {name: [1.0 if i < heading else 0.0 for i in range(len(blocks))] for name in VOTER_NAMES}
    row = feature_rows(blocks, votes)[heading]
    for name in VOTER_NAMES:
        assert row[FEATURES.index(f"{name} before")] == 1.0 and row[FEATURES.index(f"{name} after")] == 0.0
