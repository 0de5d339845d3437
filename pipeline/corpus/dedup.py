"""The corpus stage: reads records with a text field (ours, or any: read/recordfile.py), gives
each its site and removes each site's template (sitepass.py), collapses copies into distinct
stories and groups stories into events; writes clean.jsonl (with `site`, `story`, `copy_of`) and
stories.jsonl. Memory holds signatures, file offsets and, within a fixed budget, shingle sets;
texts are re-read by offset."""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from storysift.corpus.events import DEFAULT_EVENT_THRESHOLD, group_events, salient_terms, site_names, term_hashes
from storysift.corpus.index import StoryIndex, location_problem, open_store
from storysift.corpus.minhash import Rows, Signer
from storysift.corpus.sitepass import strip_site_templates
from storysift.corpus.templates import RULE_ID as TEMPLATE_RULE_ID
from storysift.corpus.titles import story_title, usable_title
from storysift.corpus.shingles import hashed_words, jaccard, long_line_keys, shingle_set
from storysift.corpus.stories import (
    COPIES,
    FIRST_WITHIN,
    LSH_SLACK,
    UNRELATED,
    Member,
    Verification,
    UnionFind,
    band_buckets,
    choose_canonical,
    exact_groups,
    join_buckets,
    lsh_params,
    member_keys,
    stable_id,
)
from storysift.document import LONE_SURROGATE, Reject, safe_name
from storysift.read.fields import field_value
from storysift.read.recordfile import RecordFile
from storysift.write.outputs import JsonlSink, atomic_text, make_folder

# Defaults chosen on the syndication bench (`python bench/syndication.py --sweep`: 794 pages,
# 360 stories of which 60 near misses, 15 sites; F1 of same-story pairs):
# 5-word shingles: F1 0.999 at 4..6; 3 lets near misses merge (precision 0.999), 8 misses
# copies with a few words changed (recall 0.985).
DEFAULT_SHINGLE_SIZE = 5
# 128 permutations: 64 and 256 give the same F1; signing is a small part of the stage, and 128
# keeps the LSH band hits steadier on corpora less clean than the bench.
DEFAULT_NUM_PERM = 128
# Jaccard at which two pages are copies: 0.4..0.5 give F1 0.999; 0.3 merges near misses
# (precision 0.987, one same-site merge); 0.6 and 0.7 miss edited copies (recall 0.981, 0.908).
DEFAULT_THRESHOLD = 0.5
# A text with fewer words is a stub (a teaser, an empty extraction) and is kept out of
# clustering: it would match anything or nothing. The shortest seed has ~340 words.
MIN_WORDS = 8
# A record's title counts as already in its text when it is found this near the text's start.
HEADLINE_REACH = 200
SIGN_BATCH_DOCS = 512
# Shingle sets (4 bytes a shingle) are kept for verification and similarity up to this many
# bytes, ~16,000 pages of 1,000 words; past it, texts are re-read from the file when needed
# (slower, same result).
CACHE_BYTES = 64 * 1024 * 1024
# Shingle sets recomputed from the file are kept for the next few uses (a bucket's first page
# is checked against each page after it; a canonical page against each of its copies).
RECENT_SETS = 256
# The records with their sites and without site templates, read by the later steps; removed
# when the stage ends.
SITED_FILE = ".storysift-sited.jsonl"
# Texts sharing a paragraph are checked against each other while at most this many hold it; a
# paragraph on more pages is furniture the site step did not know (a syndication notice).
MAX_PARAGRAPH_DOCS = 1000
# Two pages of one site join only this alike: the same page under two addresses, not two
# stories that share what the site prints around them.
SAME_SITE_THRESHOLD = 0.8


@dataclass(frozen=True)
class DedupOptions:
    threshold: float = DEFAULT_THRESHOLD
    shingle_size: int = DEFAULT_SHINGLE_SIZE
    num_perm: int = DEFAULT_NUM_PERM
    event_threshold: float = DEFAULT_EVENT_THRESHOLD
    text_field: str = "text"
    id_field: str = "id"
    index: str | None = None  # --index: a file path or redis:// URL (pipeline/corpus/index.py)

    def problems(self) -> list[str]:
        """What is wrong with these options, each message naming the fix; empty when fine."""
        found = []
        if not 0 < self.threshold <= 1:
            found.append(f"--threshold must be in (0, 1], got {self.threshold} (e.g. {DEFAULT_THRESHOLD})")
        if not 0 < self.event_threshold <= 1:
            found.append(f"event threshold must be in (0, 1], got {self.event_threshold}")
        if not 1 <= self.shingle_size <= 64:
            found.append(f"--shingle-size must be 1..64 words, got {self.shingle_size} (e.g. {DEFAULT_SHINGLE_SIZE})")
        if not 16 <= self.num_perm <= 4096:
            found.append(f"--num-perm must be 16..4096, got {self.num_perm} (e.g. {DEFAULT_NUM_PERM})")
        else:
            try:
                lsh_params(self.threshold * LSH_SLACK, self.num_perm)
            except ValueError as exc:
                found.append(f"--threshold {self.threshold} with --num-perm {self.num_perm}: {exc}; "
                             "raise --num-perm or the threshold")
        if not self.text_field or not self.id_field:
            found.append("--text-field and --id-field must name a field")
        if self.index is not None and (problem := location_problem(self.index)):
            found.append(problem)
        return found

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))


class Silent:
    """Where the stage tells its progress (run/progress.Progress shows it): here, nowhere."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def update(self, done: int) -> None:
        pass


class LocalSteps:
    """The corpus-wide steps of story clustering (signing, LSH band bucketing, verified joins),
    run in this process. pipeline/run/ray_dedup.py runs them as Ray tasks with the same results."""

    def sign(self, signer: Signer, indices: list[int], sets: list[np.ndarray], rows: Rows) -> None:
        """Put the signature of each shingle set in `rows` under its index, now or by `signed`."""
        for index, row in zip(indices, signer.sign(sets)):
            rows[index] = row

    def signed(self, rows: Rows) -> None:
        """Every signature asked for is in `rows` (here each was signed when asked)."""

    def buckets(self, keys: np.ndarray, slots_of: Callable[[int, int], np.ndarray], num_perm: int,
                threshold: float) -> list[list[int]]:
        return band_buckets(keys, slots_of, num_perm, threshold)

    def join(self, buckets: list[list[int]], shingles_of: Callable[[int], np.ndarray], verification: Verification,
             union: UnionFind, allow: Callable[[int, int, int], bool] | None = None) -> tuple[int, int]:
        return join_buckets(buckets, shingles_of, verification, union, allow)


class Dedup:
    """One run of the stage over one file; see `dedup_file`."""

    def __init__(self, path: Path, options: DedupOptions, steps: LocalSteps | None = None,
                 work_dir: Path | None = None, on_reject: Callable[[Reject], None] | None = None,
                 progress: Silent | None = None):
        options.validate()
        self.options = options
        self.steps = steps or LocalSteps()
        self.progress = progress or Silent()
        self.removals: Counter[str] = Counter()  # what this stage removed, by rule
        self.corpus = RecordFile(path, options.text_field, options.id_field, work_dir or path.parent, on_reject)
        self.signer = Signer(options.num_perm)
        self.members: dict[int, Member] = {}
        self.excluded: dict[int, str] = {}
        self.digests: dict[int, bytes] = {}
        self.rows = Rows(options.num_perm)  # signature by corpus index (EMPTY where none)
        self.labels: dict[int, int] = {}
        self.meta: dict[int, tuple[str, str, int, str | None, str | None]] = {}  # id, source, removals, date, site
        self.long_lines: dict[int, np.ndarray] = {}  # keys of each text's long lines: candidates for containment
        self.cache: dict[int, np.ndarray] = {}  # shingle sets
        self.recent: OrderedDict[int, np.ndarray] = OrderedDict()  # shingle sets recomputed lately
        self.cache_bytes = 0
        self.pairs_proposed = 0
        self.pairs_verified = 0
        self.index: StoryIndex | None = None  # earlier runs' stories (--index)
        self.earlier: dict[int, str] = {}  # today's story (its label) -> the earlier story's id
        self.story_of: dict[int, str] = {}
        self.verification = Verification(options.threshold)
        self.canonical_ids: dict[str, str] = {}

    # -- reading ---------------------------------------------------------------------------
    def text_of(self, record: Any) -> str | None:
        if not isinstance(record, dict):
            return None
        text = field_value(record, self.options.text_field)
        # As the reader does (read/documents.make_document): a lone surrogate has no UTF-8 to hash.
        return LONE_SURROGATE.sub("\ufffd", text) if isinstance(text, str) else None

    def current_text(self, index: int, record: Any = None) -> str:
        return self.text_of(self.corpus.record(index) if record is None else record) or ""

    def signed_text(self, record: Any) -> str:
        """What identifies a copy: its text after its headline. HTML extraction moves the headline
        to `title` (scraped text keeps it as its first line), and a short story is mostly its
        headline: without it, copies whose text is a byline and a date cannot join."""
        text = self.text_of(record) or ""
        title = record.get("title") if isinstance(record, dict) and self.options.text_field == "text" else None
        if usable_title(title) and title.strip() not in text[:len(title) + HEADLINE_REACH]:
            return f"{title.strip()}\n\n{text}"
        return text

    def read(self) -> None:
        """The one pass over the records: every document is tokenised once, for its signature."""
        pending: list[tuple[int, np.ndarray]] = []
        for index, record in self.corpus.scan():  # records with a text field: the others are rejects
            text = self.text_of(record) or ""
            hashes = hashed_words(self.signed_text(record))[0]
            raw_id, removed, date = field_value(record, self.options.id_field), record.get("removed"), record.get("date")
            self.meta[index] = (  # safe_name: a story id is a hash of an id's (and source's) UTF-8
                safe_name(str(raw_id)) if raw_id is not None and raw_id != "" else f"#{index + 1}",
                safe_name(str(record.get("source") or f"{self.corpus.path}:{index + 1}")),
                len(removed) if isinstance(removed, list) else 0, str(date) if date else None,
                record.get("site") if isinstance(record.get("site"), str) else None)
            self.long_lines[index] = long_line_keys(text)
            pending.extend(self._admit(index, hashes))
            if len(pending) >= SIGN_BATCH_DOCS:
                self._sign(pending)
                pending = []
            self.progress.update(index + 1)
        self._sign(pending)
        self.steps.signed(self.rows)

    def _admit(self, index: int, hashes: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Register a document for clustering, or exclude it with its reason."""
        self.members.pop(index, None)
        self.excluded.pop(index, None)
        if len(hashes) < MIN_WORDS:
            self.excluded[index] = "empty text" if not len(hashes) else f"fewer than {MIN_WORDS} words"
            return []
        doc_id, source, removals, date, site = self.meta[index]
        self.members[index] = Member(index, doc_id, source, len(hashes), removals, date, site)
        self.digests[index] = hashlib.blake2b(hashes.tobytes(), digest_size=16).digest()
        shingles = shingle_set(hashes, self.options.shingle_size)
        self._keep(index, shingles)
        return [(index, shingles)]

    def _fits(self, size: int) -> bool:
        if self.cache_bytes + size > CACHE_BYTES:
            return False
        self.cache_bytes += size
        return True

    def _keep(self, index: int, shingles: np.ndarray) -> None:
        """Keep a shingle set for verification and similarity while the budget allows; past
        it, sets are recomputed from the file when needed (slower, same result)."""
        old = self.cache.pop(index, None)
        if old is not None:
            self.cache_bytes -= old.nbytes
        self.recent.pop(index, None)
        if self._fits(shingles.nbytes):
            self.cache[index] = shingles

    def _sign(self, pending: list[tuple[int, np.ndarray]]) -> None:
        if pending:
            self.steps.sign(self.signer, [index for index, _ in pending], [s for _, s in pending], self.rows)

    def shingles_of(self, index: int) -> np.ndarray:
        """A document's shingle set: kept from reading, or recomputed from the file."""
        shingles = self.cache.get(index)
        if shingles is None:
            shingles = self.recent.pop(index, None)
            if shingles is None:
                shingles = shingle_set(hashed_words(self.signed_text(self.corpus.record(index)))[0],
                                       self.options.shingle_size)
            self.recent[index] = shingles
            if len(self.recent) > RECENT_SETS:
                self.recent.popitem(last=False)
        return shingles

    # -- clustering ------------------------------------------------------------------------
    def cluster(self) -> None:
        """Stories: exact duplicates by digest, then LSH buckets verified on shingle Jaccard.
        Documents are handled in the order of their ids (not of the input), so the stories do
        not depend on input order; labels are the smallest index of each story."""
        keys = member_keys(self.members.values())
        by_rank = sorted(self.members, key=lambda index: (keys[index], index))
        rank = {index: r for r, index in enumerate(by_rank)}
        union = UnionFind(range(len(by_rank)))
        representatives = exact_groups({rank[i]: self.digests[i] for i in self.members})
        for root, group in representatives.items():
            for other in group[1:]:
                union.union(root, other)
        ranks = sorted(representatives)
        indices = np.array([by_rank[r] for r in ranks], dtype=np.int64)
        buckets = self.steps.buckets(np.array(ranks, dtype=np.int64),
                                     lambda start, end: self.rows.columns(start, end, indices),
                                     self.options.num_perm, self.options.threshold)
        buckets += self.paragraph_buckets(ranks, by_rank)
        proposed, checked = self.steps.join(buckets, lambda r: self.shingles_of(by_rank[r]), self.verification,
                                            union, self.allowed(by_rank))
        self.pairs_proposed += proposed
        self.pairs_verified += checked
        stories: dict[int, list[int]] = {}
        for index in self.members:
            stories.setdefault(union.find(rank[index]), []).append(index)
        self.labels = {index: min(group) for group in stories.values() for index in group}

    def paragraph_buckets(self, ranks: list[int], by_rank: list[int]) -> list[list[int]]:
        """Candidates LSH can miss: texts sharing a paragraph word for word (a teaser and its
        article), one bucket per paragraph that two to MAX_PARAGRAPH_DOCS texts hold."""
        holders: dict[int, list[int]] = {}
        for r in ranks:
            for key in self.long_lines.get(by_rank[r], ()).tolist():
                holders.setdefault(key, []).append(r)
        buckets = {tuple(held) for held in holders.values() if 2 <= len(held) <= MAX_PARAGRAPH_DOCS}
        return [list(bucket) for bucket in sorted(buckets)]

    def allowed(self, by_rank: list[int]) -> Callable[[int, int, int], bool]:
        """Which verified pairs join: copies always, unless two different pages of one site
        (those join only as near-identical pages); a text within another only across sites,
        and each text joins another story at most once that way, so a passage many stories
        quote cannot chain them."""
        within_once: set[int] = set()

        def allow(a: int, b: int, kind: int) -> bool:
            if kind == UNRELATED:
                return False
            first, second = self.members[by_rank[a]], self.members[by_rank[b]]
            same_site = first.site is not None and first.site == second.site
            if kind == COPIES:
                return not same_site or \
                    jaccard(self.shingles_of(first.index), self.shingles_of(second.index)) >= SAME_SITE_THRESHOLD
            contained = a if kind == FIRST_WITHIN else b
            if same_site or contained in within_once:
                return False
            within_once.add(contained)
            return True

        return allow

    # -- writing ---------------------------------------------------------------------------
    def write(self, out_dir: Path) -> dict[str, Any]:
        groups: dict[int, list[int]] = {}
        for index, root in sorted(self.labels.items()):
            groups.setdefault(root, []).append(index)
        keys = member_keys(self.members.values())
        canonical: dict[int, Member] = {}  # root -> canonical member
        story_of: dict[int, str] = {}
        for root, indices in groups.items():
            canonical[root] = choose_canonical(self.members[i] for i in indices)
        names = self.story_names(canonical, keys)
        for root, indices in groups.items():
            for index in indices:
                story_of[index] = names[root]
        self.story_of = story_of
        self.canonical_ids = {names[root]: best.id for root, best in canonical.items()}
        by_story = {story_of[root]: root for root in groups}
        terms: dict[str, np.ndarray] = {}  # each story's salient terms (hashed), from its canonical text as written
        representative = {i: group[0] for group in exact_groups(self.digests_of_members()).values() for i in group}

        def similarity_to_canonical(index: int) -> float:
            best = canonical[self.labels[index]].index
            if self.digests[index] == self.digests[best]:
                return 1.0
            return jaccard(self.shingles_of(representative[index]), self.shingles_of(representative[best]))

        similarity: dict[int, float] = {}
        titles: dict[int, str] = {}  # members' titles, for a story whose canonical page has none
        with atomic_text(out_dir / "clean.jsonl") as stream:
            sink = JsonlSink(stream)
            for index in range(len(self.corpus.offsets)):
                self.progress.update(index + 1)
                record = self.corpus.record(index)
                root = self.labels.get(index)
                if root is None:
                    record["story"], record["copy_of"] = None, None
                    record["excluded"] = self.excluded.get(index)
                else:
                    best = canonical[root]
                    record["story"] = story_of[index]
                    record["copy_of"] = None if best.index == index else best.id
                    similarity[index] = similarity_to_canonical(index)
                    if usable_title(record.get("title")):
                        titles[index] = record["title"]
                    if best.index == index:
                        terms[story_of[index]] = term_hashes(salient_terms(self.signed_text(record)))
                if self.index is not None:
                    record["seen_before"] = root in self.earlier
                    record["seen_story"] = self.earlier.get(root)
                sink.write(record)

        self.progress.stage("events", len(terms))
        events = group_events(terms, self.options.event_threshold,
                              site_names({m.site for m in self.members.values() if m.site}))
        self.progress.stage("writing", len(by_story))
        with atomic_text(out_dir / "stories.jsonl") as stream:
            sink = JsonlSink(stream)
            for story, root in sorted(by_story.items()):
                best = canonical[root]
                record = self.corpus.record(best.index)
                text = self.current_text(best.index, record)
                members = sorted(groups[root], key=lambda i: (-similarity[i], self.members[i].id, self.members[i].source))
                sink.write({
                    "story": story,
                    "event": events[story],
                    "canonical": best.id,
                    "title": titles.get(best.index) or story_title([titles[i] for i in members if i in titles]),
                    "text": text,
                    "members": [{"id": self.members[i].id, "source": self.members[i].source,
                                 "similarity": round(similarity[i], 4)} for i in members],
                    "size": len(members),
                    **({"seen_before": root in self.earlier, "seen_story": self.earlier.get(root)}
                       if self.index is not None else {}),
                })
        return {"stories": len(by_story), "events": len(set(events.values()))}

    # -- the index of earlier runs (--index) -----------------------------------------------
    def match_earlier(self) -> dict[str, int]:
        """Today's stories that earlier runs saw: each takes the id of the earlier story its
        members match best (ties: the smallest id). Today's stories that match one earlier
        story are joined, as one run over both days would have joined them through its pages."""
        representatives = exact_groups(self.digests_of_members())
        found = self.index.match({rep: self.rows[rep] for rep in representatives})
        scores: dict[int, dict[str, float]] = {}  # today's story -> earlier story -> best estimate
        for rep, matches in found.items():
            held = scores.setdefault(self.labels[rep], {})
            for story, score in matches.items():
                held[story] = max(score, held.get(story, 0.0))
        roots_of: dict[str, list[int]] = {}
        for root, held in sorted(scores.items()):
            roots_of.setdefault(min(held, key=lambda story: (-held[story], story)), []).append(root)
        relabel = {root: min(roots) for roots in roots_of.values() for root in roots}
        self.labels = {index: relabel.get(root, root) for index, root in self.labels.items()}
        self.earlier = {min(roots): story for story, roots in roots_of.items()}
        return {"seen_stories": len(self.earlier),
                "seen_documents": sum(1 for root in self.labels.values() if root in self.earlier),
                "stories_joined": sum(len(roots) - 1 for roots in roots_of.values()),
                "matching_several_earlier": sum(1 for held in scores.values() if len(held) > 1)}

    def story_names(self, canonical: dict[int, Member], keys: dict[int, str]) -> dict[int, str]:
        """Story ids: an earlier story's own id, or one derived from the canonical member's
        key; with an index, a derived id that an earlier, different story holds is derived
        again with a counter (the same document id with another text)."""
        names = {root: self.earlier.get(root) or stable_id("s-", keys[best.index]) for root, best in canonical.items()}
        if self.index is None:
            return names
        fresh = [root for root in sorted(names) if root not in self.earlier]
        taken = self.index.store.existing_stories(names[root] for root in fresh)
        used = set(names.values())
        for root in fresh:
            count = 0
            while names[root] in taken:
                count += 1
                name = stable_id("s-", f"{keys[canonical[root].index]}\t{count}")
                if name not in used and not self.index.store.existing_stories([name]):
                    names[root] = name
                    used.add(name)
        return names

    def remember(self) -> int:
        """Store today's stories and distinct texts in the index; returns the texts added."""
        seen = set(self.earlier.values())
        members = [(self.digests[rep], self.story_of[rep], self.members[rep].id, self.rows[rep])
                   for rep in exact_groups(self.digests_of_members())]
        return self.index.add({story: doc for story, doc in self.canonical_ids.items() if story not in seen}, members)

    def digests_of_members(self) -> dict[int, bytes]:
        return {i: self.digests[i] for i in self.members}



def dedup_file(path: Path | str, out_dir: Path | str, options: DedupOptions = DedupOptions(),
               steps: LocalSteps | None = None, on_reject: Callable[[Reject], None] | None = None,
               progress: Silent | None = None) -> dict[str, Any]:
    """Run the stage on one file of records (read/recordfile.py) into `out_dir`; returns the
    report section. A line that is no record with a text field goes to `on_reject`; `progress`
    is told each step (stories, site templates, events, writing) and each document done. `steps`
    runs signing, bucketing and joins elsewhere (pipeline/run/ray_dedup.py); same result."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    options.validate()
    progress = progress or Silent()
    sited = out_dir / SITED_FILE
    source = RecordFile(Path(path), options.text_field, options.id_field, out_dir, on_reject)
    try:
        progress.stage("site templates")
        sites = strip_site_templates(source, sited, options.text_field, options.id_field, progress.update)
    finally:
        source.close()
    stage = Dedup(sited, options, steps, out_dir, None, progress)
    if removed := sites.pop("removals"):
        stage.removals[TEMPLATE_RULE_ID] += removed
    store = index_stats = None
    try:
        if options.index is not None:  # opened first: a mismatched or unreachable index fails before any work
            store = open_store(options.index)
            stage.index = StoryIndex(store, options.num_perm, options.shingle_size, options.threshold)
        progress.stage("stories")
        stage.read()
        stage.cluster()
        if stage.index is not None:
            progress.stage("stories")
            index_stats = stage.match_earlier()
        make_folder(out_dir)
        progress.stage("writing", len(stage.corpus.offsets))
        written = stage.write(out_dir)
        if stage.index is not None:  # after the outputs: a failed run leaves the index as it was
            index_stats = {"store": type(store).__name__.removesuffix("Store").lower(), **index_stats,
                           "new_stories": written["stories"] - index_stats["seen_stories"],
                           "texts_added": stage.remember(), "held": store.counts()}
    finally:
        stage.corpus.close()
        sited.unlink(missing_ok=True)
        if store is not None:
            store.close()
    reasons: dict[str, int] = {}
    for reason in stage.excluded.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    exact = sum(len(g) - 1 for g in exact_groups(stage.digests_of_members()).values())
    bands, rows = lsh_params(options.threshold * LSH_SLACK, options.num_perm)
    return {
        "documents": len(source.offsets),
        "rejected": source.rejected,
        "distinct_stories": written["stories"],
        "events": written["events"],
        "clustered": len(stage.members),
        "exact_duplicates": exact,
        "near_duplicates": len(stage.members) - written["stories"] - exact,
        "excluded": {"documents": len(stage.excluded), "reasons": dict(sorted(reasons.items()))},
        "removals_per_rule": dict(sorted(stage.removals.items())),
        "site_templates": sites,
        "lsh_candidates": stage.pairs_proposed,
        "jaccard_checks": stage.pairs_verified,
        **({"index": index_stats} if index_stats is not None else {}),
        "options": {
            "threshold": options.threshold, "shingle_size": options.shingle_size, "num_perm": options.num_perm,
            "lsh_bands": bands, "lsh_rows": rows,
            "event_threshold": options.event_threshold,
            "min_words": MIN_WORDS,
        },
    }


def summary(stats: dict[str, Any]) -> str:
    """The run's summary in words: documents, distinct stories, events."""
    def count(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    parts = [count(stats["documents"], "document", "documents"),
             count(stats["distinct_stories"], "distinct story", "distinct stories"),
             count(stats["events"], "event", "events")]
    if "index" in stats:
        parts.append(f"{stats['index']['seen_stories']} of the stories seen before")
    return ", ".join(parts)
