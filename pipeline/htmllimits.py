"""Limits of the HTML parsers behind extraction, checked on the raw page before either parser
sees it. A page past one would come out empty (libxml2, under trafilatura, gives up on it) or
take minutes (lexbor's tree building is quadratic in these shapes), so it is rejected instead,
with the limit it broke as the reason."""

from __future__ import annotations

import re

# libxml2 stops at 256 open elements and trafilatura then extracts nothing; lexbor took 36 s
# to parse 100,000 nested <div>. The estimate below is within about 20 of lexbor's real depth
# on the devset, whose deepest page is 42 levels (607 pages).
MAX_HTML_DEPTH = 200
# libxml2 refuses a text node or an attribute value longer than this (XML_MAX_TEXT_LENGTH, in
# bytes): trafilatura then extracts nothing. Comments and scripts of any length are fine.
MAX_TEXT_NODE_BYTES = 10_000_000
# lexbor's <select> parsing is quadratic in its options: 20,000 options took 3 s. A long
# country list has 250.
MAX_OPTIONS = 5_000
# lexbor checks an element's attributes for duplicates pairwise: 20,000 attributes on one
# element took 1.5 s; 1,000 take 2 ms.
MAX_ATTRIBUTES = 1_000

# A tag as the HTML tokenizer reads it: from "<" and a letter to the next ">" that is not in a
# quoted attribute value, across any "<" ("<div</div>" is one start tag, "<div data-x='<b>'>"
# a div), or to the end of the page when it is never closed. Quotes open a value only after
# "=", so the apostrophe in <img alt=Don't> opens nothing. Every character but ">" fits one of
# the alternatives, so a tag match never fails and no text is searched twice; possessive (*+)
# so an unclosed tag is not retried at every split, which took 37 s on one 140 KB tag (found
# by bench/fuzz.py). A comment's end is found with str.find.
ATTRIBUTE = r"""[^\s/>=]++(?:\s*+=\s*+(?:"[^"]*+"?|'[^']*+'?|[^\s>]*+))?+"""
MARKUP = re.compile(rf"""<!--|<(/?)([a-zA-Z][^\s/>]*+)(?:[\s/]++|{ATTRIBUTE}|=[^\s/>]*+)*+(?:>|\Z)""")
ATTRIBUTES = re.compile(ATTRIBUTE)
VOID = frozenset("area base basefont bgsound br col embed frame hr img input keygen link meta param "
                 "source track wbr".split())
FOREIGN = ("svg", "math")
RAW_TEXT = {name: re.compile(rf"</{name}", re.I)
            for name in ("script", "style", "textarea", "title", "xmp", "noembed", "noframes", "iframe")}
# An element opened while one of these is the current element closes it first, as the parser
# does: "<li>a<li>b" are siblings, "<p>a<div>" ends the paragraph, also through unclosed inline
# elements ("<p><font>a<p><font>b": the parser reopens the font inside the new paragraph).
INLINE_SCAN = 16  # so a page of deep inline nesting costs no long walk per tag
INLINE = frozenset("a abbr b bdi bdo big cite code dfn em font i kbd label mark nobr q s samp small span "
                   "strike strong sub sup time tt u var".split())
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
RUBY = frozenset({"rb", "rt", "rtc", "rp"})
P_CLOSERS = frozenset("address article aside blockquote details dialog div dl fieldset figcaption figure footer "
                      "form header hgroup hr main menu nav ol p pre section table ul".split()) | HEADINGS
IMPLIED_END: dict[str, frozenset[str]] = {
    "li": frozenset({"li", "p"}), "dt": frozenset({"dt", "dd", "p"}), "dd": frozenset({"dt", "dd", "p"}),
    "option": frozenset({"option"}), "optgroup": frozenset({"option", "optgroup"}),
    "tr": frozenset({"tr", "td", "th"}), "td": frozenset({"td", "th"}), "th": frozenset({"td", "th"}),
    "thead": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "tbody": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "tfoot": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    **{name: RUBY for name in RUBY},
    **{name: frozenset({"p"}) | HEADINGS for name in HEADINGS},
    **{name: frozenset({"p"}) for name in P_CLOSERS - HEADINGS},
}


def count_attributes(tag: str) -> int:
    return sum(1 for _ in ATTRIBUTES.finditer(tag)) - 1  # the first is "<" and the tag's name


def html_limit_problem(html: str) -> str | None:
    """Which parser limit the page breaks (the reject reason), or None. Linear in the page:
    a stack of open tag names, closed the way the HTML parsers close them, roughly."""
    stack: list[str] = []
    open_count: dict[str, int] = {}  # so a stray closing tag costs no scan of the stack
    options = 0
    skip_to = 0  # the end of a comment, script or style, whose "tags" are text
    text_from = 0  # where the text since the last tag starts
    for match in MARKUP.finditer(html):
        start, end = match.span()
        if start < skip_to:
            continue
        if start - text_from > MAX_TEXT_NODE_BYTES // 4 and too_long(html, text_from, start):
            return f"HTML text run longer than the parser's {MAX_TEXT_NODE_BYTES:,}-byte limit"
        text_from = end
        if match.group(0) == "<!--":
            found = html.find("-->", end)
            if found < 0:
                return None  # the rest of the page is a comment
            skip_to = text_from = found + 3
            continue
        closing, name = match.group(1, 2)
        name = name.lower()
        if closing:  # closes the nearest open element of its name, and all opened after it
            if open_count.get(name):
                while (popped := stack.pop()) != name:
                    open_count[popped] -= 1
                open_count[name] -= 1
            continue
        if end - start > 2 * MAX_ATTRIBUTES and count_attributes(match.group(0)) > MAX_ATTRIBUTES:
            return f"HTML element with more than {MAX_ATTRIBUTES:,} attributes"
        if end - start > MAX_TEXT_NODE_BYTES // 4 and too_long(html, start, end):
            return f"HTML tag longer than the parser's {MAX_TEXT_NODE_BYTES:,}-byte limit for an attribute value"
        if name == "option":
            options += 1
            if options > MAX_OPTIONS:
                return f"HTML with more than {MAX_OPTIONS:,} <option> elements"
        # "/>" closes only void and foreign (SVG, MathML) elements: "<div/>" opens a div.
        if name in VOID or html[end - 2] == "/" and (name in FOREIGN or any(open_count.get(f) for f in FOREIGN)):
            continue
        raw_text_end = RAW_TEXT.get(name)
        if raw_text_end is not None:  # script, style...: text up to the closing tag, not markup
            found = raw_text_end.search(html, end)
            if found is None:
                return None
            skip_to = text_from = found.start()
            continue
        closes = IMPLIED_END.get(name)
        if closes:
            close_implied(stack, open_count, closes)
        stack.append(name)
        open_count[name] = open_count.get(name, 0) + 1
        if len(stack) > MAX_HTML_DEPTH:
            return f"HTML nested more than {MAX_HTML_DEPTH} elements deep (the parsers' limit)"
    if len(html) - text_from > MAX_TEXT_NODE_BYTES // 4 and too_long(html, text_from, len(html)):
        return f"HTML text run longer than the parser's {MAX_TEXT_NODE_BYTES:,}-byte limit"
    return None


def close_implied(stack: list[str], open_count: dict[str, int], closes: frozenset[str]) -> None:
    """Pop the elements an opening tag ends: the nearest open element in `closes` when only
    inline elements lie above it (at most INLINE_SCAN), and those; then any more of `closes`
    directly below."""
    if not any(open_count.get(name) for name in closes):
        return
    for k in range(len(stack) - 1, max(len(stack) - 1 - INLINE_SCAN, -1), -1):
        if stack[k] in closes:
            for popped in stack[k:]:
                open_count[popped] -= 1
            del stack[k:]
            while stack and stack[-1] in closes:
                open_count[stack.pop()] -= 1
            return
        if stack[k] not in INLINE:
            return


def too_long(html: str, start: int, end: int) -> bool:
    """html[start:end] takes more than libxml2's limit in UTF-8 (a character takes 1 to 4 bytes)."""
    return end - start > MAX_TEXT_NODE_BYTES or len(html[start:end].encode("utf-8", "surrogatepass")) > MAX_TEXT_NODE_BYTES
