"""Property tests: on generated documents that mix article sentences with furniture, cleaning
never raises, never adds words, is idempotent and deterministic.

Word tokens (see `tokens`): maximal runs of word characters (`\\w+`) in the NFC form of the
text, after deleting the zero-width characters normalisation deletes. Markdown link syntax is
punctuation to this tokeniser, so `[the report](https://x.example/r)` holds the tokens `the`,
`report`, `https`, `x`, `example`, `r`, and its cleaned form `the report` holds only tokens
the input had. Cleaning only drops lines and link markup, so every output token must occur in
the input at least as often (a multiset inclusion, not just a set inclusion)."""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from collections import Counter

from hypothesis import HealthCheck, example, given, settings, strategies as st

from storysift.clean.page import clean_text
from storysift.clean.textrules import apply_text_rules, lines_matching
from storysift.document import InputError
from storysift.ruleset.load import PAGE_KINDS, load_rules

RULES = load_rules()
LINE_RULES = dataclasses.replace(RULES, rules=[r for r in RULES.rules if r.kind not in PAGE_KINDS])
# STORYSIFT_EXAMPLES=5000 python -m pytest tests/test_properties.py for a deeper search.
EXAMPLES = int(os.environ.get("STORYSIFT_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORD = re.compile(r"\w+")
# Characters cleaning drops inside words (normalize.INVISIBLE): zero-width marks and NUL, which a
# UTF-16 source read byte by byte puts between the letters of every word.
ZERO_WIDTH = re.compile(r"[\x00\u200b-\u200d\u2060\ufeff\u00ad]")


def tokens(text: str) -> Counter[str]:
    return Counter(WORD.findall(ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text))))


def assert_no_new_words(source: str, output: str) -> None:
    extra = tokens(output) - tokens(source)
    assert not extra, f"output has words the input lacks: {dict(extra)}"


def glued_from(token: str, known: set[str]) -> bool:
    """`token` is a concatenation of known tokens ("councilCouncil" from "council" + "Council")."""
    ends = {0}
    for end in range(1, len(token) + 1):
        if any(start in ends and token[start:end] in known for start in range(end)):
            ends.add(end)
    return len(token) in ends


def assert_no_new_words_modulo_glue(source: str, output: str) -> None:
    """For HTML: trafilatura sometimes glues the text of two neighbouring elements into one
    token (text before a nested block or a table; see the HTML test), so an output token may
    also be several input tokens run together, but nothing else."""
    known = set(tokens(source))
    invented = [t for t in tokens(output) if t not in known and not glued_from(t, known)]
    assert not invented, f"output has words the input lacks: {invented}"


# --- generators -----------------------------------------------------------------------------

VOCAB = ("council market river school budget harbour plan people report water city week year "
         "minister said would could after before during about their which there other first "
         "million percent tuesday station library ferry residents officials workers").split()
NAMES = ["Jane Doe", "Tomasz Wrobel", "Ines Maartens", "Aleksandra Novak", "Marta Oyelaran"]
BRANDS = ["Canva", "Zapier", "Northgate Logistics", "Velden Bank", "Claude AI", "FreshChain"]
WIDGET = ["0 0 votes", "Article Rating", "Subscribe", "Notify of", "guest", "0 Comments", "3 Comments",
          "Newest", "Oldest Most Voted", "Inline Feedbacks", "View all comments", "()", "x", "0", "Reply",
          "We would love to hear your opinion! Please comment below.x"]
FURNITURE = ["Advertisement", "Sponsored content", "Learn More", "Sign up for our daily newsletter",
             "We use cookies to improve your experience on our site.", "Share", "Tweet | Email | Print",
             "Home > News > Tech", "Photo: Getty Images", "Banner for the new plan", "Key Takeaways",
             "Recent News", "Related Articles", "You may also like", "By", "Written by", "Edited By",
             "Senior Editor", "Updated: May 3, 2025", "Last updated:", "Subscribe now!"]

word = st.sampled_from(VOCAB)


@st.composite
def sentence(draw) -> str:
    ws = draw(st.lists(word, min_size=3, max_size=28))
    ws[0] = ws[0].capitalize()
    if draw(st.booleans()):
        i = draw(st.integers(0, len(ws) - 1))
        ws[i] = draw(st.sampled_from(NAMES))
    return " ".join(ws) + draw(st.sampled_from([".", ".", ".", "?", ":", ",", ""]))


@st.composite
def headline(draw) -> str:
    ws = draw(st.lists(word, min_size=2, max_size=12))
    return " ".join(w.capitalize() if len(w) > 3 or draw(st.booleans()) else w for w in ws)


@st.composite
def markdown_link_line(draw) -> str:
    text = " ".join(draw(st.lists(word, min_size=1, max_size=4)))
    url = "https://" + draw(st.sampled_from(["news.example", "x.example/a_b", "w.example/wiki/A_(b)"]))
    link = draw(st.sampled_from([
        f"[{text}]({url})",
        f"![{text}]({url}/img.png)",
        f"[![{text}]({url}/badge.svg)]({url})",  # an image inside a link (badges)
        f'[{text}]({url} "title")',
        f"[{text}]()",
    ]))
    before = draw(st.sampled_from(["", "Read ", "The ", "See "]))
    return before + link + draw(st.sampled_from(["", ".", " today.", " and more"]))


noise = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    max_size=30,
)

single_line = st.one_of(
    sentence(), sentence(), sentence(), headline(), headline(),
    st.builds(lambda b, s: f"{b} {s}", st.sampled_from(BRANDS), st.sampled_from(["Logo", "logo", "icon"])),
    st.sampled_from(WIDGET), st.sampled_from(FURNITURE), st.sampled_from(NAMES),
    st.builds(lambda n: f"By {n} | Reuters", st.sampled_from(NAMES)),
    markdown_link_line(), noise, st.just(""), st.just(""),
)


@st.composite
def line_block(draw) -> list[str]:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # a block repeated in the page (an ad injected between paragraphs)
        return draw(st.lists(single_line, min_size=2, max_size=4)) * draw(st.integers(2, 3))
    if kind == 1:  # a list of other stories
        return draw(st.lists(headline(), min_size=3, max_size=7))
    if kind == 2:  # a comment widget
        return draw(st.lists(st.sampled_from(WIDGET), min_size=2, max_size=10))
    if kind == 3:  # a name and a bio paragraph about that person
        name = draw(st.sampled_from(NAMES))
        first = name.split()[0]
        return [name, f"{first} has been covering the {draw(word)} beat for {draw(st.integers(1, 30))} years."]
    return [draw(single_line)]


@st.composite
def document(draw) -> str:
    lines = [line for block in draw(st.lists(line_block(), min_size=0, max_size=30)) for line in block]
    indent = st.sampled_from(["", "", "", "  ", "\t", "    ", "\u00a0"])
    lines = [draw(indent) + line + draw(st.sampled_from(["", "", " ", "\t"])) for line in lines]
    return draw(st.sampled_from(["\n", "\n", "\r\n"])).join(lines)


# --- text properties ------------------------------------------------------------------------

@SETTINGS
@given(document())
def test_text_rules_never_add_words_and_are_idempotent(text):
    first = apply_text_rules(text, RULES)
    assert_no_new_words(text, first.text)
    again = apply_text_rules(first.text, RULES)
    assert again.text == first.text
    assert again.removed == []
    assert set(again.links) <= set(first.links)


@SETTINGS
@given(document())
def test_text_rules_are_deterministic(text):
    a, b = apply_text_rules(text, RULES), apply_text_rules(text, RULES)
    assert (a.text, a.removed, a.links, a.meta) == (b.text, b.removed, b.links, b.meta)


@SETTINGS
@given(document())
def test_removed_pieces_and_kept_text_account_for_every_line(text):
    """Every non-blank normalised line is either kept or in exactly one removal."""
    result = apply_text_rules(text, RULES)
    seen = [line for line in result.lines if line]
    kept = [line for line in result.text.splitlines() if line]
    removed = [line for r in result.removed for line in r.text.splitlines()]
    assert Counter(kept) + Counter(removed) == Counter(seen)


def cleaned(text: str):
    """The cleaned document, or None when the input is refused, which only empty or blank
    input may be."""
    try:
        return clean_text(text, RULES)
    except InputError:
        assert not text.strip()
        return None


@SETTINGS
@given(document())
def test_clean_text_never_adds_words_and_is_idempotent(text):
    doc = cleaned(text)
    if doc is None:
        return
    assert_no_new_words(text, doc.text)
    # Idempotent under the line rules. The page kinds (text.title, text.flattened-list,
    # text.boilerplate) read a text
    # as a whole saved page, its first line the <title> and a line model over every line: the
    # clean text is another page to them, and they may take more from it.
    once = clean_text(text, LINE_RULES)
    if once.text.strip():
        again = clean_text(once.text, LINE_RULES)
        assert again.text == once.text
        assert again.removed == []
    assert clean_text(text, RULES).as_record() == doc.as_record()


@SETTINGS
@given(document())
# A repeated block whose first line is the page's protected <title>/headline pair: the removal's
# span must not hold the line that stayed.
@example("Council Council Council Council\n0 0 votes\n[council](https://news.example)\n" * 2
         + "Council Council Council Council\n0 0 votes\n[council](https://news.example)")
def test_explain_marks_exactly_the_removed_lines(text):
    from storysift.review.explain import render_explanation

    doc = cleaned(text)
    if doc is None or doc.kind != "text":
        return
    body = render_explanation(doc).splitlines()[1:]
    marked = [line.split("] ", 1)[1].strip() for line in body if line.startswith("- [")]
    unmarked = [line.strip() for line in body if line.strip() and not line.startswith("- [")]
    assert Counter(marked) == Counter(line for r in doc.removed for line in r.text.splitlines())
    assert unmarked == [line for line in doc.text.splitlines() if line]


# --- bytes ----------------------------------------------------------------------------------

@SETTINGS
@given(st.one_of(
    st.binary(max_size=300),
    st.builds(lambda label, body: b'<meta charset="' + label + b'"><p>' + body + b"</p>",
              st.sampled_from([b"utf-8", b"iso-8859-1", b"koi8-r", b"utf-16", b"bogus", b"shift_jis", b"x" * 40]),
              st.binary(max_size=200)),
))
def test_any_bytes_become_a_document_or_a_reasoned_reject(data):
    from storysift.read.documents import make_document

    try:
        raw = make_document(data, "d", "d")
    except InputError as exc:
        assert str(exc)  # the reject reason
        return
    assert raw.content.strip() and raw.kind in ("html", "text")


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=200),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_text_with_a_bom_or_in_utf8_decodes_exactly(text, encoding):
    from storysift.read.documents import decode

    data = text.encode(encoding)
    if encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        return  # a text starting with U+FEFF is indistinguishable from a BOM
    if encoding == "utf-8" and "\x00" in text[:8192]:
        return  # NUL in the head: refused as binary
    if encoding == "utf-16" and text.startswith("\x00"):
        return  # FF FE 00 00 is the UTF-32 byte-order mark
    assert decode(data) == text


# --- HTML -----------------------------------------------------------------------------------

# Text always sits in a leaf element (p, h2, li...), never beside a sibling element: bare text
# followed by a block (`words<section>More`) is glued by trafilatura itself ("wordsMore"), and
# text directly inside <table> is foster-parented out of it by the HTML parser (as in a
# browser). Inline elements inside a leaf have spaces around them for the same reason.
CONTAINER_TAGS = ["div", "section", "article", "main", "ul", "blockquote", "figure", "nav", "aside", "header", "footer"]
LEAF_TAGS = ["p", "p", "p", "h2", "li", "blockquote", "figcaption", "div", "span"]
CLASSES = ["", "", "", "related-posts", "share", "comments", "ad", "caption", "newsletter", "post-content"]


def with_class(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


@st.composite
def inline_text(draw) -> str:
    text = draw(st.one_of(sentence(), headline(), st.sampled_from(WIDGET + FURNITURE)))
    if draw(st.booleans()):
        inline = draw(st.sampled_from(["em", "b", "a", "span"]))
        text = f"{text} <{inline}>{draw(word)}</{inline}> {draw(sentence())}"
    return text


html_leaf = st.one_of(
    st.builds(lambda tag, cls, text: f"<{tag}{with_class(cls)}>{text}</{tag}>",
              st.sampled_from(LEAF_TAGS), st.sampled_from(CLASSES), inline_text()),
    st.builds(lambda rows: "<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows) + "</table>",
              st.lists(st.tuples(headline(), sentence()), min_size=1, max_size=3)),
    st.just("<br>"), st.just("<hr>"),
)


def html_node(children):
    return st.builds(
        lambda tag, cls, kids: f"<{tag}{with_class(cls)}>{''.join(kids)}</{tag}>",
        st.sampled_from(CONTAINER_TAGS), st.sampled_from(CLASSES), st.lists(children, max_size=4),
    )


html_tree = st.recursive(html_leaf, html_node, max_leaves=25)


@settings(max_examples=max(EXAMPLES // 3, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(html_tree, min_size=1, max_size=6), st.booleans())
def test_random_nested_html_cleans_without_error(bodies, wrap):
    body = "".join(bodies)
    html = f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>" if wrap else body
    try:
        doc = clean_text(html, RULES)
    except InputError:
        assert not html.strip()
        return
    assert_no_new_words_modulo_glue(html, doc.text)
    assert clean_text(html, RULES).as_record() == doc.as_record()
    # what came out of HTML is canonical text already: the text rules leave it alone
    again = apply_text_rules(doc.text, RULES)
    assert again.text == doc.text


PATTERN_RULES = [r for r in RULES.rules if r.regex is not None]
RULE_EXAMPLES = [str(e) for r in PATTERN_RULES for key in ("match", "keep") for e in r.examples.get(key, [])]


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(RULE_EXAMPLES), st.text(max_size=80)), max_size=20))
def test_the_search_of_each_line_in_utf8_finds_the_lines_a_search_of_the_str_finds(lines):
    # lines_matching hands RE2 each line's UTF-8 bytes, encoded once for all the rules.
    alone = {r.id: {i for i, line in enumerate(lines) if line and r.regex.search(line)} for r in PATTERN_RULES}
    assert lines_matching(PATTERN_RULES, lines) == alone
