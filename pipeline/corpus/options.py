"""The corpus stage's options, their defaults and the words of its summary: what the command
line needs to show `--help` and to refuse bad options, without importing the stage (numpy and
the rest load when it runs; `storysift --help` stays light)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
# Two stories are related when the rarity-weighted names they share make up this share of the
# names of the one with fewer (events.NameTable.related). Seeds (five reports of one event): pairs
# score 0.30 .. 1.0 and form one event; at 0.4 they split in three.
DEFAULT_EVENT_THRESHOLD = 0.3


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
            from storysift.corpus.stories import LSH_SLACK, lsh_params

            try:
                lsh_params(self.threshold * LSH_SLACK, self.num_perm)
            except ValueError as exc:
                found.append(f"--threshold {self.threshold} with --num-perm {self.num_perm}: {exc}; "
                             "raise --num-perm or the threshold")
        if not self.text_field or not self.id_field:
            found.append("--text-field and --id-field must name a field")
        if self.index is not None:
            from storysift.corpus.index import location_problem

            if problem := location_problem(self.index):
                found.append(problem)
        return found

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))


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
