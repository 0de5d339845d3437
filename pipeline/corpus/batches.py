"""The corpus stage's work on each document, a batch of raw JSON Lines at a time: reading a
record, keying its lines for the site templates, removing its site's template, hashing its
words, shingling and signing, and writing it back with its story. Pure functions of a context
(the same for every batch of a step) and a batch, returning what the stage keeps of each
document, so the stage (dedup.py, sitepass.py) can run them here or hand them to worker
processes (pipeline/run/pool_dedup.py) or Ray (run/ray_dedup.py): the results, taken in batch
order, are the same."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from itertools import compress
from typing import Any, Callable, Iterable, Iterator, NamedTuple

import numpy as np

from storysift.clean.normalize import join_paragraphs
from storysift.clean.page import title_from_text
from storysift.corpus.events import salient_terms, term_hashes
from storysift.corpus.minhash import Signer
from storysift.corpus.shingles import MAX_WORDS, TextLines, hashed_words, jaccard, line_hashes, shingle_set
from storysift.corpus.sites import site_of
from storysift.corpus.stories import MIN_WORDS
from storysift.corpus.templates import NO_KEYS, Stripped, TemplateView, page_entry
from storysift.corpus.titles import corpus_title, usable_title
from storysift.document import Removal, safe_name, without_lone_surrogates
from storysift.read.fields import field_value, set_field
from storysift.read.recordfile import check_record, reject_id
from storysift.write.outputs import dumps

# A batch holds at most this many documents or bytes of raw records: large enough that handing
# it to a worker process costs little beside its work (~2-5 ms a page), small enough that a few
# batches per worker in flight hold little memory.
BATCH_DOCS = 256
BATCH_BYTES = 4 << 20
STUB = f"fewer than {MIN_WORDS} words"  # why a stub that joined no story is kept out
# A deferred line stays when this share of its shingles is in its story's other copies
# (`settle_on_copies`); COPIES_READ of them at most, so a story of many copies costs no more.
CARRIED_SHARE = 0.5
COPIES_READ = 8
# A headline this long is a candidate key, with the text's paragraphs, and what joins short texts
# to a story (`Headline.key`): shorter ones ("Home", "Photos") name many stories. A teaser that is
# its headline, a byline and a date shares no paragraph with its article.
TITLE_KEY_WORDS = 4
FIGURES = re.compile(r"\d+")
# A record's title counts as already in its text when it is found this near the text's start.
HEADLINE_REACH = 200

Work = Callable[[Any, list], list]


def in_process(work: Work, context: Any, batches: Iterable[list], step: str = "") -> Iterator[tuple[list, list]]:
    """(batch, work(context, batch)) for each batch, in order: the stage's steps run here.
    An executor gives the stage another function of the same form."""
    for batch in batches:
        yield batch, work(context, batch)


def batched(items: Iterable[Any], size_of: Callable[[Any], int], docs: int | None = None,
            limit: int | None = None) -> Iterator[list]:
    """Consecutive runs of `items` of at most `docs` items or about `limit` bytes (`size_of`)."""
    docs, limit = docs or BATCH_DOCS, limit or BATCH_BYTES
    batch: list = []
    held = 0
    for item in items:
        batch.append(item)
        held += size_of(item)
        if len(batch) >= docs or held >= limit:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def text_of(record: dict, text_field: str) -> str:
    """The record's text as the reader makes text: a lone surrogate has no UTF-8 to hash."""
    text = field_value(record, text_field)
    return without_lone_surrogates(text) if isinstance(text, str) else ""


def signed_text(text: str, record: dict, text_field: str) -> str:
    """What identifies a copy: its text (`text_of` the record) after its headline. HTML
    extraction moves the headline to `title` (scraped text keeps it as its first line), and a
    short story is mostly its headline: without it, copies whose text is a byline and a date
    cannot join. `strip_record` has taken lone surrogates out of the title."""
    headline = signed_headline(text, record, text_field)
    return text if headline is None else f"{headline}\n\n{text}"


def signed_headline(text: str, record: dict, text_field: str) -> str | None:
    """The title `signed_text` puts before the text, or None."""
    title = record.get("title") if text_field == "text" else None
    if usable_title(title) and headline_apart(title := title.strip(), text):
        return title
    return None


def headline_apart(title: str, text: str) -> bool:
    """Whether the (stripped) title is not already at the start of the text."""
    return title not in text[:len(title) + HEADLINE_REACH]


@dataclass(frozen=True)
class Headline:
    """A record's usable title, hashed once a document: its words (`hashed_words`, digits kept)
    for the signed text and the joins by headline, its line key as the site template holds lines."""

    text: str  # stripped
    words: np.ndarray
    line_key: np.ndarray  # `line_hashes` of the title as one line

    @staticmethod
    def of(title: object) -> Headline | None:
        if not usable_title(title):
            return None
        text = title.strip()
        page = TextLines(text.replace("\n", " "))  # one scan for its words and its line key
        return Headline(text, page.words, page.keys)

    def keys(self) -> HeadlineKeys | None:
        """What joins by headline compare (dedup.py); None for a title under TITLE_KEY_WORDS
        words, which names many stories ("Home", "Photos")."""
        if len(self.text.split()) < TITLE_KEY_WORDS:
            return None
        return HeadlineKeys(hashlib.blake2b(self.words.tobytes(), digest_size=8).digest(), np.unique(self.words),
                            " ".join(sorted(set(FIGURES.findall(self.text)))))


class HeadlineKeys(NamedTuple):
    """A headline as joins by headline compare it: its words' digest (the same headline word for
    word, digits kept), its distinct word hashes and its figures ("2012 22"), which a near
    headline must share."""

    key: bytes
    words: np.ndarray
    figures: str


# -- the site step's first pass: each page's site and line keys ----------------------------------
@dataclass(frozen=True)
class Fields:
    text: str
    id: str


def removed_lines(record: dict) -> list[str]:
    """The lines single-page cleaning removed from a record, as its `removed` list holds them."""
    removed = record.get("removed")
    if not isinstance(removed, list):
        return []
    return [without_lone_surrogates(line) for piece in removed if isinstance(piece, dict) and isinstance(piece.get("text"), str)
            for line in piece["text"].split("\n")]


def site_entry(site: str, record: dict, text: str) -> tuple[bytes, np.ndarray, np.ndarray]:
    """`templates.page_entry` of one page of `site`: its digest and the keys of every line of
    the page, its clean text and what cleaning removed, and its title's line key."""
    lines = TextLines(text, words=False)
    removed = "\n".join(removed_lines(record))
    keys = np.concatenate((lines.keys, line_hashes(removed))) if removed else lines.keys
    title = record.get("title")
    headline = Headline.of(without_lone_surrogates(title) if isinstance(title, str) else title)
    return page_entry(site, keys, lines.long_keys(), headline.line_key if headline is not None else NO_KEYS)


# Kept lines of at most this many words (menus, labels the rules did not know) count as
# furniture for inferring a site; a longer line may be the article's (a subhead, a list item),
# which copies of one story share: at 14, copies on different sites were inferred site-mates and
# lost their article as template. `python bench/stories.py`, txt, at 14 / 8 / 5: lost 9.3 / 6.4 /
# 4.3 %, inferred sites' pair precision 0.981 / 0.989 / 0.985, recall 0.917 / 0.925 / 0.941; on
# the dragnet text renderings (the "storysift run +title" row of `python bench/extraction.py --sets
# dragnet-text`) token F1 0.718 / 0.719 / 0.720. At 5, a site whose furniture lines are longer
# (the three-sites fixture) is no longer found.
SHORT_LINE_WORDS = 8


def furniture_keys(text: str, record: dict) -> np.ndarray:
    """What a page's site shows on every page is mostly what single-page cleaning removed, and
    its short kept lines (menus, labels the rules did not know): sorted distinct keys."""
    lines = TextLines(text, words=False)
    keys = np.concatenate((lines.keys[lines.tokens <= SHORT_LINE_WORDS], line_hashes("\n".join(removed_lines(record)))))
    return np.unique(keys[keys != 0])


def scan_pages(fields: Fields, batch: list[tuple[int, int, bytes]]) -> list[tuple]:
    """For each (line number, offset, line): ("reject", why, id), ("site", site, digest, keys, title)
    (templates.page_entry) or, for a record that names no site, ("unsited", name, furniture)."""
    out = []
    for _, _, line in batch:
        record, problem = check_record(line, fields.text)
        if problem is not None:
            out.append(("reject", problem, reject_id(record, fields.id)))
            continue
        text = text_of(record, fields.text)
        site = site_of(record)
        if site is not None:
            out.append(("site", site, *site_entry(site, record, text)))
        else:
            raw_id = field_value(record, fields.id)
            name = safe_name(str(raw_id)) if raw_id not in (None, "") else None
            out.append(("unsited", name, furniture_keys(text, record)))
    return out


def site_entries(fields: Fields, batch: list[tuple[str, bytes]]) -> list[tuple[bytes, np.ndarray, np.ndarray]]:
    """templates.page_entry of each (site, line): pages whose site was inferred."""
    out = []
    for site, line in batch:
        record = json.loads(line)
        text = text_of(record, fields.text)
        out.append(site_entry(site, record, text))
    return out


# -- the site templates out, the words hashed and signed -----------------------------------------
@dataclass(frozen=True)
class SignContext:
    fields: Fields
    templates: TemplateView
    shingle_size: int
    num_perm: int
    source_name: str  # the input file (a record's source, with its record number, when it names none)


@dataclass
class Signed:
    """What the stage keeps of one document: its record as written (site set, template out), what
    the template took, and for clustering its member facts, candidate and headline keys and,
    unless it is `excluded` with no headline, its word digest, shingle set and signature."""

    line: bytes  # as written to the sited file, newline included
    removals: tuple[str, ...]  # the rule of each removal this stage made
    template_lines: int
    template_words: int
    meta: tuple[str, str, int, str | None, str | None]  # id, source, removals, date, site
    words: int
    candidates: np.ndarray  # its paragraphs' keys (TextLines.long_keys), and its headline's line key
    headline: HeadlineKeys | None  # what joins by headline compare; None under TITLE_KEY_WORDS words
    excluded: str | None = None
    digest: bytes = b""
    shingles: np.ndarray | None = None
    signature: np.ndarray | None = None


def strip_record(record: dict, site: str | None, view: TemplateView, text_field: str, text: str,
                 page: TextLines | None = None) -> tuple[Stripped, Headline | None]:
    """Set the record's site and take its site's template out of its text (`text`, as `text_of`
    read it; `page`: its TextLines, when known) but for its own headline, and its title, when
    other pages of its site carry that title too; returns what the template took and the
    record's title as a Headline (None for no usable title, or a record whose text field is not
    cleaning's `text`)."""
    record["site"] = site
    deferred = record.pop("deferred", None)
    title = record.get("title")
    title = without_lone_surrogates(title) if isinstance(title, str) else title  # its lines are hashed too
    headline = Headline.of(title)
    site_title = headline is not None and view.site_title(site, headline.line_key)
    stripped = view.strip(site, text, page, own=None if headline is None or site_title else headline.line_key)
    if deferred is not None and text_field == "text":
        if not view.qualifies(site):
            settled = apply_deferred(text, deferred)
            if settled is not None:
                stripped = settled
                title = settled_title(title, text, settled.text)
        elif renumbered := deferred_after(deferred, text, stripped.kept):
            record["deferred"] = renumbered  # settled once the stories are known: `settle_on_copies`
    if "title" in record or stripped.removals:
        record["title"] = corpus_title(title, site_title, stripped.text)
        if headline is None or record["title"] != headline.text:
            headline = Headline.of(record["title"])
    if stripped.removals:
        take_out(record, text_field, stripped, site)
    return stripped, headline if text_field == "text" else None


def take_out(record: dict, text_field: str, stripped: Stripped, site: str | None) -> None:
    """Write what `stripped` took out of the record's text into the record."""
    set_field(record, text_field, stripped.text)
    earlier = record.get("removed") if isinstance(record.get("removed"), list) else []
    record["removed"] = earlier + [{**r.as_dict(), "site": site} for r in stripped.removals]
    counts = record.get("counts")
    if isinstance(counts, dict):
        counts.update({"words_out": len(stripped.text.split()),
                       "lines_out": stripped.text.count("\n") + 1 if stripped.text else 0,
                       "removed": len(record["removed"])})


def settle_deferred(record: dict, counts: Counter[str]) -> dict:
    """The record of a run that stops before its corpus stage: what cleaning deferred to that
    stage applied, as to a page of a site too small for a template, each removal counted by
    rule into `counts`."""
    text = text_of(record, "text")
    stripped = apply_deferred(text, record.pop("deferred", None))
    if stripped is not None:
        if "title" in record:
            record["title"] = settled_title(record["title"], text, stripped.text)
        take_out(record, "text", stripped, record.get("site") if isinstance(record.get("site"), str) else None)
        counts.update(r.rule for r in stripped.removals)
    return record


def settled_title(title: object, text: str, settled: str) -> object:
    """A page's title once its deferred removals apply: cleaning's fallback title (the first line
    of `text` that reads like a headline) is taken again from the `settled` text, as `storysift
    clean` takes it; any other title stays."""
    return title_from_text(settled) if isinstance(title, str) and title == title_from_text(text) else title


def deferred_entries(text: str, entries: Any) -> list[dict]:
    """The well-formed entries of `Document.deferred` whose lines are lines of `text`."""
    count = text.count("\n") + 1
    return [entry for entry in (entries if isinstance(entries, list) else ())
            if isinstance(entry, dict) and isinstance(entry.get("rule"), str) and isinstance(at := entry.get("at"), list)
            and at and all(type(n) is int and 0 < n <= count for n in at)]


def deferred_after(entries: Any, text: str, kept: np.ndarray | None) -> list[dict]:
    """The deferred removals of `text` numbered by the lines of the text without its template
    (`Stripped.kept`: which lines stayed); a line the template took is in no entry."""
    entries = deferred_entries(text, entries)
    if kept is None:
        return entries
    lines = text.split("\n")
    stayed = np.flatnonzero(kept).tolist()
    positions: list[int] = []
    join_paragraphs([lines[n] for n in stayed], positions)
    now = {n + 1: at + 1 for n, at in zip(stayed, positions) if at >= 0}
    moved = ({**entry, "at": [now[n] for n in entry["at"] if n in now]} for entry in entries)
    return [entry for entry in moved if entry["at"]]


def settle_on_copies(record: dict, copies: list[np.ndarray], shingle_size: int) -> list[str]:
    """Apply the removals cleaning deferred on a page of a site with a template (`strip_record`),
    but for the lines its story's other copies carry (`copies`: their shingle sets): the line
    classifier guesses on one page, and a line other sites print in the same story is the
    story's, however it reads. A line is carried when at least CARRIED_SHARE of its shingles are
    in the copies; a line under `shingle_size` words has no shingle of its own and never is.
    Returns the rule of each removal made."""
    entries = record.pop("deferred", None)
    text = text_of(record, "text")
    if copies:  # with no other copy of its story, no line is carried
        carried = np.unique(np.concatenate(copies))
        lines = text.split("\n")
        entries = [{**entry, "at": at} for entry in deferred_entries(text, entries)
                   if (at := [n for n in entry["at"] if not line_carried(lines[n - 1], carried, shingle_size)])]
    stripped = apply_deferred(text, entries)
    if stripped is None:
        return []
    if "title" in record:
        record["title"] = settled_title(record["title"], text, stripped.text)
    take_out(record, "text", stripped, record.get("site") if isinstance(record.get("site"), str) else None)
    return [r.rule for r in stripped.removals]


def line_carried(line: str, carried: np.ndarray, shingle_size: int) -> bool:
    hashes = hashed_words(line)[0]
    if len(hashes) < shingle_size:
        return False
    own = shingle_set(hashes, shingle_size)
    return np.isin(own, carried, assume_unique=True).sum() >= CARRIED_SHARE * len(own)


def apply_deferred(text: str, entries: Any) -> Stripped | None:
    """The text without the removals cleaning left to this stage (`Document.deferred`), for a
    page whose site has too few pages for a template; None when `entries` holds none (an entry
    whose lines are not lines of the text is passed over)."""
    entries = deferred_entries(text, entries)
    if not entries:
        return None
    lines = text.split("\n")
    marked = np.zeros(len(lines), dtype=bool)
    removals = []
    for entry in entries:
        at = entry["at"]
        marked[[n - 1 for n in at]] = True
        span, votes = entry.get("lines"), entry.get("votes")
        removals.append(Removal(entry["rule"], "\n".join(lines[n - 1] for n in at),
                                tuple(span) if isinstance(span, list) and len(span) == 2 else None,
                                votes if isinstance(votes, str) else None))
    kept = ~marked
    return Stripped(join_paragraphs(list(compress(lines, kept.tolist()))), removals, 0, 0, kept)


_signers: dict[int, Signer] = {}


def strip_and_sign(context: SignContext, batch: list[tuple[int, str | None, bytes]]) -> list[Signed]:
    """Each (index, site, line) without its site's template, as written, with its signature."""
    out: list[Signed] = []
    for index, site, line in batch:
        record = json.loads(line)
        text = text_of(record, context.fields.text)
        lines = TextLines(text)
        stripped, headline = strip_record(record, site, context.templates, context.fields.text, text, lines)
        written = (dumps(record) + "\n").encode("utf-8")
        # The words of the text as written: those of its kept lines (a line's words hash alone),
        # after its headline as `signed_text` puts it.
        hashes = lines.kept_words(stripped.kept)
        if headline is not None and headline_apart(headline.text, stripped.text):
            hashes = np.concatenate((headline.words, hashes))
        hashes = hashes[:MAX_WORDS]
        raw_id, removed, date = field_value(record, context.fields.id), record.get("removed"), record.get("date")
        meta = (  # safe_name: a story id is a hash of an id's (and source's) UTF-8
            safe_name(str(raw_id)) if raw_id is not None and raw_id != "" else f"#{index + 1}",
            safe_name(str(record.get("source") or f"{context.source_name}:{index + 1}")),
            len(removed) if isinstance(removed, list) else 0, str(date) if date else None,
            record.get("site") if isinstance(record.get("site"), str) else None)
        keys = headline.keys() if headline is not None else None
        candidates = lines.long_keys(stripped.kept)
        signed = Signed(written, tuple(r.rule for r in stripped.removals), stripped.lines, stripped.words, meta, len(hashes),
                        np.union1d(candidates, headline.line_key) if keys else candidates, keys)
        if not len(hashes) or (len(hashes) < MIN_WORDS and not keys):
            signed.excluded = "empty text" if not len(hashes) else STUB
        else:  # a stub with a headline is a member too: it may join a story by its headline (dedup.py)
            signed.digest = hashlib.blake2b(hashes.tobytes(), digest_size=16).digest()
            signed.shingles = shingle_set(hashes, context.shingle_size)
        out.append(signed)
    members = [signed for signed in out if signed.shingles is not None]
    if members:
        signer = _signers.get(context.num_perm) or _signers.setdefault(context.num_perm, Signer(context.num_perm))
        for signed, row in zip(members, signer.sign([signed.shingles for signed in members])):
            signed.signature = row
    return out


# -- the records written with their stories ------------------------------------------------------
@dataclass(frozen=True)
class WriteContext:
    text_field: str
    sets: str  # the file of shingle sets (dedup.ShingleSets)
    index: bool  # with --index: records say whether their story was seen before
    shingle_size: int


@dataclass(frozen=True)
class Label:
    """A record's place in the stories: `story` None for a text kept out (`excluded` says why);
    `similarity` 1.0, or the two shingle sets' (offset, length) in the sets file to compare;
    `copies`: the shingle sets of up to COPIES_READ other members of its story (`settle_on_copies`)."""

    story: str | None
    copy_of: str | None = None
    excluded: str | None = None
    canonical: bool = False
    similarity: float | tuple[int, int, int, int] | None = None
    seen_before: bool = False
    seen_story: str | None = None
    copies: tuple[tuple[int, int], ...] = ()


def read_set(path: str, offset: int, length: int) -> np.ndarray:
    return np.fromfile(path, dtype=np.uint32, count=length, offset=offset * 4)


def write_records(context: WriteContext, batch: list[tuple[int, Label, bytes]]) -> list[tuple]:
    """Each record with its story fields: (line, similarity, usable title, salient term hashes
    of a canonical member)."""
    out = []
    for _, label, line in batch:
        record = json.loads(line)
        removals = settled(record, label, context)
        similarity = title = terms = None
        if label.story is None:
            record["story"], record["copy_of"] = None, None
            record["excluded"] = label.excluded
        else:
            record["story"] = label.story
            record["copy_of"] = label.copy_of
            similarity = label.similarity if isinstance(label.similarity, float) else jaccard(
                read_set(context.sets, *label.similarity[:2]), read_set(context.sets, *label.similarity[2:]))
            if usable_title(record.get("title")):
                title = record["title"]
            if label.canonical:
                names = salient_terms(signed_text(text_of(record, context.text_field), record, context.text_field))
                terms = term_hashes(names)
        if context.index:
            record["seen_before"] = label.seen_before
            record["seen_story"] = label.seen_story
        out.append((dumps(record), similarity, title, terms, removals))
    return out


def settled(record: dict, label: Label, context: WriteContext) -> list[str]:
    """The record with the removals its cleaning deferred settled (`settle_on_copies`); the rule
    of each removal made."""
    if "deferred" not in record:
        return []
    return settle_on_copies(record, [read_set(context.sets, *where) for where in label.copies], context.shingle_size)


def story_records(context: WriteContext, batch: list[tuple[dict, dict, Label, bytes]]) -> list[str]:
    """Each story's record for stories.jsonl: its fields before the text, the canonical
    member's text (from its record as written to clean.jsonl) and the fields after it."""
    out = []
    for head, tail, label, line in batch:
        record = json.loads(line)
        settled(record, label, context)
        out.append(dumps({**head, "text": text_of(record, context.text_field), **tail}))
    return out
