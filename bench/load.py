"""Load benchmark: the whole pipeline as a user runs it, `storysift run CORPUS --out DIR -q
--workers 2` (cleaning, then the corpus stage and report.html), on corpora of real text of growing size.

The corpus (bench/_realcorpus.py): `../shared/devcorpus-syndication` scaled up to each size, real
article paragraphs recombined into new stories, each published on 1-8 real sites and wrapped in
the furniture of a real page of that site. The input is what a scrape gives `run`: JSON Lines
records `{"id", "title", "url", "text"}`, the text of the whole page (furniture included) with its
URL and headline. Built once per size into --cache (bench/out/; bench/dedup_speed.py shares it).

Prints, per size: wall time (start-up included), docs/s, peak RSS (summed over the storysift process
and its workers, sampled every 0.05 s: bench/_process.py), stories found, the seconds of each stage
that report.json gives, and the load average; then the growth of time, memory and corpus bytes from the
smallest to the largest size.

    python bench/load.py [--sizes 10000 100000] [--workers 2] [--cache DIR] [--corpus DIR]
                         [--storysift CMD] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

from _devdata import SHARED
from _process import load_average, measure as measure_command
from _realcorpus import cached_corpus

ROOT = Path(__file__).resolve().parent.parent


def measure(storysift: list[str], corpus: Path, out: Path, workers: int) -> dict:
    command = [*storysift, "run", str(corpus), "--out", str(out), "-q", "--workers", str(workers)]
    result = measure_command(command)
    if result.returncode:
        raise SystemExit(f"storysift run failed with exit code {result.returncode}:\n{result.stderr}")
    report = json.loads((out / "report.json").read_text())
    return {"seconds": result.seconds, "peak_rss_mb": result.peak_rss_mb,
            "docs_per_s": report["inputs"]["read"] / result.seconds, "stories": report["dedup"]["distinct_stories"],
            "stage_seconds": report["run"]["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=SHARED / "devcorpus-syndication",
                        help="the labelled corpus the real text comes from")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "out", help="where the built corpora are kept")
    parser.add_argument("--storysift", default=f"{shlex.quote(sys.executable)} -m storysift.cli")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if not (args.corpus / "labels.json").is_file():
        print(f"load.py: no labelled corpus at {args.corpus} (the ../shared data beside the repo: labels.json and "
              "txt/); pass --corpus DIR", file=sys.stderr)
        raise SystemExit(2)
    rows = []
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        for size in args.sizes:
            corpus = cached_corpus(args.cache, size, args.corpus)
            corpus_mb = corpus.stat().st_size / 2**20
            before = load_average()
            figures = measure(shlex.split(args.storysift), corpus, Path(tmp) / f"out-{size}", args.workers)
            rows.append({"documents": size, "corpus_mb": corpus_mb, "load_before": before, "load_after": load_average(),
                         **figures})
            stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in figures["stage_seconds"].items())
            print(f"{size:>9,} docs  {corpus_mb:8.1f} MB in  {figures['seconds']:8.1f} s  "
                  f"{figures['docs_per_s']:8.1f} docs/s  peak RSS {figures['peak_rss_mb']:7.1f} MB  "
                  f"{figures['stories']:,} stories\n          stage seconds: {stages}\n"
                  f"          before: {before}; after: {rows[-1]['load_after']}", flush=True)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"x{last['documents'] / first['documents']:.0f} documents: time x{last['seconds'] / first['seconds']:.2f}, "
              f"peak RSS x{last['peak_rss_mb'] / first['peak_rss_mb']:.2f}, corpus bytes x{last['corpus_mb'] / first['corpus_mb']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
