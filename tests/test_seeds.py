"""What the five seed documents must give (issue 2), asserted on content, not on goldens."""

import pytest

from storysift.clean.normalize import normalize_line
from storysift.clean.page import clean_document
from storysift.read.documents import ReadOptions
from storysift.read.files import read_file
from tests.conftest import ROOT


def clean_seed(prefix, rules):
    path = next((ROOT / "seeds").glob(f"{prefix}_*.txt"))
    (raw,) = read_file(path, path.name, ReadOptions())
    return raw, clean_document(raw, rules)


def paragraphs(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_seed_000_keeps_five_paragraphs_and_drops_headline_list(rules):
    raw, doc = clean_seed("000", rules)
    kept = paragraphs(doc.text)
    assert kept == paragraphs(raw.content)[:5]
    assert "Rio Tinto Shares Hit Record High" not in doc.text
    assert {r.rule for r in doc.removed} == {"navigation.headline-list"}


@pytest.mark.parametrize("prefix", ["001", "002"])
def test_seeds_001_002_untouched_but_for_whitespace(rules, prefix):
    raw, doc = clean_seed(prefix, rules)
    assert doc.removed == []
    assert paragraphs(doc.text) == paragraphs(raw.content)
    assert "Key Takeaways" in doc.text or prefix == "001"


def test_seed_003_drops_bio_recent_news_and_comment_widget(rules):
    raw, doc = clean_seed("003", rules)
    assert doc.title.startswith("OpenAI")
    assert doc.text.splitlines()[0] == doc.title
    for heading in ("Breaking the Chains of Exclusivity", "The Price of Going Pro", "A Crisis of Conscience"):
        assert heading in doc.text
    assert doc.text.rstrip().endswith("heart when you’re using them.”") or "Adler warned" in doc.text.splitlines()[-1]
    for furniture in ("Markus has been covering", "Recent News", "Article Rating", "Notify of", "0 Comments",
                      "View all comments", "We would love to hear", "Inline Feedbacks"):
        assert furniture not in doc.text
    assert not any(line in {"()", "x", "guest", "Subscribe", "0"} for line in paragraphs(doc.text))
    assert doc.author == "Markus Kasanmascheff"


def test_seed_004_drops_ads_byline_banner_and_trailer(rules):
    raw, doc = clean_seed("004", rules)
    text = doc.text
    assert text.splitlines()[0] == "Tensions Rise Amid Evolving AI Strategies"
    for furniture in ("Learn to use AI like a Pro", "Get the latest AI workflows", "Canva Logo", "Last updated:",
                      "Edited By", "Banner for", "Recommended Tools", "AI Tools Researcher"):
        assert furniture not in text
    assert "News" not in paragraphs(text)
    assert doc.author == "Mackenzie Ferguson"
    assert sum(r.rule == "ads.repeated-block" for r in doc.removed) == 10
    # every heading and paragraph of the article survives
    furniture_lines = {line for r in doc.removed for line in r.text.splitlines()}
    article = [normalize_line(p) for p in paragraphs(raw.content)]
    article = [p for p in article if p not in furniture_lines]
    assert len(article) > 60 and all(p in paragraphs(text) for p in article)
