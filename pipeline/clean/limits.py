"""Limits of the HTML parsers behind extraction, checked before the page is extracted. A page
past one would come out empty (libxml2, under trafilatura, gives up on it) or take minutes
(lexbor's tree building is quadratic in these shapes), so it is rejected instead, with the
limit it broke as the reason. parse_within_limits is the HTML stage's entry: a page with few
tags is parsed by lexbor first and its depth read off the tree; any other page is scanned in
full (limit_scan) before lexbor sees it, and when the scan's estimate of its depth is past the
limit but within what lexbor builds quickly, the depth is read off lexbor's tree."""

from __future__ import annotations

import re
from typing import Callable

from selectolax.lexbor import LexborHTMLParser

from storysift.document import InputError

# libxml2 stops at 256 open elements and trafilatura then extracts nothing; lexbor took 36 s
# to parse 100,000 nested <div>. The scan's depth is within 3 of lexbor's on every devset page
# (607 pages, the deepest 41 levels), and bench/fuzz.py checks it against lexbor's both ways.
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

# lexbor's output is rarely larger than its input (scripts and styles are removed before it is
# serialised): x1.04 at most on the devset (bench/html_stage.py), from closed tags and quotes.
MAX_GROWTH = 10

DEPTH_PROBLEM = f"HTML nested more than {MAX_HTML_DEPTH} elements deep (the parsers' limit)"
ATTRIBUTES_PROBLEM = f"HTML element with more than {MAX_ATTRIBUTES:,} attributes"

# A tag as the HTML tokenizer reads it: from "<" and a letter to the next ">" that is not in a
# quoted attribute value, across any "<" ("<div</div>" is one start tag, "<div data-x='<b>'>"
# a div), or to the end of the page when it is never closed. Quotes open a value only after
# "=", so the apostrophe in <img alt=Don't> opens nothing. Every character but ">" fits one of
# the alternatives, so a tag match never fails and no text is searched twice; possessive (*+)
# so an unclosed tag is not retried at every split, which took 37 s on one 140 KB tag (found
# by bench/fuzz.py). A comment's end is found with comment_end. "<!", "<?" and "</" before
# anything but a letter open a bogus comment, which the first ">" ends, quotes or not.
ATTRIBUTE = r"""[^\s/>=]++(?:\s*+=\s*+(?:"[^"]*+"?|'[^']*+'?|[^\s>]*+))?+"""
MARKUP = re.compile(rf"""<!--|<(/?)([a-zA-Z][^\s/>]*+)(?:[\s/]++|{ATTRIBUTE}|=[^\s/>]*+)*+(?:>|\Z)|<[!?/][^>]*+>?""")
# A comment ends at "-->" or "--!>", or at once with "<!-->" or "<!--->" (found in review: a
# scan waiting for "-->" read the markup after "<!-->" as comment).
COMMENT_CLOSE = re.compile(r"--!?>")


def comment_end(html: str, start: int) -> int:
    """Where the comment whose text starts at `start` (just after "<!--") ends, or -1 if it
    runs to the end of the page."""
    if html.startswith(">", start):
        return start + 1
    if html.startswith("->", start):
        return start + 2
    found = COMMENT_CLOSE.search(html, start)
    return found.end() if found else -1
ATTRIBUTES = re.compile(ATTRIBUTE)
VOID = frozenset("area base basefont bgsound br col embed frame hr img input keygen link meta param "
                 "source track wbr".split())
FOREIGN = ("svg", "math")
# In SVG or MathML content these elements hold HTML again; elsewhere in it "<script>", "<style>"
# or "<title>" are elements whose content is markup, not raw text (found by bench/fuzz.py).
INTEGRATION_POINTS = ("foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml")
# An HTML element that ends the SVG or MathML it appears in (the HTML standard's list, less
# <font> with a color, face or size, which would only make the scan read more as markup).
BREAKOUT = frozenset("b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i "
                     "img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u "
                     "ul var".split())
# An end tag does not close an element below one of these (the "in scope" rule): "</div>" inside
# SVG's <foreignObject> or a table cell leaves the outer div open.
SCOPE_BOUNDARY = frozenset("applet caption html table td th marquee object template foreignobject desc "
                           "mi mo mn ms mtext annotation-xml".split())
# Start tags the body ignores: a second <body>, table parts outside any table. (<frameset> is
# not: in a frameset page it nests.)
IGNORED = frozenset("html head body frame".split())
# A <frameset> replaces the body and all it holds, unless the page has shown it is not a
# frameset page: an explicit <body>, text, or one of these start tags (the parser's
# "frameset-ok" flag); then it is ignored. In a frameset page only framesets nest (found by
# bench/fuzz.py: 20,000 nested <div> and a <frameset> make a tree 2 levels deep).
NOT_FRAMESET = frozenset("body li dd dt pre listing table area br embed img keygen wbr input hr textarea xmp "
                         "iframe select applet marquee object button".split())
TABLE_PARTS = frozenset("caption colgroup tbody tfoot thead tr td th".split())
TABLE_SECTIONS = frozenset("table tbody tfoot thead tr".split())
RAW_TEXT = {name: re.compile(rf"</{name}", re.I)
            for name in ("script", "style", "textarea", "title", "xmp", "noembed", "noframes", "iframe")}
# An element opened while one of these is the current element closes it first, as the parser
# does: "<li>a<li>b" are siblings, "<p>a<div>" ends the paragraph, also through unclosed inline
# elements ("<p><font>a<p><font>b": the parser reopens the font inside the new paragraph).
INLINE_SCAN = 16  # so a page of deep inline nesting costs no long walk per tag
INLINE = frozenset("a abbr b bdi bdo big cite code dfn em font i kbd label mark nobr q s samp small span "
                   "strike strong sub sup time tt u var".split())
# The formatting elements: closed by a block's end, they are reopened inside the next one.
FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
# A start tag of one of these closes the open element of its name rather than nesting in it:
# <a> and <nobr> (the adoption agency, when only inline elements lie above the open one),
# <button> (when in scope), <select> (a select in a select ends it, and opens nothing).
CLOSES_ITS_NAME = frozenset({"a", "nobr", "button", "select"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
RUBY = frozenset({"rb", "rt", "rtc", "rp"})
P_CLOSERS = frozenset("address article aside blockquote details dialog div dl fieldset figcaption figure footer "
                      "form header hgroup hr main menu nav ol p pre section table ul".split()) | HEADINGS
# A list item's start tag ends the open item of its kind through any element the standard does
# not call special, and through address, div and p ("<div><li>a<div><li>b": two items, not
# nested ones); a special element (ul, ol, table, section...) stops the search.
LIST_ITEMS: dict[str, frozenset[str]] = {"li": frozenset({"li"}), "dd": frozenset({"dd", "dt"}),
                                         "dt": frozenset({"dd", "dt"})}
LIST_ITEM_STOPS = frozenset(
    "applet area article aside base basefont bgsound blockquote body br button caption center col colgroup "
    "dd details dir dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head "
    "header hgroup hr html iframe img input keygen li link listing main marquee menu meta nav noembed "
    "noframes noscript object ol param plaintext pre script search section select source style summary "
    "table tbody td template textarea tfoot th thead title tr track ul wbr xmp".split())
# These start tags (and the list items) close an open <p> in button scope, with every element
# above it: "<option><p>a<option><p>b" stays two levels deep (found in review).
CLOSES_P = P_CLOSERS | frozenset({"li", "dd", "dt", "plaintext", "xmp"})
IMPLIED_END: dict[str, frozenset[str]] = {
    "option": frozenset({"option"}), "optgroup": frozenset({"option"}),  # optgroups nest outside a <select>
    **{name: RUBY for name in RUBY},
    **{name: frozenset({"p"}) | HEADINGS for name in HEADINGS},
    **{name: frozenset({"p"}) for name in P_CLOSERS - HEADINGS},
}


# A page with at most this many "<" has at most this many start tags, which bounds lexbor's
# quadratic shapes: the slowest found, 5,000 nested formatting elements each with its own
# attribute ("<i class=c1><i class=c2>..."), parses in 0.2 s; 5,000 <option>s in 0.1 s, and
# no more of them fit. (Reopened formatting elements can make the tree much larger than its
# tags: serialized_problem catches that.) 27 of the 607 devset pages take the full scan for
# their tags, a template or their size (bench/html_stage.py prints each path's count).
FEW_TAGS = 5_000
# The depth limit as a selector: an element MAX_HTML_DEPTH levels below <body>, or below <html>
# and a <frameset> (found by bench/fuzz.py: a frameset page has no body).
TOO_DEEP = "html" + " > *" * (MAX_HTML_DEPTH + 2)
# The scan's depth is an estimate, higher than lexbor's on shapes it does not follow (nested
# <a><div>: twice the depth). A page the scan puts past MAX_HTML_DEPTH but within this depth is
# parsed and the depth read off lexbor's tree: lexbor built 2,000 nested elements in 0.01-0.03 s
# (quadratic: 20,000 took 1-4 s), where the full scan has already checked the other limits.
TREE_CHECK_DEPTH = 2_000
# Template contents are a separate fragment in lexbor's tree, out of the selector's reach, but
# libxml2 parses them as elements: a page with a template is scanned in full, and its depth
# is the scan's.
TEMPLATE = re.compile(r"<template", re.I)
# See may_have_many_attributes.
LONG_TAG = re.compile(rf"</?[a-zA-Z][^>]{{{2 * MAX_ATTRIBUTES}}}")
GT_IN_VALUE = re.compile(r"""=\s*+(?:"[^">]*+>|'[^'>]*+>)""")
# In SVG and MathML, "<script>", "<style>" or "<title>" hold markup, not raw text, and only a
# tokenizer that follows the open elements can tell where that content ends: the attributes
# of a page with SVG or MathML are checked by the full scan (173 devset pages with few tags,
# inline icons mostly, whose tags could be long enough).
FOREIGN_CONTENT = re.compile(r"<(?:svg|math)(?![^\s/>])", re.I)


def parse_within_limits(html: str) -> LexborHTMLParser:
    """The page parsed by lexbor, or InputError naming the parser limit it breaks."""
    if html.count("<") > FEW_TAGS or len(html) > MAX_TEXT_NODE_BYTES // 4 or TEMPLATE.search(html):
        problem, deepest = limit_scan(html, TREE_CHECK_DEPTH)
        if problem is None and deepest > MAX_HTML_DEPTH and TEMPLATE.search(html):
            problem = DEPTH_PROBLEM
        if problem:
            raise InputError(problem)
        tree = LexborHTMLParser(html)
        # On the tree whatever the scan's estimate: the parser reopens unclosed formatting
        # elements in every block, which the scan does not follow ("<p><b class=cN>x" 400
        # times is 402 deep; libxml2 dropped all after the 250th paragraph).
        if tree.css_first(TOO_DEEP) is not None:
            raise InputError(DEPTH_PROBLEM)
        return tree
    # Few tags: no text run can reach libxml2's limit and no <option> count ours, so only the
    # attributes are checked before parsing (lexbor's check for duplicates is quadratic in
    # them), and the depth on the tree, as lexbor built it.
    if may_have_many_attributes(html):
        # START_TAGS reads a <style> or <title> as raw text, as HTML does; in SVG or MathML
        # it holds markup, which only the full scan follows.
        problem = html_limit_problem(html) if FOREIGN_CONTENT.search(html) else attribute_problem(html)
        if problem:
            raise InputError(problem)
    tree = LexborHTMLParser(html)
    if tree.css_first(TOO_DEEP) is not None:
        raise InputError(DEPTH_PROBLEM)
    return tree


def serialized_problem(page: str, serialized: str) -> str | None:
    """What lexbor's output, which libxml2 parses next, breaks: a text run past libxml2's limit
    (removing a script joins the text on either side of it), or a tree far larger than the
    page, built by the parser reopening unclosed formatting elements in every paragraph
    (found in review: 100 "<b class=cN>" closed by a "</p>", then 4,800 paragraphs, grow a
    40 KB page into 9 MB)."""
    if len(serialized) > MAX_GROWTH * len(page) + MAX_TEXT_NODE_BYTES // 10:
        return f"HTML whose parsed tree is more than {MAX_GROWTH} times the page (unclosed formatting elements)"
    if len(serialized) > MAX_TEXT_NODE_BYTES // 4:
        return html_limit_problem(serialized)
    return None


def may_have_many_attributes(html: str) -> bool:
    """False when no tag can hold MAX_ATTRIBUTES attributes, however the page is tokenized: such
    a tag is over 2 * MAX_ATTRIBUTES characters long, so either a quoted value in it holds a
    ">" or it runs that long from its "<" without one. 309 of the 580 devset pages with few
    tags may."""
    return LONG_TAG.search(html) is not None or GT_IN_VALUE.search(html) is not None


def attribute_problem(html: str) -> str | None:
    """The attribute limit, checked on every start tag outside comments and raw text."""
    for tag, _ in START_TAGS.findall(html):
        if len(tag) > 2 * MAX_ATTRIBUTES and count_attributes(tag) > MAX_ATTRIBUTES:
            return ATTRIBUTES_PROBLEM
    return None


# The start tags of a page, read as MARKUP reads them, in one pass of the regex engine: a
# comment, the text of a script, style... (up to its end tag), an end tag and a bogus comment
# are consumed without a capture, so they hide no tag; group 1 is a start tag without its "<",
# group 2 the name of a raw text element, whose text the conditional then consumes.
TAG_REST = rf"""(?:[\s/]++|{ATTRIBUTE}|=[^\s/>]*+)*+(?:>|\Z)"""
START_TAGS = re.compile(
    r"<(?:!--(?:-?>|[^-]*+(?:-(?!-!?>)[^-]*+)*+(?:--!?>|\Z))"
    rf"|/[a-zA-Z][^\s/>]*+{TAG_REST}"
    rf"|((?:((?i:{'|'.join(RAW_TEXT)}))(?![^\s/>])|[a-zA-Z][^\s/>]*+){TAG_REST})"
    r"(?(2)(?:[^<]++|<(?!/(?i:\2)))*+)"
    r"|[!?/][^>]*+>?)"
)


def count_attributes(tag: str) -> int:
    return sum(1 for _ in ATTRIBUTES.finditer(tag)) - 1  # the first is "<" and the tag's name


class OpenElements:
    """The parser's stack of open elements, roughly, with where each name, scope boundary and
    block sits in it, so that closing by name costs no walk down the stack."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.at: dict[str, list[int]] = {}
        self.boundaries: list[int] = []
        self.blocks: list[int] = []

    def __len__(self) -> int:
        return len(self.names)

    def has(self, name: str) -> bool:
        return bool(self.at.get(name))

    def innermost(self, names: tuple[str, ...], above: int = -1) -> int:
        """Where the innermost open element of one of `names` sits, if above `above`, else -1."""
        found = max((self.at[name][-1] for name in names if self.at.get(name)), default=-1)
        return found if found > above else -1

    def close_same(self, name: str) -> bool:
        """A start tag of CLOSES_ITS_NAME with an element of its name open: close that one, as
        the parser does, and say so; False when it nests (the rule does not apply)."""
        where = self.at.get(name)
        if not where or self.boundaries and self.boundaries[-1] > where[-1]:
            return False
        index = where[-1]
        if name in ("a", "nobr"):
            # The adoption agency, when only inline elements lie above (near the top): they are
            # closed with it, and the formatting ones among them reopened.
            if self.blocks and self.blocks[-1] > index or len(self.names) - index > INLINE_SCAN:
                return False
            reopened = [above for above in self.names[index + 1:] if above in FORMATTING and above != name]
            self.pop_to(index)
            for above in reopened:
                self.push(above)
            return True
        self.pop_to(index)
        return True

    def open_table_part(self, name: str) -> None:
        """A table part's start tag in a table: the open cell or caption of the innermost table
        ends, then the stack is cleared back to the table (or its section, or its row) and the
        part opened, with the tbody and tr the parser adds when they are left out."""
        table = self.at["table"][-1]
        cell = self.innermost(("td", "th", "caption"), table)
        if cell >= 0:
            self.pop_to(cell)
        if name in ("td", "th") and (row := self.innermost(("tr",), table)) >= 0:
            self.pop_to(row + 1)
        elif name in ("tr", "td", "th"):
            section = self.innermost(("tbody", "thead", "tfoot"), table)
            self.pop_to(section + 1 if section >= 0 else table + 1)
            if section < 0:
                self.push("tbody")
            if name != "tr":
                self.push("tr")
        else:
            self.pop_to(table + 1)
        self.push(name)

    def push(self, name: str) -> None:
        index = len(self.names)
        self.at.setdefault(name, []).append(index)
        if name in SCOPE_BOUNDARY:
            self.boundaries.append(index)
        if name not in INLINE:
            self.blocks.append(index)
        self.names.append(name)

    def pop_to(self, index: int) -> None:
        """Pop the element at `index` and every one above it."""
        while len(self.names) > index:
            name = self.names.pop()
            self.at[name].pop()
            if name in SCOPE_BOUNDARY:
                self.boundaries.pop()
            if name not in INLINE:
                self.blocks.pop()

    def close(self, name: str) -> None:
        """An end tag: pop to the nearest open element of its name, unless a scope boundary lies
        between, or, for a plain inline element, a block."""
        where = self.at.get(name)
        if not where:
            return
        index = where[-1]
        if name in TABLE_SECTIONS:
            # "</table>" or "</tr>" closes the open cells of its own table, not of an outer one.
            tables = self.at.get("table")
            if name == "table" or not tables or tables[-1] < index:
                self.pop_to(index)
            return
        if self.boundaries and self.boundaries[-1] > index:
            return
        if name in INLINE and self.blocks and self.blocks[-1] > index:
            # "<span><div></span>" leaves both open; for "<b><div></b>" the parser keeps the
            # div open, with a copy of the b inside it: counting both open is as deep.
            return
        self.pop_to(index)

    def foreign_root(self) -> int:
        """Where the innermost open <svg> or <math> sits when the current element is in its
        content (not under an integration point such as <foreignObject>), else -1."""
        svg, math = self.at.get("svg"), self.at.get("math")
        if not svg and not math:
            return -1
        root = max(svg[-1] if svg else -1, math[-1] if math else -1)
        if any(self.at.get(point) and self.at[point][-1] > root for point in INTEGRATION_POINTS):
            return -1
        return root

    def close_table(self) -> None:
        """A <table> in a table, not in one of its cells, ends that table first."""
        table = self.at["table"][-1]
        if all(table > self.at[cell][-1] for cell in ("td", "th", "caption") if self.at.get(cell)):
            self.pop_to(table)

    def close_p(self) -> None:
        """"Close a p element": the innermost open <p>, when no scope boundary or <button> lies
        above it, and every element above it."""
        where = self.at.get("p")
        if not where:
            return
        index = where[-1]
        buttons = self.at.get("button")
        if self.boundaries and self.boundaries[-1] > index or buttons and buttons[-1] > index:
            return
        self.pop_to(index)

    def close_list_item(self, closes: frozenset[str]) -> None:
        """A list item's start tag: pop to the nearest open item in `closes`, searching down
        past elements that do not stop it (at most INLINE_SCAN)."""
        self.pop_to_nearest(closes, LIST_ITEM_STOPS.__contains__)

    def close_implied(self, closes: frozenset[str]) -> None:
        """Pop the elements an opening tag ends: the nearest open element in `closes` when only
        inline elements lie above it (at most INLINE_SCAN), and those; then any more of
        `closes` directly below."""
        if self.pop_to_nearest(closes, lambda name: name not in INLINE):
            names = self.names
            while names and names[-1] in closes:
                self.pop_to(len(names) - 1)

    def pop_to_nearest(self, closes: frozenset[str], stops: Callable[[str], bool]) -> bool:
        """Pop to the nearest open element in `closes`, searching down at most INLINE_SCAN
        elements and giving up at one that `stops` the search; whether it popped."""
        if not any(self.at.get(name) for name in closes):
            return False
        names = self.names
        for k in range(len(names) - 1, max(len(names) - 1 - INLINE_SCAN, -1), -1):
            if names[k] in closes:
                self.pop_to(k)
                return True
            if stops(names[k]):
                return False
        return False


def html_limit_problem(html: str) -> str | None:
    """Which parser limit the page breaks (the reject reason), or None."""
    return limit_scan(html, MAX_HTML_DEPTH)[0]


def limit_scan(html: str, depth_limit: int) -> tuple[str | None, int]:
    """Which parser limit the page breaks (the reject reason, the depth past `depth_limit`), or
    None, and the deepest the scan found the page. Linear in the page: the stack of open
    elements, opened and closed the way the HTML parsers do, roughly."""
    stack = OpenElements()
    deepest = 0
    options = 0
    skip_to = 0  # the end of a comment, script or style, whose "tags" are text
    text_from = 0  # where the text since the last tag starts
    frameset_ok, frameset_page = True, False
    for match in MARKUP.finditer(html):
        start, end = match.span()
        if start < skip_to:
            continue
        if start - text_from > MAX_TEXT_NODE_BYTES // 4 and too_long(html, text_from, start):
            return f"HTML text run longer than the parser's {MAX_TEXT_NODE_BYTES:,}-byte limit", deepest
        if frameset_ok and not html[text_from:start].isspace() and start > text_from:
            frameset_ok = False
        text_from = end
        if match.group(0) == "<!--":
            found = comment_end(html, end)
            if found < 0:
                return None, deepest  # the rest of the page is a comment
            skip_to = text_from = found
            continue
        closing, name = match.group(1, 2)
        if name is None:  # a bogus comment: "<!DOCTYPE html>", "<?xml ...?>"
            continue
        name = name.lower()
        if closing:
            stack.close(name)
            continue
        if name in NOT_FRAMESET:
            frameset_ok = False
        if end - start > 2 * MAX_ATTRIBUTES and count_attributes(match.group(0)) > MAX_ATTRIBUTES:
            return ATTRIBUTES_PROBLEM, deepest
        if end - start > MAX_TEXT_NODE_BYTES // 4 and too_long(html, start, end):
            return f"HTML tag longer than the parser's {MAX_TEXT_NODE_BYTES:,}-byte limit for an attribute value", deepest
        if name == "option":
            options += 1
            if options > MAX_OPTIONS:
                return f"HTML with more than {MAX_OPTIONS:,} <option> elements", deepest
        foreign = stack.foreign_root()
        if foreign >= 0 and name in BREAKOUT:
            stack.pop_to(foreign)
            foreign = -1
        # "/>" closes only void and foreign (SVG, MathML) elements: "<div/>" opens a div.
        if name in VOID or html[end - 2] == "/" and (name in FOREIGN or any(stack.has(f) for f in FOREIGN)):
            continue
        if name in IGNORED or name in TABLE_PARTS and not stack.has("table"):
            continue
        if name == "form" and stack.has("form") and not stack.has("template"):
            continue  # no form opens inside a form
        if stack.names and stack.names[-1] == "colgroup" and name != "template":
            stack.pop_to(len(stack) - 1)  # only <col> goes in a column group
        if name == "frameset" and not stack.has("frameset"):
            if not frameset_ok:
                continue
            stack.pop_to(0)  # the body and all it holds are dropped
            frameset_page = True
        elif frameset_page and name not in ("frameset", "noframes"):
            continue
        if name == "plaintext" and foreign < 0:  # the rest of the page is its text (found by bench/fuzz.py)
            deepest = max(deepest, len(stack) + 1)
            if deepest > depth_limit:
                return DEPTH_PROBLEM, deepest
            text_from = end
            break
        raw_text_end = RAW_TEXT.get(name) if foreign < 0 else None
        if raw_text_end is not None:  # script, style...: text up to the closing tag, not markup
            found = raw_text_end.search(html, end)
            if found is None:
                return None, deepest
            skip_to = text_from = found.start()
            continue
        if name in TABLE_PARTS:
            stack.open_table_part(name)
        elif name in CLOSES_ITS_NAME and stack.close_same(name):
            if name == "select":
                continue  # it ended the open select and opens nothing
            stack.push(name)
        else:
            if name == "table" and stack.has("table"):
                stack.close_table()
            if name in LIST_ITEMS:
                stack.close_list_item(LIST_ITEMS[name])
            if name in CLOSES_P:
                stack.close_p()
            closes = IMPLIED_END.get(name)
            if name == "optgroup" and stack.has("select"):
                closes = frozenset({"option", "optgroup"})
            elif name in RUBY and not stack.has("ruby"):
                closes = None  # <rt> ends an <rt> only inside a <ruby>
            if closes:
                stack.close_implied(closes)
            stack.push(name)
        deepest = max(deepest, len(stack))
        if len(stack) > depth_limit:
            return DEPTH_PROBLEM, deepest
    if len(html) - text_from > MAX_TEXT_NODE_BYTES // 4 and too_long(html, text_from, len(html)):
        return f"HTML text run longer than the parser's {MAX_TEXT_NODE_BYTES:,}-byte limit", deepest
    return None, deepest


def too_long(html: str, start: int, end: int) -> bool:
    """html[start:end] takes more than libxml2's limit in UTF-8 (a character takes 1 to 4 bytes)."""
    return end - start > MAX_TEXT_NODE_BYTES or len(html[start:end].encode("utf-8", "surrogatepass")) > MAX_TEXT_NODE_BYTES
