"""The HTML stage's guards and metadata: an element marked as the article is never pruned as
furniture, one element is removed (and recorded) once, and title/author/date are what
trafilatura's own metadata extraction finds. Also the headline-list detector's data lines."""

import json

import pytest
import trafilatura
from selectolax.lexbor import LexborHTMLParser
from trafilatura.metadata import extract_author
from trafilatura.settings import set_date_params

from storysift.clean.detectors import is_data_line, is_title_like
from storysift.clean.html import extract_html
from storysift.clean.metadata import find_author, page_metadata

PARAGRAPHS = [
    "The harbour board approved the new ferry timetable on Tuesday after a long debate about the early crossings.",
    "Residents of the island had asked for a sailing before six so that nurses could reach the hospital in time.",
    "The operator said the extra crossing would cost about two hundred thousand euros a year to run.",
    "The board will review the timetable again in the autumn, when the winter schedule is drawn up.",
]
ARTICLE_HTML = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
SIDEBAR = "".join(f"<li><a href='/n{i}'>Another story about the region number {i}</a></li>" for i in range(60))


def test_a_share_token_on_the_entry_wrapper_does_not_remove_the_story(rules):
    # The Hueman WordPress theme: <div class="entry themeform share"> holds the whole post, and
    # a long sidebar keeps it under the share-of-the-page guard.
    html = (f'<html><body><div class="entry themeform share"><div class="entry-inner">{ARTICLE_HTML}</div>'
            f'<div class="sharrre-container"><span>Share</span></div></div>'
            f'<div class="widget"><ul>{SIDEBAR}</ul></div></body></html>')
    extraction = extract_html(html, rules)
    assert all(p in extraction.text for p in PARAGRAPHS)
    assert not any(r.rule == "social.css" and PARAGRAPHS[0] in r.text for r in extraction.removed)


@pytest.mark.parametrize("wrapper", ['<article class="share">', '<div class="post sharing">', '<div itemprop="articleBody" class="share">'])
def test_an_element_marked_as_the_article_is_never_pruned(rules, wrapper):
    tag = wrapper[1:wrapper.index(" ")]
    html = f"<html><body>{wrapper}{ARTICLE_HTML}</{tag}><ul>{SIDEBAR}</ul></body></html>"
    assert all(p in extract_html(html, rules).text for p in PARAGRAPHS)


def test_an_element_two_selectors_match_is_removed_and_recorded_once(rules):
    html = (f"<html><body><article>{ARTICLE_HTML}</article>"
            '<div class="related-posts"><h3>Related posts</h3><ul><li><a href="/a">Other Story</a></li></ul></div>'
            "</body></html>")
    removed = [(r.rule, r.text) for r in extract_html(html, rules).removed]
    assert removed == [("navigation.css", "Related posts\nOther Story")]


def test_metadata_matches_trafilaturas_own(rules):
    html = ('<html><head><title>Ferry Timetable Approved | The Courier</title>'
            '<meta property="article:published_time" content="2025-03-14T10:00:00Z">'
            '<link rel="canonical" href="https://courier.example/news/ferry"></head>'
            f'<body><article><h1>Ferry Timetable Approved</h1><p class="byline">By Ruth Calloway</p>{ARTICLE_HTML}'
            "</article></body></html>")
    reference = trafilatura.bare_extraction(html, url="https://courier.example/news/ferry", with_metadata=True,
                                            date_extraction_params=set_date_params(extensive=False))
    title, author, date, _ = page_metadata(trafilatura.load_html(html), LexborHTMLParser(html),
                                           "https://courier.example/news/ferry")
    assert (title, author, date) == (reference.title, reference.author, reference.date)
    extraction = extract_html(html, rules, "https://courier.example/news/ferry")
    assert (extraction.title, extraction.author, extraction.date) == (title, author, date)


# Page text outside the element a test is about, so that it holds under half the page and the
# guard against removing most of a page (html.MAX_REMOVED_SHARE) cannot be what keeps it.
ELSEWHERE = "".join(f"<p>Site notice number {i}: the archive of the region's older reports and letters from "
                    f"readers, kept for reference and searchable by date and by town.</p>" for i in range(12))


def test_a_sidebar_selector_keeps_a_layout_wrapper_that_holds_the_article(rules):
    # WordPress Genesis: <div id="content-sidebar-wrap"> holds the article and the sidebar, and
    # [id*="sidebar"] matches it; the sidebar inside is still removed.
    html = (f'<html><body><div id="content-sidebar-wrap"><main><article class="post entry">{ARTICLE_HTML}'
            f'</article></main><aside id="sidebar-primary"><ul>{SIDEBAR[:400]}</ul></aside></div>'
            f"<div>{ELSEWHERE}</div></body></html>")
    extraction = extract_html(html, rules)
    assert all(p in extraction.text for p in PARAGRAPHS)
    assert any(r.rule == "navigation.css" and r.text.startswith("Another story") for r in extraction.removed)


def test_a_sidebar_of_teaser_articles_is_still_a_sidebar(rules):
    teasers = "".join(f"<article><a href='/t{i}'>Another story about the region number {i}</a></article>"
                      for i in range(5))
    html = f"<html><body><article>{ARTICLE_HTML}</article><div id='sidebar'>{teasers}</div></body></html>"
    extraction = extract_html(html, rules)
    assert any(r.rule == "navigation.css" and "number 4" in r.text for r in extraction.removed)


def test_an_article_body_in_a_paywall_class_is_content(rules):
    # Dow Jones pages serve the gated article body in <div class="paywall">.
    html = (f"<html><body><article><h1>Ferry</h1><p>{PARAGRAPHS[0]}</p><div class='paywall'>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:]) + f"</div></article><div>{ELSEWHERE}</div></body></html>")
    assert all(p in extract_html(html, rules).text for p in PARAGRAPHS)


def test_the_head_keeps_its_json_ld_for_trafilaturas_fallback_after_the_metadata_is_read(rules):
    # The body holds nothing; trafilatura's baseline takes the JSON-LD articleBody in the head.
    ld = json.dumps({"@type": "NewsArticle", "headline": "Ferry", "articleBody": " ".join(PARAGRAPHS)})
    html = (f'<html><head><meta name="author" content="Ruth Calloway"><script type="application/ld+json">{ld}'
            "</script></head><body><div>Menu</div></body></html>")
    extraction = extract_html(html, rules)
    assert PARAGRAPHS[0] in extraction.text and extraction.author == "Ruth Calloway"


BYLINES = {
    "rel": '<a rel="author" href="/ruth">Ruth Calloway</a>',
    "author-name class": '<span class="post-author-name">Ruth Calloway</span>',
    "itemprop": '<div itemprop="author" itemscope><span itemprop="name">Ruth Calloway</span></div>',
    "byline class": '<p class="byline">By Ruth Calloway and Tom Mbeki</p>',
    "id": '<div id="articleAuthor">Ruth Calloway</div>',
    "writer class": '<em class="writer-box">Ruth Calloway</em>',
    "too long": f'<p class="byline">{"Ruth Calloway wrote this " * 8}</p>',
    "too short": '<span class="author">RC</span>',
    "in comments": '<div class="comments-list"><span class="author">Commenter Name</span></div>',
    "in a figure": '<figure><figcaption class="author">Photographer Name</figcaption></figure>',
    "in a sidebar": '<div class="sidebar-right"><a class="author-name">Other Writer</a></div>',
    "nested discard": '<div class="author-box">Ruth Calloway <time>May 2</time></div>',
    "first group wins": '<span class="writer">Later Writer</span><a rel="author">Ruth Calloway</a>',
    "none": '<p>No byline here.</p>',
}


@pytest.mark.parametrize("byline", BYLINES.values(), ids=BYLINES.keys())
def test_author_search_finds_what_trafilaturas_finds(byline):
    html = f"<html><body><article><h1>Ferry Timetable Approved</h1>{byline}{ARTICLE_HTML}</article></body></html>"
    assert find_author(LexborHTMLParser(html)) == extract_author(trafilatura.load_html(html))


@pytest.mark.parametrize("line", [
    "250 Gramm Mehl", "1. Dorothea Wierer (ITA) 35.58,7", "1957–1959 Erster Bauabschnitt", "- Laufzeit: drei Jahre",
    "Termin: 29.02.2020, 19 Uhr", "Ausstattung Sicherheit: 1", "Ort: Kasberg im Frankenland",
])
def test_quantities_and_label_value_pairs_are_data_not_headlines(line):
    assert is_data_line(line.removeprefix("- "))
    assert not is_title_like(line, 18, 0.6)


@pytest.mark.parametrize("line", [
    "OpenAI and Microsoft: A Tech Partnership Under Strain",
    "Uber Ordered to Pay $8.5 Million in Bellwether Sexual Assault Lawsuit",
    "Elon Musk’s Empire: SpaceX, Tesla, and xAI Merger Talks Spark Investor Debate",
])
def test_headlines_with_a_colon_or_a_figure_stay_title_like(line):
    assert not is_data_line(line)
    assert is_title_like(line, 18, 0.6)
