"""Shingling for the corpus stages: clean text to hashed casefolded words, and words to the
set of hashed word n-grams (shingles) that MinHash signatures and Jaccard checks are computed
over. Hashes are stable across processes and machines (fixed constants, no salted hash())."""

from __future__ import annotations

import hashlib

import numpy as np

# A page longer than this many words is shingled on its first MAX_WORDS words only, so one
# dump cannot dominate time or memory; the longest clean devset page has 11,866 words (median 506).
MAX_WORDS = 20_000
# One odd 64-bit multiplier per position in a shingle, so "a b" and "b a" hash apart.
_POSITION_MULTIPLIERS = np.array(
    [int.from_bytes(hashlib.blake2b(b"storysift-shingle-%d" % i, digest_size=8).digest(), "little") | 1
     for i in range(64)], dtype=np.uint64)
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


# Bytes of a word in casefolded UTF-8: ASCII letters, digits and "_", and every byte of a
# non-ASCII character except the punctuation blocks below (quotes, dashes, ellipsis, nbsp,
# guillemets, CJK punctuation), which separate words like ASCII punctuation does.
_WORD_BYTE = np.zeros(256, dtype=bool)
for _range in (range(ord("0"), ord("9") + 1), range(ord("a"), ord("z") + 1), [ord("_")], range(0x80, 0x100)):
    _WORD_BYTE[list(_range)] = True
# Lead byte of a punctuation block, and the second bytes that make it one: U+2000..U+207F
# (quotes, dashes, ellipsis), U+3000..U+303F (CJK punctuation), U+00A0..U+00BF (nbsp, «, »).
_PUNCTUATION_UTF8 = {0xE2: (3, (0x80, 0x81)), 0xE3: (3, (0x80,)), 0xC2: (2, tuple(range(0xA0, 0xC0)))}
_SECOND_BYTE = {lead: np.isin(np.arange(256), seconds) for lead, (_, seconds) in _PUNCTUATION_UTF8.items()}
# A word's hash is the polynomial sum of its bytes, sum((b + 1) * P^k), taken from a prefix sum
# over the page (mod 2^64, where an odd P is invertible), then mixed: a few numpy passes per
# page instead of a Python call per word.
_P = np.uint64(0x100000001B3)  # the FNV-1a 64-bit prime
_POWERS_SIZE = 1 << 16
# The powers of _P and of its inverse, replaced as one tuple: a thread that grows them while
# another reads must not pair a long table with a short one.
_power_pair = (np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64))


def _power_tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    global _power_pair
    pair = _power_pair
    if len(pair[0]) < size:
        size = max(size, _POWERS_SIZE)
        inverse = pow(int(_P), -1, 1 << 64)
        with np.errstate(over="ignore"):
            pair = (np.cumprod(np.concatenate(([np.uint64(1)], np.full(size - 1, _P, dtype=np.uint64)))),
                    np.cumprod(np.concatenate(([np.uint64(1)], np.full(size - 1, np.uint64(inverse), dtype=np.uint64)))))
        _power_pair = pair
    return pair


def hashed_words(text: str, limit: int = MAX_WORDS, fold_digits: bool = False) -> tuple[np.ndarray, list[int]]:
    """A stable 64-bit hash per word of `text` (casefolded, split at spaces and punctuation,
    at most `limit` words; with `fold_digits`, every digit read as 0) and the number of words
    each line holds, vectorised over the UTF-8 bytes: a Python call per word was the slowest
    part of signing a page."""
    data = _casefolded(text)
    starts, ends = _word_spans(data)
    starts, ends = starts[:limit], ends[:limit]
    per_line = _per_line(starts, _line_bounds(data)).tolist()
    return _span_hashes(_FOLD_DIGITS[data] if fold_digits else data, starts, ends), per_line


def _casefolded(text: str) -> np.ndarray:
    return np.frombuffer(text.casefold().encode("utf-8"), dtype=np.uint8)


def _word_spans(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each word of casefolded UTF-8 starts and ends (folding digits moves no edge)."""
    n = len(data)
    inside = _WORD_BYTE[data]
    for lead, (width, _) in _PUNCTUATION_UTF8.items():
        at = np.flatnonzero(data[:max(n - width + 1, 0)] == lead)
        if len(at):
            at = at[_SECOND_BYTE[lead][data[at + 1]]]
            for k in range(width):
                inside[at + k] = False
    edges = np.diff(np.concatenate(([False], inside, [False])).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


# What str.split() splits at, as UTF-8: ASCII whitespace, and each multi-byte whitespace
# character's bytes by its lead byte.
_SPACE_BYTE = np.isin(np.arange(256), [9, 10, 11, 12, 13, 28, 29, 30, 31, 32])
_SPACE_UTF8: dict[int, np.ndarray] = {}
for _char in "\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B))):
    _encoded = _char.encode("utf-8")
    _SPACE_UTF8.setdefault(_encoded[0], np.empty(0, dtype=np.int64))
    _SPACE_UTF8[_encoded[0]] = np.append(_SPACE_UTF8[_encoded[0]], int.from_bytes(_encoded[1:], "big"))


def _token_starts(data: np.ndarray) -> np.ndarray:
    """Where each whitespace-separated token of UTF-8 `data` starts, as `str.split` splits."""
    n = len(data)
    space = _SPACE_BYTE[data]
    for lead, tails in _SPACE_UTF8.items():
        width = 2 if lead < 0xE0 else 3
        at = np.flatnonzero(data[:max(n - width + 1, 0)] == lead)
        if not len(at):
            continue
        tail = data[at + 1].astype(np.int64)
        if width == 3:
            tail = tail * 256 + data[at + 2]
        at = at[np.isin(tail, tails)]
        for k in range(width):
            space[at + k] = True
    return np.flatnonzero(~space & np.concatenate(([True], space[:-1])))


def _line_bounds(data: np.ndarray) -> np.ndarray:
    """Where each line of UTF-8 `data` starts, and its end: 0, each newline, len(data)."""
    return np.concatenate(([0], np.flatnonzero(data == 10), [len(data)]))


def _per_line(starts: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """How many of the sorted `starts` fall in each line of `bounds` (`_line_bounds`)."""
    return np.diff(np.searchsorted(starts, bounds))


def _span_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint64)
    n = len(data)
    powers, inverse = _power_tables(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.concatenate(([np.uint64(0)], np.cumsum((data.astype(np.uint64) + np.uint64(1)) * powers[:n])))
        sums = (prefix[ends] - prefix[starts]) * inverse[starts]
        return _fmix64(sums ^ (ends - starts).astype(np.uint64))


def word_hashes(tokens: list[str]) -> np.ndarray:
    """A stable 64-bit hash per token of a list (salient terms; pages use `hashed_words`)."""
    return np.array([int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
                     for t in tokens], dtype=np.uint64)


def _fmix64(values: np.ndarray) -> np.ndarray:
    shift, m1, m2 = _FMIX64
    values = values ^ (values >> shift)
    values = values * m1
    values = values ^ (values >> shift)
    values = values * m2
    return values ^ (values >> shift)


def shingle_set(hashes: np.ndarray, size: int) -> np.ndarray:
    """The sorted, distinct uint32 hashes of every run of `size` consecutive words. A text
    shorter than `size` words is one shingle of all its words; no words, no shingles."""
    # Sorted, then repeats dropped: numpy 2's np.unique (hash based) took 0.13 ms for a set of
    # ~1,000 shingles against 0.01 ms for this; it was a tenth of the stage on the syndication bench.
    ordered = np.sort(shingle_hashes(hashes, size))
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def shingle_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """The uint32 hash of the shingle starting at each word, in order, repeats included (a
    MinHash signature needs no more; the Jaccard of two texts needs `shingle_set`)."""
    if size < 1 or size > len(_POSITION_MULTIPLIERS):
        raise ValueError(f"shingle size must be in 1..{len(_POSITION_MULTIPLIERS)}, got {size}")
    n = len(hashes)
    if n == 0:
        return np.empty(0, dtype=np.uint32)
    width = min(size, n)
    count = n - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position in range(width):
            combined += hashes[position:position + count] * _POSITION_MULTIPLIERS[position]
        mixed = _fmix64(combined)
    return (mixed >> np.uint64(32)).astype(np.uint32)


def shingles(text: str, size: int, limit: int = MAX_WORDS) -> np.ndarray:
    """The shingle set of a text: see `shingle_set`."""
    return shingle_set(hashed_words(text, limit)[0], size)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted distinct shingle arrays; two empty sets are 0."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


# Digits are one digit for line keys: a site's template keeps its lines from page to page but
# for counts and dates ("23 comments", "© 2012"). Folded on the UTF-8 bytes: str.translate took
# 2.5 ms a page of 14 KB, more than hashing its words.
_FOLD_DIGITS = np.arange(256, dtype=np.uint8)
_FOLD_DIGITS[ord("1"):ord("9") + 1] = ord("0")


def line_hashes(text: str) -> np.ndarray:
    """A stable 64-bit key per line of `text`: its casefolded words in order, digits folded to
    0, punctuation and spacing ignored ("Tweet" and "Tweet!" are one key); 0 for a line with no
    words. Vectorised over the page like `hashed_words`."""
    hashes, per_line = hashed_words(text, limit=len(text) + 1, fold_digits=True)
    return _line_keys(hashes, np.asarray(per_line, dtype=np.int64))


def _line_keys(hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """`line_hashes` from the folded word hashes and the words of each line."""
    keys = np.zeros(len(counts), dtype=np.uint64)
    filled = counts > 0
    if not filled.any():
        return keys
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.arange(len(hashes)) - np.repeat(starts, counts)
    with np.errstate(over="ignore"):
        weighted = hashes * _POSITION_MULTIPLIERS[position % len(_POSITION_MULTIPLIERS)]
        sums = np.add.reduceat(weighted, starts[filled])
        keys[filled] = _fmix64(sums ^ counts[filled].astype(np.uint64)) | np.uint64(1)  # never 0
    return keys


# A line of this many words is a paragraph: two texts holding the same one are candidates for
# one story even when MinHash sees little else in common (a teaser of a long article).
LONG_LINE_WORDS = 12


class TextLines:
    """One text as the corpus stage's steps on a document read it, its bytes scanned once for
    the key of each line (`line_hashes`) and, with `words`, the hash of every word; each line's
    whitespace-separated words are counted apart (`str.split` a line, as the paragraph and menu
    thresholds count them; `hashed_words` splits at punctuation too). A line's key and its
    words' hashes do not depend on the lines around it, so the text without some lines (a
    site's template) is read from here too: hashing the page again for each use (site keys,
    paragraphs, template lines, shingles) took most of the stage."""

    def __init__(self, text: str, words: bool = True):
        data = _casefolded(text)
        starts, ends = _word_spans(data)
        bounds = _line_bounds(data)
        self.per_line = _per_line(starts, bounds)
        self.keys = _line_keys(_span_hashes(_FOLD_DIGITS[data], starts, ends), self.per_line)
        self.words = _span_hashes(data, starts, ends) if words else None
        self.tokens = _per_line(_token_starts(data), bounds)  # len(line.split()) of each line

    def long_keys(self, kept: np.ndarray | None = None) -> np.ndarray:
        """The sorted distinct keys of the text's paragraphs (lines of LONG_LINE_WORDS or more),
        or of its `kept` lines alone."""
        long = self.tokens >= LONG_LINE_WORDS
        if kept is not None:
            long &= kept
        keys = self.keys[long]
        return np.unique(keys[keys != 0])

    def kept_words(self, kept: np.ndarray | None = None) -> np.ndarray:
        """The word hashes of the `kept` lines (None: all), in order: `hashed_words` of the text
        they make."""
        return self.words if kept is None else self.words[np.repeat(kept, self.per_line)]

