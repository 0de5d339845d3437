"""Load benchmark: the whole pipeline (`storysift run`) on generated corpora of growing size.

Prints documents per second, peak memory (RSS summed over the storysift process and its
workers, sampled every 0.05 s: bench/_process.py) and how both grow from the smallest to the largest corpus. The
corpus is synthetic but shaped like a scrape: articles of 4-9 paragraphs, a fifth of them
republished copies in another site's furniture (headline lists, share lines, newsletter
prompts, footers), so cleaning and dedup both do real work.

    python bench/load.py --sizes 10000 100000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

from _process import load_average, measure as measure_command

WORDS = ("harbour council ferry budget minister report election union school hospital river bridge "
         "market price energy storm police court museum festival library railway airport factory "
         "farmers students teachers workers voters residents officials analysts engineers doctors "
         "approved rejected announced delayed expanded reduced opened closed funded criticised "
         "quickly slowly finally again today yesterday recently nearly almost openly quietly").split()
SITES = [
    {"footer": f"© 2026 Site {n} Media. All rights reserved.",
     "headlines": [f"{w.title()} {v.title()} Plans Move Ahead In {c.title()}" for w, v, c in
                   zip(WORDS[n:n + 6], WORDS[n + 10:n + 16], WORDS[n + 20:n + 26])]}
    for n in range(12)
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 22))]
    return " ".join(words).capitalize() + "."


def article(rng: random.Random, n: int) -> list[str]:
    title = f"Story {n}: " + " ".join(rng.choice(WORDS) for _ in range(6)).title()
    return [title] + [" ".join(sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(4, 9))]


def page(rng: random.Random, body: list[str], site: dict) -> str:
    headlines = rng.sample(site["headlines"], 5)
    lines = [body[0], "Share on Facebook", *body[1:], "Sign up for our daily newsletter", "", *headlines, site["footer"]]
    return "\n".join(lines)


def write_corpus(path: Path, size: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    bodies: list[list[str]] = []
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            if bodies and rng.random() < 0.2:
                body = list(rng.choice(bodies))
                body[0] = body[0] + " (updated)"
            else:
                body = article(rng, n)
                if len(bodies) < 5000:
                    bodies.append(body)
            text = page(rng, body, rng.choice(SITES))
            out.write(json.dumps({"id": f"doc-{n:07d}", "text": text}) + "\n")


def measure(corpus: Path, out: Path, workers: int) -> dict[str, float]:
    command = [sys.executable, "-m", "storysift.cli", "run", str(corpus), "--out", str(out), "-q",
               "--workers", str(workers)]
    result = measure_command(command)
    if result.returncode:
        raise SystemExit(f"storysift run failed with exit code {result.returncode}:\n{result.stderr}")
    report = json.loads((out / "report.json").read_text())
    return {"seconds": result.seconds, "peak_rss_mb": result.peak_rss_mb,
            "docs_per_s": report["inputs"]["read"] / result.seconds, "stories": report["dedup"]["distinct_stories"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            corpus = Path(tmp) / f"corpus-{size}.jsonl"
            write_corpus(corpus, size)
            corpus_mb = corpus.stat().st_size / 2**20
            figures = measure(corpus, Path(tmp) / f"out-{size}", args.workers)
            rows.append({"documents": size, "corpus_mb": corpus_mb, **figures})
            print(f"{size:>9,} docs  {corpus_mb:8.1f} MB in  {figures['seconds']:8.1f} s  "
                  f"{figures['docs_per_s']:8.1f} docs/s  peak RSS {figures['peak_rss_mb']:7.1f} MB  "
                  f"{figures['stories']:,} stories  ({load_average()})", flush=True)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"x{last['documents'] / first['documents']:.0f} documents: time x{last['seconds'] / first['seconds']:.2f}, "
              f"peak RSS x{last['peak_rss_mb'] / first['peak_rss_mb']:.2f}, corpus text x{last['corpus_mb'] / first['corpus_mb']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
