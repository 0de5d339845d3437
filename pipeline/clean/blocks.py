"""Text blocks of a parsed page: the units extraction keeps or drops. The HTML stage splits the
lexbor tree, after pruning, into blocks: a run of text under one block-level element (a
paragraph, a heading, a list item, a cell, the text between two <br>), with what the voters and
the combiner read about it (tag, links, its container's class and id, depth). The page's
visible words are the words of its blocks: text of <body> outside script, style, template,
noscript, form fields (select, textarea), embedded objects (iframe, object, svg, math), inline
elements joined as a browser joins them, in canonical form (NFC, no invisible characters, as
clean/normalize.py makes every line), split into word tokens (`\\w+`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from selectolax.lexbor import LexborHTMLParser, LexborNode as Node

from storysift.clean.normalize import INVISIBLE

# Elements that start a new line in a browser: their text is never joined to a neighbour's.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure "
    "footer form frame frameset h1 h2 h3 h4 h5 h6 header hgroup hr html iframe legend li main menu nav ol p pre "
    "section summary table tbody td tfoot th thead tr ul caption br".split())
# Elements whose text is not shown as page text (or not text at all).
HIDDEN_TAGS = frozenset("script style template noscript select textarea head title svg math object "
                        "iframe".split())
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CELLS = frozenset({"td", "th"})
# A table row whose cells hold only inline content is one block, its cells joined by CELL_JOIN
# ("Greyfell | 48.2 | 61%"): a row of data reads as one line, as trafilatura writes it.
CELL_JOIN = " | "
# A cell holding a block or a line break is a layout cell (a column of an old table-layout
# page): its row is not a row of data.
NESTED_BLOCK = ", ".join(sorted(BLOCK_TAGS - CELLS - {"body", "html", "frame", "frameset", "tr", "tbody", "thead", "tfoot"}))
SPACE = re.compile(r"\s+")
WORD = re.compile(r"\w+")


@dataclass
class Block:
    """A run of text under one block element, in page order."""

    index: int
    text: str  # whitespace collapsed
    tag: str  # the block element holding it
    link_chars: int  # characters of the text inside <a>
    depth: int  # the block element's depth under <html>
    container: str  # class and id tokens of the block element and its ancestors, innermost first, lower-cased
    parent: int  # mem_id of the block element, shared by the runs of text directly in it
    in_heading: bool = False
    in_list: bool = False

    @cached_property
    def words(self) -> list[str]:
        """The block's word tokens, lower-cased; read by every step of the consensus, found once."""
        return WORD.findall(self.text.lower())


def text_blocks(tree: LexborHTMLParser) -> list[Block]:
    """The page's blocks, in document order; empty runs (whitespace only) are skipped."""
    root = tree.body if tree.body is not None else tree.root
    return element_blocks(root) if root is not None else []


def element_blocks(node: Node) -> list[Block]:
    """The blocks of one element and what it holds."""
    builder = _Builder()
    owner = None
    if node.tag not in BLOCK_TAGS:  # an inline element alone: its text is one block
        owner = builder.owner = (node.tag or "", 0, "", node.mem_id, False, False)
    builder.walk(node, node.tag, 0, "", False, False, owner)
    if builder.parts:
        builder.flush()
    return builder.blocks


def element_text(node: Node) -> str:
    """An element's visible text as blocks make it, one block a line: what a rule removed."""
    return "\n".join(block.text for block in element_blocks(node))


def visible_words(tree: LexborHTMLParser) -> list[str]:
    """The page's visible words (see the module's docstring), lower-cased, in order."""
    return [word for block in text_blocks(tree) for word in block.words]


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.owner: tuple[str, int, str, int, bool, bool] | None = None

    def flush(self) -> None:
        """End the run of text in `parts` (the caller checks that there is one)."""
        if self.owner is not None:
            # " ".join(split()): the whitespace collapsed and stripped, as one call.
            text = " ".join(INVISIBLE.sub("", unicodedata.normalize("NFC", "".join(self.parts))).split())
            if text:
                tag, depth, container, parent, in_heading, in_list = self.owner
                self.blocks.append(Block(len(self.blocks), text, tag, min(self.link_chars, len(text)), depth,
                                         container, parent, in_heading, in_list))
        self.parts = []
        self.link_chars = 0

    def walk(self, node: Node, tag: str | None, depth: int, container: str, in_heading: bool, in_list: bool,
             owner: tuple[str, int, str, int, bool, bool] | None = None, in_link: bool = False,
             in_row: bool = False) -> None:
        is_block = tag in BLOCK_TAGS
        if in_row and tag in CELLS:
            is_block = False
            if self.parts and self.owner is owner:
                self.parts.append(CELL_JOIN)
        row = tag == "tr" and node.css_first(NESTED_BLOCK) is None
        if is_block:
            if self.parts:
                self.flush()
            attributes = node.attributes
            tokens = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".strip().lower()
            container = f"{tokens} {container}".strip() if tokens else container
            in_heading = in_heading or tag in HEADINGS
            in_list = in_list or tag in ("li", "dd", "dt")
            owner = (tag, depth, container, node.mem_id, in_heading, in_list)
            self.owner = owner
        in_link = in_link or tag == "a"
        for child in node.iter(include_text=True):
            child_tag = child.tag
            if child_tag == "-text":
                text = child.text_content
                if text:
                    if self.owner is not owner:
                        if self.parts:
                            self.flush()
                        self.owner = owner
                    self.parts.append(text)
                    if in_link:
                        self.link_chars += len(text.strip())
            elif child_tag in HIDDEN_TAGS or child_tag == "-comment" or child_tag is None:
                continue
            else:
                self.walk(child, child_tag, depth + 1, container, in_heading, in_list, owner, in_link, row)
        if is_block:
            if self.parts:
                self.flush()
            self.owner = None
