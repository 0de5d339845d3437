"""Incremental dedup (--index): day 2 against an index of day 1, versus one run over both days.

    python bench/incremental.py [--devset DIR] [--bodies 300] [--seed 7] [--repeat 2]

The labelled syndication corpus of bench/syndication.py is split into day A (the first 60%
of pages) and day B (the last 60%: the overlap is re-crawled pages, the rest new pages,
many of them copies of A's stories). Timed, each `--repeat` times (medians printed): the
dedup stage on B with an SQLite index holding A, and on A+B without an index. Scored: of the
B pages whose truth story also has pages in A, the share marked `seen_before`, and of the
others, the share not marked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from syndication import ROOT, build_corpus, clean_devset, storysift_clean  # noqa: E402

from storysift.corpus.dedup import DedupOptions, dedup_file  # noqa: E402
from _devdata import require


def timed(source: Path, out: Path, options: DedupOptions) -> float:
    started = time.perf_counter()
    dedup_file(source, out, options)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "shared" / "devset")
    parser.add_argument("--bodies", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    require(args.devset)
    docs = build_corpus(clean_devset(args.devset), args.bodies, args.seed)
    cut_a, cut_b = int(len(docs) * 0.6), int(len(docs) * 0.4)
    day_a, day_b = docs[:cut_a], docs[cut_b:]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "a").mkdir()
        (work / "b").mkdir()
        clean_a, _ = storysift_clean(day_a, work / "a")
        clean_b, _ = storysift_clean(day_b, work / "b")
        both = work / "both.jsonl"
        both.write_bytes(clean_a.read_bytes() + clean_b.read_bytes())
        with_index, without = [], []
        for n in range(args.repeat):
            index = work / f"index-{n}.sqlite"
            dedup_file(clean_a, work / f"out-a-{n}", DedupOptions(index=str(index)))
            with_index.append(timed(clean_b, work / f"out-b-{n}", DedupOptions(index=str(index))))
            without.append(timed(both, work / f"out-ab-{n}", DedupOptions()))
        stories_a = {d["story"] for d in day_a}
        truth = {d["id"]: d["story"] in stories_a for d in day_b}
        marked = {}
        for line in (work / "out-b-0" / "clean.jsonl").open(encoding="utf-8"):
            record = json.loads(line)
            marked[record["id"]] = bool(record.get("seen_before"))
        seen = [i for i, old in truth.items() if old]
        new = [i for i, old in truth.items() if not old]
        print(f"day A {len(day_a)} pages, day B {len(day_b)} pages ({len(seen)} of a story seen on day A)")
        print(f"dedup stage: B with index of A {statistics.median(with_index):.2f} s, "
              f"A+B without index {statistics.median(without):.2f} s (medians of {args.repeat})")
        print(f"B pages of day-A stories marked seen_before: {sum(marked[i] for i in seen)}/{len(seen)}; "
              f"other B pages not marked: {sum(not marked[i] for i in new)}/{len(new)}")


if __name__ == "__main__":
    main()
