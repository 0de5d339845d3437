"""The corpus stage: reads records with a text field (ours, or any: read/recordfile.py), gives
each its site and learns each site's template (sitepass.py), writes the records without it as it
signs them, collapses copies into distinct stories and groups stories into events; writes
clean.jsonl (with `site`, `story`, `copy_of`) and stories.jsonl. The work on each document
(batches.py) runs a batch at a time here or on worker processes (`LocalSteps.map`, which
pipeline/run/pool_dedup.py replaces), with the same output. Memory holds signatures, file
offsets and a few facts a document; texts are re-read by offset and shingle sets from a file
(setstore.py)."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from storysift.corpus.batches import (
    COPIES_READ,
    STUB,
    Fields,
    HeadlineKeys,
    Label,
    SignContext,
    Work,
    WriteContext,
    batched,
    in_process,
    story_records,
    strip_and_sign,
    write_records,
)
from storysift.corpus.events import group_events, site_names
from storysift.corpus.index import StoryIndex, open_store
from storysift.corpus.options import (  # noqa: F401  (the stage's options, named here too)
    DEFAULT_NUM_PERM,
    DEFAULT_SHINGLE_SIZE,
    DEFAULT_THRESHOLD,
    DedupOptions,
    summary,
)
from storysift.corpus.minhash import Rows
from storysift.corpus.setstore import ShingleSets
from storysift.corpus.sitepass import SitePass, learn_site_templates
from storysift.corpus.titles import story_title
from storysift.corpus.shingles import jaccard
from storysift.corpus.stories import (
    COPIES,
    FIRST_WITHIN,
    LSH_SLACK,
    UNRELATED,
    MIN_WORDS,
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
from storysift.document import Reject
from storysift.read.recordfile import RecordFile
from storysift.write.outputs import atomic_binary, atomic_text, make_folder

# The records with their sites and without site templates, read by the later steps; removed
# when the stage ends.
SITED_FILE = ".storysift-sited.jsonl"
# Texts sharing a paragraph are checked against each other while at most this many hold it; a
# paragraph on more pages is furniture the site step did not know (a syndication notice).
MAX_PARAGRAPH_DOCS = 1000
# A text this short (its headline counted) joins a story by its headline (`join_by_headline`):
# a teaser of a headline, a byline and a date, such as the 13-word story `python bench/stories.py`
# names as the one split the most on ../shared/devcorpus-syndication.
SHORT_TEXT_WORDS = 25
# A short text whose headline no story carries word for word joins the one story of longer texts
# whose headline shares this share of each headline's distinct words: the same headline with a
# kicker ("Report:", "UPDATE:") or a word dropped, as syndicated copies retitle it.
HEADLINE_OVERLAP = Fraction(4, 5)  # exact: 0.8 * 15 is 12.000000000000002 in floating point
# When several stories of longer texts carry a short text's headline, it joins the one that holds
# this share of the longer texts carrying it: a teaser's headline is its story's on most of
# its copies, while "Open thread" stands on many stories alike.
HEADLINE_MAJORITY = Fraction(4, 5)
# Two pages of one site join only this alike: the same page under two addresses, not two
# stories that share what the site prints around them.
SAME_SITE_THRESHOLD = 0.8


class Silent:
    """Where the stage tells its progress (run/progress.Progress shows it): here, nowhere."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def update(self, done: int) -> None:
        pass


class LocalSteps:
    """Where the stage's work runs: the work on each document (`map`) and the corpus-wide steps
    of story clustering (LSH band bucketing, verified joins), here in this process.
    pipeline/run/pool_dedup.py runs `map` on worker processes and pipeline/run/ray_dedup.py the
    steps as Ray tasks, with the same results."""

    def map(self, work: Work, context: Any, batches: Iterable[list], step: str = "") -> Iterator[tuple[list, list]]:
        """(batch, work(context, batch)) for each batch, in order; `step` names the step
        ("sites", "sign", "write") for an executor that runs some elsewhere."""
        return in_process(work, context, batches, step)

    def buckets(self, keys: np.ndarray, slots_of: Callable[[int, int], np.ndarray], num_perm: int,
                threshold: float) -> list[list[int]]:
        return band_buckets(keys, slots_of, num_perm, threshold)

    def join(self, buckets: list[list[int]], shingles_of: Callable[[int], np.ndarray], verification: Verification,
             union: UnionFind, allow: Callable[[int, int, int], bool] | None = None) -> tuple[int, int]:
        return join_buckets(buckets, shingles_of, verification, union, allow)


class Dedup:
    """One run of the stage over one file; see `dedup_file`."""

    def __init__(self, sited: Path, options: DedupOptions, steps: LocalSteps | None = None,
                 work_dir: Path | None = None, progress: Silent | None = None):
        options.validate()
        self.options = options
        self.steps = steps or LocalSteps()
        self.progress = progress or Silent()
        self.removals: Counter[str] = Counter()  # what this stage removed, by rule
        self.sited = sited  # the records with their sites, without templates: written by `sign`
        self.corpus: RecordFile | None = None  # `sited` read back by index
        self.work_dir = work_dir or sited.parent
        self.members: dict[int, Member] = {}
        self.excluded: dict[int, str] = {}
        self.digests: dict[int, bytes] = {}  # members only: an excluded text has none
        self.rows = Rows(options.num_perm)  # signature by corpus index (EMPTY where none)
        self.labels: dict[int, int] = {}
        self.candidate_keys: dict[int, np.ndarray] = {}  # each text's paragraph and headline keys (batches.Signed.candidates)
        self.headlines: dict[int, HeadlineKeys] = {}  # for texts with a headline (batches.Headline.keys)
        self.sets = ShingleSets(self.work_dir)
        self.pairs_proposed = 0
        self.pairs_verified = 0
        self.index: StoryIndex | None = None  # earlier runs' stories (--index)
        self.earlier: dict[int, str] = {}  # today's story (its label) -> the earlier story's id
        self.story_of: dict[int, str] = {}
        self.verification = Verification(options.threshold)
        self.canonical_ids: dict[str, str] = {}

    def close(self) -> None:
        if self.corpus is not None:
            self.corpus.close()
        self.sets.close()

    # -- reading ---------------------------------------------------------------------------
    def sign(self, source: RecordFile, sites: SitePass) -> None:
        """The one pass that writes the records without their site templates and signs them:
        every document is read and tokenised once, in batches (batches.strip_and_sign)."""
        context = SignContext(Fields(self.options.text_field, self.options.id_field), sites.templates.view,
                              self.options.shingle_size, self.options.num_perm, str(source.path))
        items = ((index, sites.sites[index], line) for index, line in source.raws(range(len(source.offsets))))
        offsets = array("q")
        position = 0
        with atomic_binary(self.sited) as stream:
            for batch, results in self.steps.map(strip_and_sign, context, batched(items, lambda item: len(item[2])),
                                                 "sign"):
                for (index, site, _), signed in zip(batch, results):
                    offsets.append(position)
                    stream.write(signed.line)
                    position += len(signed.line)
                    self.removals.update(signed.removals)
                    sites.templates.counted(site, signed.template_lines, signed.template_words)
                    self.candidate_keys[index] = signed.candidates
                    if signed.headline is not None:
                        self.headlines[index] = signed.headline
                    if signed.shingles is None:
                        self.excluded[index] = signed.excluded
                    else:  # a stub too (under MIN_WORDS words): it may join a story by its headline
                        doc_id, doc_source, removals, date, doc_site = signed.meta
                        self.members[index] = Member(index, doc_id, doc_source, signed.words, removals, date, doc_site)
                        self.digests[index] = signed.digest
                        self.rows[index] = signed.signature
                        self.sets.add(index, signed.shingles)
                    self.progress.update(index + 1)
        self.corpus = RecordFile(self.sited, self.work_dir)
        self.corpus.offsets = offsets

    def shingles_of(self, index: int) -> np.ndarray:
        """A document's shingle set, from the file of sets."""
        return self.sets[index]

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
        ranks = [r for r in sorted(representatives) if not self.members[by_rank[r]].stub]  # stubs join by headline only
        indices = np.array([by_rank[r] for r in ranks], dtype=np.int64)
        buckets = self.steps.buckets(np.array(ranks, dtype=np.int64),
                                     lambda start, end: self.rows.columns(start, end, indices),
                                     self.options.num_perm, self.options.threshold)
        buckets += self.shared_key_buckets(ranks, by_rank)
        proposed, checked = self.steps.join(buckets, lambda r: self.shingles_of(by_rank[r]), self.verification,
                                            union, self.allowed(by_rank))
        self.pairs_proposed += proposed
        self.pairs_verified += checked
        self.join_by_headline(union, rank)
        stories: dict[int, list[int]] = {}
        for index in self.members:
            stories.setdefault(union.find(rank[index]), []).append(index)
        stories = {root: group for root, group in stories.items() if not all(self.members[i].stub for i in group)}
        self.labels = {index: min(group) for group in stories.values() for index in group}
        for index in [index for index in self.members if index not in self.labels]:  # stubs that joined no story
            del self.members[index], self.digests[index]
            self.excluded[index] = STUB

    def join_by_headline(self, union: UnionFind, rank: dict[int, int]) -> None:
        """A story made only of short texts (under SHORT_TEXT_WORDS words, headline counted: a
        stub, a teaser that is a headline, a byline and a date) joins the story of longer texts
        that holds HEADLINE_MAJORITY of the longer texts carrying its headlines: a headline
        several stories carry alike ("Open thread") says nothing. Shingles cannot tell such texts apart: a teaser's dozen words are within an
        article only if that copy has the same headline and byline."""
        long_roots: set = set()
        carriers_of: dict[bytes, list[int]] = {}  # headline -> the longer texts that carry it
        holders: dict[int, list[int]] = {}  # headline word -> the longer texts whose headline has it
        for index, member in self.members.items():
            if member.words >= SHORT_TEXT_WORDS:
                root = union.find(rank[index])
                long_roots.add(root)
                if index in self.headlines:
                    carriers_of.setdefault(self.headlines[index].key, []).append(index)
                    for word in self.headlines[index].words.tolist():
                        holders.setdefault(word, []).append(index)
        short: dict = {}  # the stories of short texts only -> their members
        for index in self.members:
            if (root := union.find(rank[index])) not in long_roots:
                short.setdefault(root, []).append(index)
        for root, indices in sorted(short.items()):
            headlines = [self.headlines[i] for i in indices if i in self.headlines]
            carriers = {other for headline in headlines for other in carriers_of.get(headline.key, ())}
            if not carriers:
                carriers = {other for headline in headlines for other in self.near_headlines(headline, holders)}
            if carriers:
                held = Counter(union.find(rank[other]) for other in carriers)
                story, most = min(held.items(), key=lambda item: (-item[1], item[0]))
                if most >= HEADLINE_MAJORITY * len(carriers):
                    union.union(root, story)

    def near_headlines(self, headline: HeadlineKeys, holders: dict[int, list[int]]) -> set[int]:
        """The longer texts (of `holders`: headline word -> texts) whose headline shares
        HEADLINE_OVERLAP of each headline's words with `headline`, and its figures ("Week 12 recap"
        and "Week 13 recap" are two stories). Such a headline lacks at most `missing` of its
        words, so it holds one of the `missing` + 1 rarest: those give the candidates."""
        words = headline.words
        missing = len(words) - math.ceil(HEADLINE_OVERLAP * len(words))
        rarest = sorted(words.tolist(), key=lambda word: (len(holders.get(word, ())), word))[:missing + 1]
        near = set()
        for other in sorted({other for word in rarest for other in holders.get(word, ())}):
            theirs = self.headlines[other]
            shared = len(np.intersect1d(words, theirs.words, assume_unique=True))
            if theirs.figures == headline.figures and shared >= HEADLINE_OVERLAP * max(len(words), len(theirs.words)):
                near.add(other)
        return near

    def shared_key_buckets(self, ranks: list[int], by_rank: list[int]) -> list[list[int]]:
        """Candidates LSH can miss: texts sharing a paragraph word for word or a headline (a
        teaser and its article), one bucket per such key that two to MAX_PARAGRAPH_DOCS texts hold."""
        holders: dict[int, list[int]] = {}
        for r in ranks:
            for key in self.candidate_keys[by_rank[r]].tolist():
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

        def label(index: int) -> Label:
            root = self.labels.get(index)
            seen = {"seen_before": root in self.earlier, "seen_story": self.earlier.get(root)}
            if root is None:
                return Label(None, excluded=self.excluded.get(index), **seen)
            best = canonical[root].index
            # Two texts of one digest have one shingle set (the same words).
            similarity = 1.0 if self.digests[index] == self.digests[best] else (*self.sets.where(index),
                                                                                *self.sets.where(best))
            others = [i for i in copies.get(root, ()) if i != index][:COPIES_READ]
            return Label(story_of[index], None if best == index else canonical[root].id, canonical=best == index,
                         similarity=similarity, copies=tuple(self.sets.where(i) for i in others), **seen)

        terms: dict[str, np.ndarray] = {}  # each story's salient terms (hashed), from its canonical text as written
        similarity: dict[int, float] = {}
        titles: dict[int, str] = {}  # members' titles, for a story whose canonical page has none
        # The copies whose sets a member's deferred lines are compared with: its story's first
        # members by id, whatever the order of the input.
        copies = {root: sorted(indices, key=lambda i: (self.members[i].id, self.members[i].source))[:COPIES_READ + 1]
                  for root, indices in groups.items() if len(indices) > 1}
        context = WriteContext(self.options.text_field, self.sets.flushed(), self.index is not None,
                               self.options.shingle_size)
        items = ((index, label(index), line) for index, line in self.corpus.raws(range(len(self.corpus.offsets))))
        with atomic_text(out_dir / "clean.jsonl") as stream:
            for batch, results in self.steps.map(write_records, context, batched(items, lambda item: len(item[2])),
                                                 "write"):
                for (index, label_of, _), (line, value, title, hashed, removals) in zip(batch, results):
                    self.progress.update(index + 1)
                    self.removals.update(removals)
                    stream.write(line)
                    stream.write("\n")
                    if value is not None:
                        similarity[index] = value
                    if title is not None:
                        titles[index] = title
                    if hashed is not None:
                        terms[label_of.story] = hashed

        self.progress.stage("events", len(terms))
        events = group_events(terms, self.options.event_threshold,
                              site_names({m.site for m in self.members.values() if m.site}))
        self.progress.stage("writing", len(by_story))

        def story_items() -> Iterator[tuple[dict, dict, bytes]]:
            for story, root in sorted(by_story.items()):
                best = canonical[root]
                members = sorted(groups[root], key=lambda i: (-similarity[i], self.members[i].id, self.members[i].source))
                head = {"story": story, "event": events[story], "canonical": best.id,
                        "title": titles.get(best.index) or story_title([titles[i] for i in members if i in titles])}
                tail = {"members": [{"id": self.members[i].id, "source": self.members[i].source,
                                     "similarity": round(similarity[i], 4)} for i in members],
                        "size": len(members),
                        **({"seen_before": root in self.earlier, "seen_story": self.earlier.get(root)}
                           if self.index is not None else {})}
                yield head, tail, label(best.index), self.corpus.raw(best.index)

        with atomic_text(out_dir / "stories.jsonl") as stream:
            for _, lines in self.steps.map(story_records, context,
                                           batched(story_items(), lambda item: len(item[3])), "write"):
                for line in lines:
                    stream.write(line)
                    stream.write("\n")
        return {"stories": len(by_story), "events": len(set(events.values()))}

    # -- the index of earlier runs (--index) -----------------------------------------------
    def match_earlier(self) -> dict[str, int]:
        """Today's stories that earlier runs saw: each takes the id of the earlier story its
        members match best (ties: the smallest id). Today's stories that match one earlier
        story are joined, as one run over both days would have joined them through its pages."""
        representatives = exact_groups(self.digests)
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
                   for rep in exact_groups(self.digests)]
        return self.index.add({story: doc for story, doc in self.canonical_ids.items() if story not in seen}, members)




def dedup_file(path: Path | str, out_dir: Path | str, options: DedupOptions = DedupOptions(),
               steps: LocalSteps | None = None, on_reject: Callable[[Reject], None] | None = None,
               progress: Silent | None = None) -> dict[str, Any]:
    """Run the stage on one file of records (read/recordfile.py) into `out_dir`; returns the
    report section. A line that is no record with a text field goes to `on_reject`; `progress`
    is told each step (site templates, stories, events, writing) and each document done. `steps`
    runs the work on each document and the corpus-wide steps elsewhere (a process pool:
    pipeline/run/pool_dedup.py; Ray: pipeline/run/ray_dedup.py); same result."""
    out_dir = Path(out_dir)
    make_folder(out_dir)  # the sited file and the shingle sets are written there
    options.validate()
    progress = progress or Silent()
    steps = steps or LocalSteps()
    source = RecordFile(Path(path), out_dir, on_reject)
    stage = store = index_stats = None
    try:
        progress.stage("site templates")
        sites = learn_site_templates(source, Fields(options.text_field, options.id_field), out_dir, steps.map,
                                     progress.update)
        stage = Dedup(out_dir / SITED_FILE, options, steps, out_dir, progress)
        if options.index is not None:  # opened first: a mismatched or unreachable index fails before any work
            store = open_store(options.index)
            stage.index = StoryIndex(store, options.num_perm, options.shingle_size, options.threshold)
        progress.stage("stories", len(source.offsets))
        stage.sign(source, sites)
        source.close()
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
        source.close()
        if stage is not None:
            stage.close()
        (out_dir / SITED_FILE).unlink(missing_ok=True)
        if store is not None:
            store.close()
    reasons: dict[str, int] = {}
    for reason in stage.excluded.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    exact = sum(len(g) - 1 for g in exact_groups(stage.digests).values())
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
        "site_templates": sites.report(),
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
