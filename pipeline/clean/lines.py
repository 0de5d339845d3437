"""Line features of a whole-page text (how a scraper saves a page: menus, headlines, the
article, comments and footers, a block a line): what each line looks like (length, stopword
share, sentence punctuation, menu- and link-like shape, the words furniture uses) and where it
stands (position, blank neighbours, the page title and its headline, the prose around it).
`linemodel.py` turns them into the probability that a line is article text.

A page is read in a few passes over all its text at once (numpy over its characters and
words, one regular-expression scan per pattern), not line by line: a few milliseconds for a
page of several hundred lines."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import re2

TOKEN = re.compile(r"\w+")
WORD_CHAR = re.compile(r"\w")
# Line ends and starts, read off each line.
SENTENCE_MARKS = tuple(".!?。！？")
CLOSERS = "\"'”’»)]"
BULLETS = tuple("-*•·–—›»>")
QUOTE_CHARS = "\"“”«»„"
SEPARATOR_CHARS = "|»·•›/"
SENTENCE_PUNCTUATION = ".!?"
# Patterns scanned over the whole page with RE2 (linear time, a pass in C++ per pattern;
# Python's re took 3-7 times longer on these). RE2's \b and \d are ASCII, which is what
# times, years and dates are written in.
TIME = r"\b\d{1,2}:\d\d\b"
DATE = r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b(?:1[89]|20)\d\d\b"
LINK = r"(?i)https?://|www\.|[\pL\pN_]@[\pL\pN_]|\.(?:com|org|net)\b"
COUNT = r"\(\d+\)"
COPYRIGHT = r"(?i)©|\(c\)|copyright|all rights reserved"
DASH_SEPARATOR = r"[ \t][-–—][ \t]"

# A comment section's heading ("53 Comments", "Leave a Reply", "2 thoughts on ...", "Kommentare"),
# or a count of comments, which a blog also prints in the post's meta line above the article:
# the line model's second stage tells the two apart by the article text above the heading.
COMMENTS_HEADING = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reactions|thoughts|(?:leser)?kommentare?|commentaires?"
    r"|comentarios?|commenti|reacties)\b"
    r"|^\W*(?:leave|post|add|write|submit|join)\s+(?:a|your|the)\s+(?:comment|reply|response|discussion|conversation)"
    r"|^\W*(?:readers?'?|user)\s+comments|^\W*(?:show|view|read|load|see)\s+(?:all\s+)?(?:\d+\s+)?comments"
    r"|^\W*(?:kommentar\s+schreiben|ajouter\s+un\s+commentaire|réagir)", re.I)
COMMENTS_COUNTED = re.compile(
    r"\d+\s+(?:comments?|responses?|replies|(?:leser)?kommentare?|commentaires?|comentarios?|commenti)\b"
    r"|(?:comments?|kommentare?|commentaires?)\s*[(\[]\d+[)\]]", re.I)
COMMENTS_HEADING_TOKENS = 10

# Prose: a line long enough to be a sentence and made of the small words sentences are made of
# (jusText's "good" paragraph is 10+ words at a stopword density of 0.3; 0.2 keeps its
# short-paragraph allowance).
PROSE_MIN_TOKENS = 10
PROSE_MIN_STOP = 0.2
SHORT_LINE_TOKENS = 4  # menus and link lists: runs of lines this short
# A later line sharing at least this share of its words with the first line (the page's
# <title>) is the page's headline: the article usually starts there.
HEADLINE_SIMILARITY = 0.5
NEIGHBOUR_OFFSETS = (-3, -2, -1, 1, 2, 3)
WINDOWS = (2, 5, 10, 25)
# A word's vocabulary score (log-odds of article text against furniture, learned by the
# trainer) summed over these half-widths of lines, per word.
VOCABULARY_WINDOWS = (2, 5)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The union of jusText's stoplists (100 languages), lower-cased: the language-independent
    set trafilatura uses. jusText ships with trafilatura."""
    import justext

    return frozenset(w.lower() for name in justext.get_stoplists() for w in justext.get_stoplist(name))


LINE_FEATURES = (
    "tokens", "chars", "stop_share", "stop_count", "cap_share", "upper_share", "digit_share",
    "alpha_share", "punct_share", "sentence_end", "colon_end", "ellipsis_end", "inner_sentences",
    "separators", "bullet", "word_length", "copyright", "commas", "link", "time", "date", "count",
    "quotes", "lower_start", "number_share",
)
# Columns of LINE_FEATURES that neighbours contribute.
NEIGHBOUR_COLUMNS = ("tokens", "stop_share", "sentence_end", "cap_share")
PAGE_FEATURES = (
    "position", "token_position", "blank_before", "blank_after", "repeats", "block_lines",
    "block_tokens", "block_position", "short_run", "title_similarity", "title_containment",
    "is_headline", "after_headline", "from_headline", "has_headline", "headline_position",
    "page_tokens", "page_lines", "page_prose", "topic_prose",
    *(f"{c}@{o:+d}" for o in NEIGHBOUR_OFFSETS for c in NEIGHBOUR_COLUMNS),
    *(f"{what}~{w}" for w in WINDOWS for what in ("prose", "mass")),
    "prose_before", "prose_after", "prose_distance", "dated~3", "dated~10", "labels~3",
    "comments_heading",
)
VOCABULARY_FEATURES = (
    "vocabulary_mean", "vocabulary_min", "vocabulary_max", "vocabulary_known",
    *(f"vocabulary~{w}" for w in VOCABULARY_WINDOWS),
)
FEATURES = (*LINE_FEATURES, *PAGE_FEATURES, *VOCABULARY_FEATURES)


@dataclass
class Words:
    """A page's words in reading order: lower-cased text, the line each is on, and as pairs of
    (line, word id) each distinct word of a line once; `topic` marks the pairs whose word
    carries a topic (3+ letters, not a stopword, not a number)."""

    text: list[str]
    line: np.ndarray
    pair_line: np.ndarray
    pair_word: np.ndarray
    topic: np.ndarray
    vocabulary_size: int


@dataclass
class Page:
    """A page's non-blank lines: their indices among all its lines, their words, and one row
    of FEATURES each."""

    index: list[int]
    words: Words
    X: np.ndarray


def shifted(column: np.ndarray, offset: int, fill: float = -1.0) -> np.ndarray:
    """column[i + offset] at i, `fill` past either end."""
    out = np.full(len(column), fill)
    if offset < 0:
        out[-offset:] = column[:offset]
    elif offset > 0:
        out[:-offset] = column[offset:]
    else:
        out[:] = column
    return out


def window_sum(values: np.ndarray, width: int) -> np.ndarray:
    """Sum of values[i - width .. i + width] at i."""
    total = np.concatenate(([0.0], np.cumsum(values)))
    i = np.arange(len(values))
    return total[np.minimum(i + width + 1, len(values))] - total[np.maximum(i - width, 0)]


def run_lengths(flags: np.ndarray) -> np.ndarray:
    """At each flagged position, the length of the run of flags holding it; 0 elsewhere."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    out = np.zeros(len(flags))
    for start, end in zip(edges[::2], edges[1::2]):
        out[start:end] = end - start
    return out


def nearest_distance(n: int, positions: np.ndarray) -> np.ndarray:
    """Distance in lines from each of n lines to the nearest of `positions` (n when none)."""
    if not len(positions):
        return np.full(n, float(n))
    i = np.arange(n)
    after = np.searchsorted(positions, i)
    right = np.where(after < len(positions), positions[np.minimum(after, len(positions) - 1)] - i, n)
    left = np.where(after > 0, i - positions[np.maximum(after - 1, 0)], n)
    return np.minimum(left, right).astype(float)


def per_line(lines: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(lines, weights=weights, minlength=n).astype(float)


def share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros(len(part)), where=whole > 0)


class Characters:
    """Character classes of a text, from its code points: word characters (as `\\w` matches),
    decimal digits, letters, upper- and lower-case letters."""

    WORD, DIGIT, ALPHA, UPPER, LOWER, QUOTE, SEPARATOR, SENTENCE = 1, 2, 4, 8, 16, 32, 64, 128

    def __init__(self, text: str):
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        unique, inverse = np.unique(codes, return_inverse=True)
        table = np.array([self.classes(chr(c)) for c in unique.tolist()], dtype=np.uint8)
        self.codes = codes
        self.bits = table[inverse] if len(codes) else np.zeros(0, np.uint8)

    @classmethod
    def classes(cls, c: str) -> int:
        return ((cls.WORD if WORD_CHAR.match(c) else 0) | (cls.DIGIT if c.isdecimal() else 0)
                | (cls.ALPHA if c.isalpha() else 0) | (cls.UPPER if c.isupper() else 0)
                | (cls.LOWER if c.islower() else 0) | (cls.QUOTE if c in QUOTE_CHARS else 0)
                | (cls.SEPARATOR if c in SEPARATOR_CHARS else 0) | (cls.SENTENCE if c in SENTENCE_PUNCTUATION else 0))

    def has(self, bit: int) -> np.ndarray:
        return (self.bits & bit) > 0


@lru_cache(maxsize=None)
def pattern(expression: str) -> re2._Regexp:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(expression.encode("utf-8"), options)


def lines_matching(expression: str, encoded: bytes, starts: np.ndarray) -> np.ndarray:
    """The line of each match of `expression` in the UTF-8 `encoded` text, whose lines begin
    at byte offsets `starts`. (On bytes, RE2's positions are byte offsets; on a str the
    wrapper converts each one to a character offset, which cost more than the search.)"""
    positions = np.fromiter((m.start() for m in pattern(expression).finditer(encoded)), dtype=np.int64)
    return np.searchsorted(starts, positions, side="right") - 1


def line_ends(text_lines: list[str]) -> np.ndarray:
    """Per line: ends a sentence (before closing quotes and brackets), ends with a colon, ends
    with an ellipsis, ends with a digit, starts with a bullet or dash."""
    return np.array([(line.rstrip(CLOSERS).endswith(SENTENCE_MARKS), line.endswith(":"),
                      line.endswith(("...", "…")), line[-1].isdecimal(), line.startswith(BULLETS))
                     for line in text_lines], dtype=float)


def line_shape(text_lines: list[str], stop: frozenset[str]) -> tuple[np.ndarray, Words]:
    """LINE_FEATURES of each (non-blank, normalised) line, and the page's words."""
    n = len(text_lines)
    text = "\n".join(text_lines)
    lengths = np.array([len(line) for line in text_lines], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    chars = Characters(text)
    line_of_char = np.repeat(np.arange(n), lengths + 1)[:len(text)]
    word = chars.has(Characters.WORD)
    previous_word = np.concatenate(([False], word[:-1]))
    first = word & ~previous_word  # the first character of each word
    token_of_char = np.cumsum(first) - 1
    word_line = line_of_char[first]
    tokens = per_line(word_line, n)
    # Per word: its length, letters, upper-case letters and digits.
    word_chars = np.flatnonzero(word)
    token = token_of_char[word_chars]
    words_total = len(word_line)
    size = np.bincount(token, minlength=words_total)
    letters = np.bincount(token, weights=chars.has(Characters.ALPHA)[word_chars], minlength=words_total)
    uppers = np.bincount(token, weights=chars.has(Characters.UPPER)[word_chars], minlength=words_total)
    digits_in = np.bincount(token, weights=chars.has(Characters.DIGIT)[word_chars], minlength=words_total)
    alphabetic = chars.has(Characters.ALPHA)[first]
    capitalised = alphabetic & chars.has(Characters.UPPER)[first]
    all_caps = alphabetic & (uppers == letters) & (size > 1)
    number = digits_in == size
    lowered = list(map(str.lower, TOKEN.findall(text)))
    stops = np.fromiter(map(stop.__contains__, lowered), dtype=bool, count=len(lowered))
    digits = per_line(line_of_char, n, chars.has(Characters.DIGIT))
    word_total = per_line(line_of_char, n, word)
    spaces = per_line(line_of_char, n, chars.codes == 32)
    commas = per_line(line_of_char, n, chars.codes == 44)
    alphabetic_count = per_line(word_line, n, alphabetic)
    stop_count = per_line(word_line, n, stops)
    # A sentence boundary inside a line: a word, sentence punctuation, a space, a capital.
    following = np.zeros_like(chars.bits)  # the character after the space (none past the end)
    following[:-2] = chars.bits[2:]
    inner = (chars.has(Characters.SENTENCE) & previous_word & np.concatenate((chars.codes[1:] == 32, [False]))
             & ((following & Characters.UPPER) > 0))
    separators = per_line(line_of_char, n, chars.has(Characters.SEPARATOR))
    encoded = text.encode("utf-8", "surrogatepass")
    byte_starts = np.concatenate(([0], np.cumsum([len(line.encode("utf-8", "surrogatepass")) + 1
                                                   for line in text_lines])[:-1]))
    separators += per_line(lines_matching(DASH_SEPARATOR, encoded, byte_starts), n)

    def flag(expression: str) -> np.ndarray:
        return (per_line(lines_matching(expression, encoded, byte_starts), n) > 0).astype(float)

    ends = line_ends(text_lines)
    first_char = chars.bits[starts]
    columns = [
        np.log1p(tokens), np.log1p(lengths), share(stop_count, tokens), np.log1p(stop_count),
        share(per_line(word_line, n, capitalised), alphabetic_count),
        share(per_line(word_line, n, all_caps), alphabetic_count),
        digits / lengths, (word_total - digits) / lengths, (lengths - word_total - spaces) / lengths,
        ends[:, 0], ends[:, 1], ends[:, 2], np.log1p(per_line(line_of_char, n, inner)),
        np.log1p(separators), ends[:, 4], share(word_total, tokens), flag(COPYRIGHT),
        share(commas, tokens), flag(LINK), flag(TIME), flag(DATE), np.maximum(flag(COUNT), ends[:, 3]),
        (per_line(line_of_char, n, chars.has(Characters.QUOTE)) > 0).astype(float),
        ((first_char & Characters.LOWER) > 0).astype(float), share(per_line(word_line, n, number), tokens),
    ]
    return np.column_stack(columns), page_words(lowered, word_line, stops | number | (size < 3))


def page_words(lowered: list[str], line: np.ndarray, not_topic: np.ndarray) -> Words:
    ids = {w: i for i, w in enumerate(dict.fromkeys(lowered))}
    word_id = np.fromiter(map(ids.__getitem__, lowered), dtype=np.int64, count=len(lowered))
    size = max(len(ids), 1)
    pairs, first = np.unique(line * size + word_id, return_index=True)
    return Words(lowered, line, pairs // size, pairs % size, ~not_topic[first], len(ids))


def topic_share(words: Words, weight: np.ndarray) -> np.ndarray:
    """For each line, the share of its topic words that other lines hold, each other line
    counting with its weight (at most 1 a word): how much the line speaks of what the
    weighted lines speak of. A sidebar's list speaks of other things than the article."""
    line, word = words.pair_line[words.topic], words.pair_word[words.topic]
    held = np.bincount(word, weights=weight[line], minlength=words.vocabulary_size)
    own = np.minimum(1.0, held[word] - weight[line])
    return share(per_line(line, len(weight), own), per_line(line, len(weight)))


def title_features(words: Words, n: int) -> np.ndarray:
    """Similarity to the first line (a scraped page starts with its <title>) and where the
    page's headline is: the first later line similar to the title."""
    in_title = np.zeros(words.vocabulary_size, dtype=bool)
    in_title[words.pair_word[words.pair_line == 0]] = True
    distinct = per_line(words.pair_line, n)
    shared = per_line(words.pair_line, n, in_title[words.pair_word])
    title_size = distinct[0]
    similarity = share(shared, distinct + title_size - shared)
    containment = share(shared, distinct)
    later = np.flatnonzero(similarity[1:] >= HEADLINE_SIMILARITY)
    headline = int(later[0]) + 1 if len(later) else -1
    index = np.arange(n)
    is_headline = (index == headline).astype(float)
    after = (index >= headline).astype(float) if headline >= 0 else np.zeros(n)
    since = (index - headline) / n if headline >= 0 else np.zeros(n)
    return np.column_stack([similarity, containment, is_headline, after, since,
                            np.full(n, float(headline >= 0)), np.full(n, headline / n if headline >= 0 else -1.0)])


def is_comments_heading(line: str, tokens: float) -> bool:
    return tokens <= COMMENTS_HEADING_TOKENS and COMMENTS_HEADING.search(line) is not None


def comments_heading(text: list[str], tokens: np.ndarray) -> np.ndarray:
    """2 for a line that heads a comment section with a count ("53 Comments"), 1 for one
    without ("Leave a Reply"), 0 for the others."""
    return np.array([(1.0 + (COMMENTS_COUNTED.search(line) is not None)) if is_comments_heading(line, k) else 0.0
                     for line, k in zip(text, tokens)])


def vocabulary_features(words: Words, n: int, vocabulary: dict[str, float]) -> np.ndarray:
    """VOCABULARY_FEATURES: the learned scores of each line's words (unknown words score 0)."""
    score = np.array(list(map(vocabulary.get, words.text)), dtype=float) if words.text else np.zeros(0)
    known = ~np.isnan(score)
    line, value = words.line[known], score[known]
    sums, counts = per_line(line, n, value), per_line(line, n)
    low, high = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(low, line, value)
    np.maximum.at(high, line, value)
    has = counts > 0
    tokens = per_line(words.line, n)
    columns = [share(sums, counts), np.where(has, low, 0.0), np.where(has, high, 0.0), share(counts, tokens)]
    columns += [window_sum(sums, w) / (window_sum(tokens, w) + 1) for w in VOCABULARY_WINDOWS]
    return np.column_stack(columns)


def read_page(lines: list[str], vocabulary: dict[str, float] | None = None) -> Page:
    """The non-blank lines of a page and their FEATURES. `lines` are the page's normalised
    lines, blank lines included (they separate blocks); `vocabulary` the model's word scores."""
    index = [i for i, line in enumerate(lines) if line]
    n = len(index)
    if not n:
        return Page(index, page_words([], np.zeros(0, np.int64), np.zeros(0, bool)), np.zeros((0, len(FEATURES))))
    text = [lines[i] for i in index]
    base, words = line_shape(text, stopwords())
    col = {name: base[:, k] for k, name in enumerate(LINE_FEATURES)}
    tokens = np.expm1(col["tokens"])
    total = float(tokens.sum()) or 1.0
    blank = np.array([not line for line in lines] + [True])
    at = np.array(index)
    blank_before = np.where(at == 0, True, blank[at - 1]).astype(float)
    blank_after = blank[at + 1].astype(float)
    counts = Counter(map(str.casefold, text))
    repeats = np.log(np.array([counts[line.casefold()] for line in text], dtype=float))
    # Blocks: runs of lines between blank lines (html-text puts a blank line between blocks).
    block = (np.cumsum(blank_before) - 1).astype(int)
    block_lines = np.bincount(block)[block].astype(float)
    block_tokens = np.bincount(block, weights=tokens)[block]
    block_position = (np.arange(n) - np.searchsorted(block, block)) / block_lines
    prose = ((tokens >= PROSE_MIN_TOKENS) & (col["stop_share"] >= PROSE_MIN_STOP)).astype(float)
    mass = prose * tokens
    columns = [
        np.arange(n) / max(n - 1, 1), (np.cumsum(tokens) - tokens) / total,
        blank_before, blank_after, repeats, np.log(block_lines), np.log1p(block_tokens), block_position,
        np.log1p(run_lengths(tokens <= SHORT_LINE_TOKENS)),
    ]
    features = [base, np.column_stack(columns), title_features(words, n),
                np.column_stack([np.full(n, math.log1p(total)), np.full(n, math.log1p(n)),
                                 np.full(n, float(mass.sum() / total)), topic_share(words, prose)])]
    for offset in NEIGHBOUR_OFFSETS:
        features.append(np.column_stack([shifted(col[c], offset) for c in NEIGHBOUR_COLUMNS]))
    for width in WINDOWS:
        window_tokens = window_sum(tokens, width)
        features.append(np.column_stack([window_sum(mass, width) / (window_tokens + 1), np.log1p(window_tokens)]))
    before = np.cumsum(mass) - mass
    features.append(np.column_stack([before / (mass.sum() + 1), (mass.sum() - before - mass) / (mass.sum() + 1),
                                     np.log1p(nearest_distance(n, np.flatnonzero(prose)))]))
    # Comment threads: a date or time and a "Name wrote:" line above every comment.
    dated = np.maximum(col["time"], col["date"])
    features.append(np.column_stack([window_sum(dated, 3), window_sum(dated, 10), window_sum(col["colon_end"], 3)]))
    features.append(comments_heading(text, tokens)[:, None])
    features.append(vocabulary_features(words, n, vocabulary or {}))
    return Page(index, words, np.hstack(features))
