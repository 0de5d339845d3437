"""The dedup stage on the local engine and on a local Ray, on generated words (bench/_wordcorpus.py).

    python bench/ray_dedup.py [--documents 20000] [--cpus 2] [--repeat 2]

Runs alternate (local, Ray, local, Ray, ...) after one untimed Ray run that starts the workers;
each prints its seconds, and Ray runs the tasks per step. Every run's clean.jsonl and
stories.jsonl are checked byte-identical to the first local run's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _wordcorpus import write_corpus  # noqa: E402

from storysift.corpus.dedup import dedup_file  # noqa: E402
from storysift.run.ray_dedup import RaySteps  # noqa: E402


def same_files(left: Path, right: Path) -> bool:
    return all((left / n).read_bytes() == (right / n).read_bytes() for n in ("clean.jsonl", "stories.jsonl"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--cpus", type=int, default=2, help="num_cpus of the local Ray")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        corpus, reference = Path(tmp) / "corpus.jsonl", Path(tmp) / "reference"
        write_corpus(corpus, args.documents)
        dedup_file(corpus, reference)
        dedup_file(corpus, Path(tmp) / "warm", steps=RaySteps())
        for run in range(args.repeat):
            for engine in ("local", "ray"):
                steps = RaySteps() if engine == "ray" else None
                out = Path(tmp) / f"{engine}-{run}"
                started = time.perf_counter()
                dedup_file(corpus, out, steps=steps)
                seconds = time.perf_counter() - started
                print(f"{engine:5} {seconds:6.2f} s  {args.documents:,} documents  identical: {same_files(reference, out)}"
                      + (f"  ({steps.summary()})" if steps else ""), flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
