"""One detector (or line/run kind) at a time: what it removes, and what next to it survives.

Most tests run a bundled rule alone (`only=[rule]`), so a failure names the detector at fault;
the last ones run the whole rule set to check how rules combine (protect rules, fixed point)."""

from __future__ import annotations

import dataclasses

import pytest

from storysift.clean.detectors import is_name_like, is_title_like, strip_bullet
from storysift.clean.textrules import apply_text_rules
from storysift.ruleset.load import RuleSet, compile_pattern

ARTICLE = [
    "The council voted on Tuesday to extend the ferry subsidy for another three years, ending months of uncertainty.",
    "Under the agreement the operator will receive 2.1 million euros a year in exchange for keeping the early crossing.",
    "Opponents said the town was paying for a timetable that suited the operator rather than its passengers.",
]


def run_rule(rules, rule_id, text, **params):
    """Run one bundled rule alone (with `params` overridden); return (kept lines, removals)."""
    rule = rules.by_id(rule_id)
    if params:
        rule = dataclasses.replace(rule, params={**rule.params, **params})
    result = apply_text_rules(text, RuleSet([rule]), only=[rule])
    return kept_lines(result.text), result


def kept_lines(text):
    return [line for line in text.splitlines() if line.strip()]


def removed_texts(result):
    return [r.text for r in result.removed]


# --- repeated_block -------------------------------------------------------------------------
# The detector's parameters are pinned here (min_lines=2, min_repeats=2) so these tests follow
# the detector, not the tuning of the bundled rule, which has its own test below.

PROMO = ["Learn to use AI like a Pro", "Get the latest workflows, delivered weekly."]


def run_block(rules, text, **params):
    return run_rule(rules, "ads.repeated-block", text, **{"min_lines": 2, "min_repeats": 2, **params})


def test_a_block_injected_three_times_loses_every_copy_and_paragraphs_between_are_kept(rules):
    text = "\n".join([ARTICLE[0], *PROMO, ARTICLE[1], *PROMO, ARTICLE[2], *PROMO])
    kept, result = run_block(rules, text)
    assert kept == ARTICLE
    assert removed_texts(result) == ["\n".join(PROMO)] * 3
    assert [r.lines for r in result.removed] == [(2, 3), (5, 6), (8, 9)]


def test_a_block_shown_twice_keeps_its_first_copy(rules):
    text = "\n".join([ARTICLE[0], *PROMO, ARTICLE[1], *PROMO, ARTICLE[2]])
    kept, result = run_block(rules, text)
    assert kept == [ARTICLE[0], *PROMO, ARTICLE[1], ARTICLE[2]]
    assert [r.lines for r in result.removed] == [(5, 6)]


def test_repeated_block_matches_case_insensitively_but_removes_each_copy_as_written(rules):
    text = "\n".join([ARTICLE[0], *PROMO, ARTICLE[1], *(line.upper() for line in PROMO)])
    kept, result = run_block(rules, text)
    assert kept == [ARTICLE[0], *PROMO, ARTICLE[1]]
    assert removed_texts(result) == ["\n".join(PROMO).upper()]


def test_single_repeated_line_is_not_a_block_and_survives(rules):
    # a refrain repeated with different neighbours is content
    refrain = "The chorus repeats once."
    text = "\n".join([refrain, ARTICLE[0], refrain, ARTICLE[1]])
    kept, result = run_block(rules, text)
    assert kept == [refrain, ARTICLE[0], refrain, ARTICLE[1]]
    assert result.removed == []


def test_repeated_block_shorter_than_min_lines_survives(rules):
    text = "\n".join([*PROMO, ARTICLE[0], *PROMO])
    kept, _ = run_block(rules, text, min_lines=3)
    assert kept == [*PROMO, ARTICLE[0], *PROMO]


def test_repeated_block_needs_min_repeats_copies(rules):
    text = "\n".join([*PROMO, ARTICLE[0], *PROMO])
    kept, _ = run_block(rules, text, min_repeats=3)
    assert kept == [*PROMO, ARTICLE[0], *PROMO]
    kept, _ = run_block(rules, text + "\n" + "\n".join(PROMO), min_repeats=3)
    assert kept == [ARTICLE[0]]


def test_blank_lines_inside_a_repeated_block_do_not_hide_it(rules):
    text = "\n".join([PROMO[0], "", PROMO[1], ARTICLE[0], PROMO[0], PROMO[1]])
    kept, result = run_block(rules, text)
    assert kept == [*PROMO, ARTICLE[0]]
    assert len(result.removed) == 1


def test_bundled_repeated_block_rule_removes_an_injected_promos_later_copies(rules):
    promo = [*PROMO, "Sign up free"]
    text = "\n".join([ARTICLE[0], *promo, ARTICLE[1], *promo, ARTICLE[2]])
    result = apply_text_rules(text, rules)
    # The first copy stays but for its call to action, which ads.call-to-action takes.
    assert kept_lines(result.text) == [ARTICLE[0], *PROMO, ARTICLE[1], ARTICLE[2]]
    assert [r.rule for r in result.removed] == ["ads.call-to-action", "ads.repeated-block"]


# --- headline_list --------------------------------------------------------------------------

HEADLINES = [
    "Island School Reopens After Storm Repairs",
    "Fishing Quotas Cut for Third Year Running",
    "Coastal Rail Line Faces Weekend Closures",
    "New Harbour Master Named After Long Search",
]


def test_headline_list_removed_but_single_heading_kept(rules):
    text = "\n".join(["Longer Notice Periods", ARTICLE[0], "Caps on Deposits", ARTICLE[1], ARTICLE[2], *HEADLINES])
    kept, result = run_rule(rules, "navigation.headline-list", text)
    assert kept == ["Longer Notice Periods", ARTICLE[0], "Caps on Deposits", ARTICLE[1], ARTICLE[2]]
    assert removed_texts(result) == ["\n".join(HEADLINES)]


def test_three_headlines_are_below_min_lines_and_kept(rules):
    text = "\n".join([ARTICLE[0], *HEADLINES[:3], ARTICLE[1]])
    kept, result = run_rule(rules, "navigation.headline-list", text)
    assert kept == [ARTICLE[0], *HEADLINES[:3], ARTICLE[1]]
    assert result.removed == []


def test_list_of_full_sentences_is_not_a_headline_list(rules):
    takeaways = [
        "Key Takeaways",
        "The city will replace about 4,000 lead service lines by 2029.",
        "Households will not be billed for work on either side of the meter.",
        "A state loan covers most of the cost.",
        "Residents can look up their address on the online map.",
    ]
    kept, result = run_rule(rules, "navigation.headline-list", "\n".join(takeaways))
    assert kept == takeaways
    assert result.removed == []


def test_bulleted_headlines_are_a_list_and_a_sentence_ends_the_run(rules):
    text = "\n".join([*(f"- {h}" for h in HEADLINES), ARTICLE[0], HEADLINES[0]])
    kept, result = run_rule(rules, "navigation.headline-list", text)
    assert kept == [ARTICLE[0], HEADLINES[0]]
    assert removed_texts(result) == ["\n".join(f"- {h}" for h in HEADLINES)]


def test_blank_lines_between_headlines_still_make_one_list(rules):
    kept, result = run_rule(rules, "navigation.headline-list", "\n\n".join(HEADLINES))
    assert kept == []
    assert len(result.removed) == 1 and result.removed[0].lines == (1, 7)


@pytest.mark.parametrize("line, title_like", [
    ("Fishing Quotas Cut for Third Year Running", True),
    ("- Fishing Quotas Cut for Third Year Running", True),
    ("Fishing quotas cut for the third year running", False),  # sentence case
    ("Fishing Quotas Cut for Third Year Running.", False),  # sentence punctuation
    ("Fishing Quotas | Third Year", False),  # a table row or a menu, not a headline
    ("Quotas", False),  # one word
    ("Of the In", False),  # no significant word
])
def test_is_title_like(line, title_like):
    assert is_title_like(line, 16, 0.6) is title_like


def test_is_title_like_respects_max_words():
    line = " ".join(["Word"] * 17)
    assert is_title_like(line, 17, 0.6) and not is_title_like(line, 16, 0.6)


@pytest.mark.parametrize("line, name_like", [
    ("Aleksandra Novak", True), ("Jean-Luc O'Brien", True), ("J. R. Hartley", True),
    ("Novak", False), ("aleksandra novak", False), ("Energy Correspondent, Oslo", False),
    ("Agent 007 Returns", False), ("One Two Three Four Five", False),
])
def test_is_name_like(line, name_like):
    assert is_name_like(line) is name_like


def test_strip_bullet_only_strips_a_leading_bullet():
    assert strip_bullet("• Story") == "Story"
    assert strip_bullet("Story - Part Two") == "Story - Part Two"


# --- byline ---------------------------------------------------------------------------------

def test_byline_label_name_and_role_removed_author_recorded_article_kept(rules):
    text = "\n".join(["Written by", "Aleksandra Novak", "Energy Correspondent", "", *ARTICLE])
    kept, result = run_rule(rules, "bylines.label", text)
    assert kept == ARTICLE
    assert removed_texts(result) == ["Written by\nAleksandra Novak\nEnergy Correspondent"]
    assert result.meta == {"author": "Aleksandra Novak"}


def test_byline_label_stops_at_a_sentence(rules):
    text = "\n".join(["By", "The ministry published the figures on Monday.", *ARTICLE])
    kept, result = run_rule(rules, "bylines.label", text)
    assert kept == ["The ministry published the figures on Monday.", *ARTICLE]
    assert removed_texts(result) == ["By"]
    assert "author" not in result.meta


def test_byline_label_takes_at_most_max_following_lines(rules):
    text = "\n".join(["Edited By", "Mackenzie Ferguson", "Senior Editor", "Harbour Desk Weekly", *ARTICLE])
    kept, _ = run_rule(rules, "bylines.label", text)
    assert kept == ["Harbour Desk Weekly", *ARTICLE]
    kept, _ = run_rule(rules, "bylines.label", text, max_following=3)
    assert kept == ARTICLE


def test_byline_words_inside_a_sentence_are_not_a_label(rules):
    text = "Written by hand, the letter was delivered on Monday.\nBy the end of the year the plan had changed."
    kept, result = run_rule(rules, "bylines.label", text)
    assert kept == text.splitlines() and result.removed == []


# --- line -----------------------------------------------------------------------------------

def test_inline_byline_removed_author_and_date_go_to_meta(rules):
    text = "\n".join(["By Jane Doe | Reuters", "Updated: May 3, 2025", *ARTICLE])
    kept, result = run_rule(rules, "bylines.inline", text)
    assert kept == ARTICLE
    assert result.meta == {"author": "Jane Doe", "date": "May 3, 2025"}


@pytest.mark.parametrize("line, author", [
    ("By Jane Doe, Staff Writer.", "Jane Doe"), ("By Jane Doe and John Smith", "Jane Doe"),
    ("By Jane Doe, staff writer", "Jane Doe"), ("Reporting by Ines Maartens | Harbour Desk", "Ines Maartens"),
])
def test_inline_byline_forms_removed(rules, line, author):
    kept, result = run_rule(rules, "bylines.inline", "\n".join([line, ARTICLE[0]]))
    assert kept == [ARTICLE[0]] and result.meta == {"author": author}


@pytest.mark.parametrize("sentence", ["By Christmas Eve, the ferry will run again.", "By New Year, prices had doubled.",
                                      "By the end of the year the plan had changed."])
def test_short_sentence_starting_with_by_and_a_capitalised_phrase_is_kept(rules, sentence):
    kept, result = run_rule(rules, "bylines.inline", "\n".join([ARTICLE[0], sentence]))
    assert kept == [ARTICLE[0], sentence] and result.meta == {}


def test_cookie_banner_removed_but_privacy_news_about_cookies_kept(rules):
    news = ["The regulator fined the retailer 2 million euros over its cookie policy, which it said misled users.",
            "Users who accept all cookies are tracked across 300 sites, the study found."]
    banner = ["We use cookies to improve your experience. By continuing to use this site, you agree to our cookie policy.",
              "Accept all cookies", "Manage cookies"]
    kept, result = run_rule(rules, "prompts.cookie-notice", "\n".join([news[0], *banner, news[1]]))
    assert kept == news
    assert removed_texts(result) == banner


@pytest.mark.parametrize("line, removed", [
    ("Learn to use AI like a Pro. Learn More", True), ("Get started", True), ("New collection | Shop now »", True),
    ("Residents have until Friday to sign up.", False), ("Visitors to the new wing will learn more.", False),
    ("Only 40 people turned up to sign up today.", False),
])
def test_call_to_action_must_stand_alone(rules, line, removed):
    kept, result = run_rule(rules, "ads.call-to-action", line)
    assert bool(result.removed) is removed and (kept == []) is removed


@pytest.mark.parametrize("rule_id, line, removed", [
    ("prompts.paywall", "Already a subscriber? Log in", True),
    ("prompts.paywall", "If you’re seeing this message but you’re already a subscriber, you can log in.", True),
    ("prompts.paywall", "Customers who already have an account will be moved automatically, the bank said.", False),
    ("prompts.newsletter", "Get the latest news. Enter your email address", True),
    ("prompts.newsletter", "The fake page asked victims to enter your email address and password, police said.", False),
    ("navigation.read-also", "Lesen Sie hier: Spielabbruch in der Kreisliga nach Streit auf dem Platz", True),
    ("navigation.read-also", "Lea: Consejo Permanente aborda este miércoles la crisis del puerto", True),
    ("navigation.read-also", "Lea: Ich habe das nie so gesehen, ehrlich gesagt.", False),  # a transcript's speaker
    ("navigation.read-also", "Mira: ¿y tú qué harías?", False),
    ("navigation.category-line", "News date : 04/21/2022 Category : Press Releases", True),
    ("navigation.category-line", "The category: a prize for first novels, open to writers under 35.", False),
    ("social.follow-prompt", "Síguenos en Telegram, Instagram y Twitter para recibir nuestras noticias", True),
    ("social.follow-prompt", "Follow the council's live stream from 7 pm.", False),
    ("captions.trailing-credit", "Ein Seeadler über dem See im März. (Foto: Anna Berger)", True),
    ("captions.trailing-credit", "“Growth is lagging behind.” (Source: Wall Street Journal, July 31, 2012.)", False),
    ("captions.trailing-credit", "24 hours of news photos: 30 July 2012", False),
    ("prompts.copyright-notice", "Copyright 2023 Sunbeam Television Corp. All rights reserved.", True),
    ("prompts.copyright-notice", "The museum needs written permission from the heirs before it shows the letters.", False),
])
def test_furniture_lines_removed_but_lookalike_content_kept(rules, rule_id, line, removed):
    """Prompts said to the reader, and furniture lines in several languages, go; reported speech
    and content that looks like them stay."""
    kept, result = run_rule(rules, rule_id, line)
    assert bool(result.removed) is removed and (kept == []) is removed


def test_line_rule_max_words_spares_a_long_sentence(rules):
    long_cta = "Readers who want to learn more about the plan can read the full report at the library. Learn more"
    kept, result = run_rule(rules, "ads.call-to-action", "\n".join(["New collection. Shop now »", long_cta]))
    assert kept == [long_cta]
    assert removed_texts(result) == ["New collection. Shop now »"]
    kept, _ = run_rule(rules, "ads.call-to-action", long_cta, max_words=0)  # 0: no limit
    assert kept == []


def test_stray_symbols_removed_but_figures_kept(rules):
    kept, result = run_rule(rules, "structure.stray-symbols", "()\n42%\n|\n0\nIt rose to 1,204.")
    assert kept == ["42%", "It rose to 1,204."]
    assert removed_texts(result) == ["()", "|", "0"]


def test_line_rule_sees_indented_and_padded_lines_normalised(rules):
    kept, result = run_rule(rules, "ads.advertisement-label", "   Advertisement\t\n\u00a0Ad hoc committees met.")
    assert kept == ["Ad hoc committees met."]
    assert removed_texts(result) == ["Advertisement"]


# --- run ------------------------------------------------------------------------------------

WIDGET = ["0 0 votes", "Article Rating", "Subscribe", "Notify of", "guest", "4 Comments", "View all comments"]


def test_comment_widget_run_removed_but_quote_before_it_kept(rules):
    quote = "“We are not closing the library. We are moving it,” Wrobel said."
    kept, result = run_rule(rules, "comments.widget", "\n".join([*ARTICLE, quote, *WIDGET]))
    assert kept == [*ARTICLE, quote]
    assert removed_texts(result) == ["\n".join(WIDGET)]


def test_two_widget_lines_are_below_min_lines_and_kept(rules):
    text = "\n".join(["Subscribe", "Comments", ARTICLE[0]])
    kept, result = run_rule(rules, "comments.widget", text)
    assert kept == ["Subscribe", "Comments", ARTICLE[0]]
    assert result.removed == []


def test_logo_wall_removed_but_sentence_naming_partner_kept(rules):
    partner = "The hub was built with Northgate Logistics, whose logo is on every truck."
    logos = ["Northgate Logistics Logo", "Velden Bank Logo", "FreshChain logo"]
    kept, result = run_rule(rules, "logos.wall", "\n".join([partner, *logos, "Canva Logo", ARTICLE[0], "Zapier Logo"]))
    assert kept == [partner, ARTICLE[0], "Zapier Logo"]
    assert removed_texts(result) == ["\n".join([*logos, "Canva Logo"])]


# --- author_bio -----------------------------------------------------------------------------

def test_author_bio_with_repeated_name_removed_and_author_recorded(rules):
    bio = "Ines has been covering housing and local politics for the Courier since 2015."
    kept, result = run_rule(rules, "bylines.author-bio", "\n".join([*ARTICLE, "Ines Maartens", "Ines Maartens", bio]))
    assert kept == ARTICLE
    assert removed_texts(result) == ["Ines Maartens\nInes Maartens\n" + bio]
    assert result.meta == {"author": "Ines Maartens"}


def test_author_bio_needs_the_paragraph_to_start_with_the_name(rules):
    text = "\n".join([*ARTICLE, "Satya Nadella", "Microsoft has been covering the costs of the data centres since 2019."])
    kept, result = run_rule(rules, "bylines.author-bio", text)
    assert kept == text.splitlines() and result.removed == []


def test_author_bio_needs_a_name_line_before_it(rules):
    bio = "Ines is a staff writer who covers housing."
    text = "\n".join([ARTICLE[0], bio])
    kept, result = run_rule(rules, "bylines.author-bio", text)
    assert kept == [ARTICLE[0], bio] and result.removed == []


def test_author_bio_longer_than_max_words_is_an_article_paragraph(rules):
    bio = "Ines has been covering housing for years. " + " ".join(["More"] * 80) + "."
    kept, result = run_rule(rules, "bylines.author-bio", "\n".join([ARTICLE[0], "Ines Maartens", bio]))
    assert result.removed == [] and len(kept) == 3


# --- trailer --------------------------------------------------------------------------------

def test_trailer_heading_in_tail_removed_with_short_lines_after_it(rules):
    text = "\n".join([*ARTICLE, "Recent News", "Markets Rally on Rate Hopes", "Ferry Strike Called Off"])
    kept, result = run_rule(rules, "navigation.trailer", text)
    assert kept == ARTICLE
    assert removed_texts(result) == ["Recent News\nMarkets Rally on Rate Hopes\nFerry Strike Called Off"]


@pytest.mark.parametrize("last", ["More to follow.", "Other councils disagree.", "Top marks, she said.",
                                  "Related talks continue next week!", "More delays?"])
def test_short_final_sentence_starting_like_a_trailer_heading_is_kept(rules, last):
    kept, result = run_rule(rules, "navigation.trailer", "\n".join([*ARTICLE, last]))
    assert kept == [*ARTICLE, last] and result.removed == []


@pytest.mark.parametrize("heading", ["See Also", "Related", "More From the Courier", "You may also like"])
def test_trailer_headings_are_removed(rules, heading):
    kept, result = run_rule(rules, "navigation.trailer", "\n".join([*ARTICLE, heading, "Ferry Strike Called Off"]))
    assert kept == ARTICLE


def test_section_heading_like_a_trailer_followed_by_short_paragraphs_is_kept(rules):
    closing = ["More Trouble Ahead", "The operator warned that fuel costs could force fare rises next spring.",
               "“We will see,” the mayor said.", "Councillors will review the timetable again in 2027."]
    kept, result = run_rule(rules, "navigation.trailer", "\n".join([*ARTICLE, *closing]))
    assert kept == [*ARTICLE, *closing] and result.removed == []


def test_trailer_list_of_headlines_ending_in_exclamation_or_question_is_removed(rules):
    trailer = ["RELATED STORIES", "44 Clean Jokes for Kids, by Kids!", "Is the Ferry Worth It?",
               "Ten Things You Didn't Know About Harbours...", "Riddle Me This: 19 Amazing Riddles"]
    kept, result = run_rule(rules, "navigation.trailer", "\n".join([*ARTICLE, *ARTICLE, *trailer]))
    assert kept == ARTICLE * 2 and removed_texts(result) == ["\n".join(trailer)]


def test_trailer_heading_in_first_half_is_kept(rules):
    text = "\n".join(["Related Articles", "Markets Rally on Rate Hopes", *ARTICLE[:1]])
    kept, result = run_rule(rules, "navigation.trailer", text)
    assert kept == text.splitlines() and result.removed == []


def test_trailer_heading_followed_by_a_long_paragraph_is_a_section_heading(rules):
    long_paragraph = " ".join(["The ferry operator said passenger numbers would recover."] * 5)
    text = "\n".join([*ARTICLE, "More to Come", long_paragraph])
    kept, result = run_rule(rules, "navigation.trailer", text)
    assert kept == text.splitlines() and result.removed == []


# --- combinations: protect rules, fixed point, line spans -----------------------------------

def test_protect_rule_keeps_a_line_another_rule_would_remove(rules):
    grabby = dataclasses.replace(rules.by_id("ads.advertisement-label"), id="test.grabby",
                                 regex=compile_pattern("(?i)^key", "test"))
    text = "Key Takeaways\nKey rates rose."
    protected = apply_text_rules(text, RuleSet([grabby, rules.by_id("allow.key-takeaways")]))
    assert kept_lines(protected.text) == ["Key Takeaways"]
    unprotected = apply_text_rules(text, RuleSet([grabby]))
    assert kept_lines(unprotected.text) == []


def test_removing_a_label_joins_a_logo_wall_in_a_second_pass(rules):
    text = "\n".join([ARTICLE[0], "Canva Logo", "Advertisement", "Zapier Logo", "Notion Logo", ARTICLE[1]])
    result = apply_text_rules(text, rules)
    assert kept_lines(result.text) == ARTICLE[:2]
    assert {r.rule for r in result.removed} == {"logos.wall", "ads.advertisement-label"}


def test_removal_line_spans_point_at_the_input_lines(rules):
    text = "\n".join([ARTICLE[0], "", "Advertisement", "", ARTICLE[1], *WIDGET])
    result = apply_text_rules(text, rules)
    lines = text.splitlines()
    for removal in result.removed:
        start, end = removal.lines
        assert [line for line in lines[start - 1:end] if line] == removal.text.splitlines()
    assert kept_lines(result.text) == ARTICLE[:2]


@pytest.mark.parametrize("data", [
    ["June 9 – Paris, Olympia", "June 11 – Berlin, Tempodrom", "June 14 – Vienna, Gasometer Hall",
     "July 2 – Oslo, Sentrum Scene"],
    ["Lionel Messi (Inter Miami)", "Kylian Mbappé, Real Madrid", "Erling Haaland (Manchester City)",
     "Jude Bellingham – Real Madrid"],
    ["Section 2 Definitions and Scope", "Section 3 Duties of Registered Operators", "Section 4 Enforcement Powers",
     "Fees and Penalties Schedule"],
], ids=["tour dates", "players", "bill sections"])
def test_title_case_data_lists_are_not_headline_lists(rules, data):
    text = "\n".join([ARTICLE[0], *data, ARTICLE[1]])
    kept, result = run_rule(rules, "navigation.headline-list", text)
    assert kept == [ARTICLE[0], *data, ARTICLE[1]]
    assert result.removed == []


def test_headlines_that_start_alike_are_still_a_headline_list(rules):
    alike = ["The Harbour Council Votes On The Ferry Budget", "The Mayor Opens The New Library Wing",
             "The River Festival Returns For Its Tenth Year", "Watch: Storm Damage Along The Coast Road"]
    kept, result = run_rule(rules, "navigation.headline-list", "\n".join([ARTICLE[0], *alike, ARTICLE[1]]))
    assert kept == [ARTICLE[0], ARTICLE[1]] and result.removed


def test_a_headline_list_with_one_name_in_it_is_still_removed(rules):
    text = "\n".join([ARTICLE[0], *HEADLINES, "Aleksandra Novak"])
    kept, result = run_rule(rules, "navigation.headline-list", text)
    assert kept == [ARTICLE[0]]
