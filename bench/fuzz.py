"""Fuzz campaign (issues 6 and 14), run by hand, not in CI: generated hostile HTML, text and raw
bytes through the per-document path (reading, HTML limits, extraction, text rules, JSON output),
or with --target rules generated rule files (YAML aliases, wrong types) through loading and
`rules test`.

    python bench/fuzz.py [--target documents|rules] [--examples 20000] [--minutes 10] [--slow 2.0] [--seed 0]

A document passes when it becomes a clean document or a reject with a reason (InputError);
any other exception, a record the JSON writer cannot encode, an HTML page the limit checks
(pipeline/clean/limits.py) let through although lexbor builds it deeper than libxml2 takes, or
one they reject as nested too deep although lexbor builds it within the limit, is a failure,
which hypothesis shrinks and prints. Documents slower than --slow seconds are listed with their
shape, slowest first: quadratic paths show up there. A rule file passes when it loads and its
examples run, or it is refused with a RuleError of at most MAX_MESSAGE characters, within --slow
seconds. Examples run in batches of fresh seeds until either --examples or --minutes is reached.
CI keeps small example counts (tests/test_properties.py).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, seed, settings, strategies as st
from selectolax.lexbor import LexborHTMLParser

from storysift.clean.limits import DEPTH_PROBLEM, MAX_HTML_DEPTH, TEMPLATE, parse_within_limits
from storysift.clean.page import clean_document
from storysift.clean.textrules import MAX_PATTERN_LINE
from storysift.document import InputError
from storysift.read.documents import make_document
from storysift.ruleset.load import RuleError, load_rule_file, load_rules
from storysift.ruleset.selftest import check_rule
from storysift.write.outputs import dumps

# The bundled rules and one user rule whose pattern outgrows RE2's automaton memory (about 10 µs
# a character): a long line must still not hold it past --slow (clean/textrules.py caps lines).
HEAVY_RULE = """rules:
  - id: fuzz.heavy
    kind: line
    description: A legal pattern that is slow on long lines of a, b and spaces.
    pattern: 'a[ab ]{30}b[ab ]{30}c'
    examples: {match: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac], keep: [abc]}
"""


def _rules_with_heavy_pattern() -> Any:
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="storysift-fuzz-rules-"))
    (folder / "heavy.yaml").write_text(HEAVY_RULE, encoding="utf-8")
    return load_rules([folder])


RULES = _rules_with_heavy_pattern()
# libxml2 gives up past 256 open elements: a page the limit scan lets through must stay below.
PARSER_DEPTH = 255
# A page rejected as too deep is built by lexbor to check it, when it has at most this many
# tags: lexbor is quadratic in depth (20,000 nested elements took 1-4 s).
ORACLE_TAGS = 20_000
FRAMESET = re.compile("<frameset", re.I)
BATCH = 500
TAGS = ("div span p a b i em strong font table tbody tr td th select option optgroup ul ol li dl dt dd "
        "h1 h2 h3 article section nav aside header footer main form button svg math template script "
        "style textarea title iframe noscript xmp plaintext frameset body html head br img hr input "
        "meta base figure figcaption blockquote pre code ruby rt rp nobr marquee object embed "
        "caption colgroup col thead tfoot").split()
WORDS = ("council harbour ferry budget said minister the of and report week résumé naïve 東京 "
         "Привет مرحبا שלום 😀 \u200b \u00ad \ufeff \u202e \x00 \x07 &amp; &#0; &#x110000; &#99999999; "
         "&nbsp; &lt; < > ]]> --> <!-- \\ud83d").split() + ["\ud800"]


@dataclass
class Campaign:
    examples: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    slow: list[tuple[float, int, str]] = field(default_factory=list)
    slow_limit: float = 2.0


CAMPAIGN = Campaign()


# --- generators: pieces of markup, then pieces repeated (nesting, floods) ------------------

text_piece = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=40),  # any code points, including controls and lone surrogates
    st.builds(lambda w, n: " ".join([w] * n), st.sampled_from(WORDS), st.integers(1, 300)),
)
# Lines about as long as the longest a pattern is run on (MAX_PATTERN_LINE), of the characters
# the heavy rule is slow on.
long_line = st.builds(lambda n, chars: (chars * (n // len(chars) + 1))[:n],
                      st.sampled_from([MAX_PATTERN_LINE - 1, MAX_PATTERN_LINE, MAX_PATTERN_LINE + 1, 200_000]),
                      st.sampled_from(["ab ", "a b b", "aab  ba b", "word "]))


@st.composite
def attributes(draw) -> str:
    count = draw(st.sampled_from([0, 0, 1, 2, 5, 50, 1500]))
    names = draw(st.sampled_from(["class", "id", "data-x", "style", "href", "charset", "a", "on"]))
    value = draw(st.sampled_from(['"x"', "'y'", "z", '"a b c"', '"' + "v" * 5000 + '"', '"<p>"', "", '"unclosed']))
    return "".join(f" {names}{i if count > 1 else ''}={value}" for i in range(count))


@st.composite
def open_tag(draw) -> str:
    name = draw(st.sampled_from(TAGS))
    name = name.upper() if draw(st.booleans()) and draw(st.booleans()) else name
    end = draw(st.sampled_from([">", ">", ">", "/>", "", " >", "\n>"]))
    return f"<{name}{draw(attributes())}{end}"


close_tag = st.builds(lambda name: f"</{name}>", st.sampled_from(TAGS + ["x", "", " "]))
special = st.sampled_from([
    "<p><b class=c>", "<div><li>", "<option><p>", "<ruby><p>", "<legend><p>", "<div><dd>",
    "<!DOCTYPE html>", "<!doctype x>", "<!-- comment -->", "<!--", "-->", "<![CDATA[x]]>", "<?xml version='1.0'?>",
    "<meta charset='utf-16'>", "<meta charset='bogus'>", "<base href='javascript:x'>", "<", ">", "</", "&", "&#",
    "<script>", "</script>", "<style>", "<title>", "<textarea>", "<plaintext>", "<svg><foreignObject>", "<math><mi>",
    "<table><tr><td>", "<select><option>", "<template>", "<frameset>", "<a href=x>", "<img src=x>",
])
piece = st.one_of(open_tag(), close_tag, special, text_piece, text_piece)


@st.composite
def hostile_html(draw) -> str:
    parts = draw(st.lists(piece, max_size=40))
    # A flood: one short run of pieces repeated, up to ~1 MB (nesting 20,000 deep, 20,000 options).
    if parts and draw(st.booleans()):
        start = draw(st.integers(0, len(parts) - 1))
        run = "".join(parts[start:start + draw(st.integers(1, 4))])
        times = draw(st.sampled_from([10, 300, 3_000, 20_000]))
        if len(run) * times <= 1_000_000:
            # Numbered copies (class=c1, c2...): formatting elements with distinct attributes,
            # which the parser reopens in every later block, all of them (issue 14 audit).
            numbered = draw(st.booleans()) and "=" in run
            parts.insert(start, "".join(run.replace("=", f"=n{n}", 1) for n in range(times)) if numbered
                         else run * times)
    html = "".join(parts)
    return draw(st.sampled_from(["", "<html><body>", "<!DOCTYPE html><html><head><title>t</title></head><body>"])) + html


@st.composite
def hostile_text(draw) -> str:
    lines = draw(st.lists(st.one_of(text_piece, st.builds(lambda p, n: p * n, text_piece, st.integers(1, 2000)),
                                    long_line), max_size=30))
    return draw(st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x0c"])).join(lines)


raw_bytes = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda bom, s, enc: bom + s.encode(enc, "replace"),
              st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]),
              st.text(max_size=200), st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "cp1252", "shift_jis", "latin-1"])),
    st.builds(lambda html: html.encode("utf-8", "surrogatepass"), hostile_html()),
)
document = st.one_of(hostile_html(), hostile_html(), hostile_text(), raw_bytes)


# Rule files: anchors and aliases nested to a random width and depth, put in a random field
# (a parameter, an example, the kind, an id, a field name), beside values of the wrong type.
RULE_FIELDS = ("kind", "id", "description", "pattern", "min_lines", "keep", "match", "extra")


@st.composite
def alias_tower(draw) -> tuple[str, str]:
    """Anchors each repeating the one before `width` times: (the anchors, an alias to the top)."""
    width, levels = draw(st.integers(1, 12)), draw(st.integers(0, 10))
    leaf = draw(st.sampled_from(['"lol"', "aaaa", "{text: aaaa}", "3", "[x]", '"' + "v" * 200 + '"']))
    anchors = [f"&a0 [{', '.join([leaf] * width)}]"]
    anchors += [f"&a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, levels + 1)]
    return ", ".join(anchors), f"*a{levels}"


@st.composite
def hostile_rule_file(draw) -> str:
    anchors, alias = draw(alias_tower())
    values = {"kind": "run", "id": "fuzz.rule", "description": "Generated.", "pattern": "'a+'", "min_lines": "3",
              "keep": "[aaaa!]", "match": "[aaaa]"}
    target = draw(st.sampled_from(RULE_FIELDS))
    odd = draw(st.sampled_from([alias, "[1, 2]", "{a: b}", "null", "''", "3.5", "true", "'" + "w" * 5000 + "'"]))
    values[target] = odd
    where = draw(st.sampled_from(["keep", "match"]))
    values[where] = f"[{anchors}, {values[where].strip('[]') or 'x'}]"
    extra = f"    {alias if target == 'extra' else 'note'}: 1\n" if draw(st.booleans()) else ""
    return ("rules:\n  - " + "\n    ".join(f"{k}: {values[k]}" for k in ("id", "kind", "description", "pattern",
                                                                          "min_lines"))
            + f"\n    examples:\n      match: {values['match']}\n      keep: {values['keep']}\n" + extra)


# --- the properties ---------------------------------------------------------------------------


def shape(data: bytes | str) -> str:
    head = data[:120]
    return f"{len(data):,} {'bytes' if isinstance(data, bytes) else 'chars'}: {head!r}"


def tree_depth(html: str) -> int:
    """Open elements at the deepest point of lexbor's tree (what libxml2 is given)."""
    deepest, stack = 0, [(LexborHTMLParser(html).root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            if child.tag and not child.tag.startswith("-"):
                stack.append((child, depth + 1))
            child = child.next
    return deepest


def within_limits(html: str) -> bool:
    """Whether the limit checks let the page through; a page they reject as too deep must be
    so in lexbor's tree too (unless a template hides part of it from the tree)."""
    try:
        parse_within_limits(html)
    except InputError as exc:
        # (A <frameset> after a deep body drops it from the tree, once lexbor has built it.)
        if str(exc) == DEPTH_PROBLEM and not TEMPLATE.search(html) and html.count("<") <= ORACLE_TAGS and \
                not FRAMESET.search(html):
            depth = tree_depth(html) - 1  # less the document node
            assert depth > MAX_HTML_DEPTH, f"rejected as too deep, but lexbor builds it {depth} elements deep"
        return False
    return True


def check_document(data: bytes | str) -> None:
    CAMPAIGN.examples += 1
    started = time.perf_counter()
    try:
        raw = make_document(data, "fuzz", "fuzz")
        if raw.kind == "html" and within_limits(raw.content):
            depth = tree_depth(raw.content)
            assert depth <= PARSER_DEPTH, f"the limit checks let through a page {depth} elements deep"
        doc = clean_document(raw, RULES)
    except InputError as exc:
        reason = str(exc).split(":")[0]
        CAMPAIGN.rejected[reason] = CAMPAIGN.rejected.get(reason, 0) + 1
        return
    finally:
        elapsed = time.perf_counter() - started
        if elapsed > CAMPAIGN.slow_limit:
            CAMPAIGN.slow.append((elapsed, len(data), shape(data)))
    dumps(doc.as_record()).encode("utf-8")  # what the JSON Lines writer does with it


# A refused rule file's message names the file and the rule and shows values cut short.
MAX_MESSAGE = 2_000


def check_rule_file(text: str) -> None:
    import tempfile
    from pathlib import Path

    CAMPAIGN.examples += 1
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            for rule in load_rule_file(path):
                for failure in check_rule(rule):
                    assert len(str(failure)) <= MAX_MESSAGE, f"a {len(str(failure)):,}-character failure message"
        except RuleError as exc:
            reason = str(exc).split(": ", 2)[-1][:40].replace("\n", " ")
            CAMPAIGN.rejected[reason] = CAMPAIGN.rejected.get(reason, 0) + 1
            assert len(str(exc)) <= MAX_MESSAGE, f"a {len(str(exc)):,}-character message"
        finally:
            elapsed = time.perf_counter() - started
            if elapsed > CAMPAIGN.slow_limit:
                CAMPAIGN.slow.append((elapsed, len(text), shape(text)))
    assert elapsed <= CAMPAIGN.slow_limit * 5, f"{elapsed:.1f} s for one rule file"


TARGETS = {"documents": (document, check_document), "rules": (hostile_rule_file(), check_rule_file)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--slow", type=float, default=2.0, help="seconds per document worth reporting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", choices=sorted(TARGETS), default="documents")
    args = parser.parse_args()
    strategy, check = TARGETS[args.target]
    CAMPAIGN.slow_limit = args.slow
    deadline = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    failures = 0
    batch = 0
    while CAMPAIGN.examples < args.examples and time.monotonic() < deadline:
        test = settings(max_examples=min(BATCH, args.examples - CAMPAIGN.examples), deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))(
            seed(args.seed * 1_000_003 + batch)(given(strategy)(lambda data: check(data))))
        batch += 1
        try:
            test()
        except Exception:  # hypothesis has shrunk it: print it, go on with the next seed
            failures += 1
            print(f"--- failure {failures} (batch {batch}) ---", file=sys.stderr)
            traceback.print_exc()
    minutes = (time.monotonic() - started) / 60
    print(f"{CAMPAIGN.examples:,} {args.target} in {minutes:.1f} min, {batch} batches: {failures} failing batches")
    print("rejected: " + (", ".join(f"{n} {reason}" for reason, n in sorted(CAMPAIGN.rejected.items())) or "none"))
    print(f"slower than {args.slow} s: {len(CAMPAIGN.slow)}")
    for elapsed, size, description in sorted(CAMPAIGN.slow, reverse=True)[:15]:
        print(f"  {elapsed:6.2f} s  {description}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
