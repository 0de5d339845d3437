"""Speed and memory of the corpus stage (`storysift dedup`) on real text, against datatrove's
MinHash pipeline, a rensa loop and a datasketch loop, all in one run, whole-process.

    python bench/dedup_speed.py [--corpus DIR] [--sizes 1500 20000 100000] [--runs 2]
                                [--systems NAME,...] [--storysift CMD] [--before CMD]
                                [--run-sizes N ...] [--datasketch-max N] [--cache DIR] [--json PATH]

The corpus (bench/_realcorpus.py): `../shared/devcorpus-syndication` (its `clean_body` texts and
its `txt/` pages) scaled up to each size: real paragraphs recombined into new stories, names
renamed and a few words swapped, each story published on 1-8 real sites with a syndicated copy's
edits, wrapped in the furniture of a real page of that site; JSON Lines records with id, title,
url and text, as `storysift clean` writes them. Built once per size into --cache (bench/out/).
Without `../shared` the bench says where it looked and exits 2 (--corpus DIR points elsewhere).
The peers: `pip install datatrove spacy orjson tokenizers 'xxhash<3.6' rensa` (datatrove 0.10's
default English tokenizer is spaCy's; its xxhash call passes text, which xxhash 3.6 refuses).

Systems (rows), each a subprocess timed from start to exit, peak RSS summed over the process tree:
  storysift w1 / w2   `storysift dedup CORPUS --out DIR -q --workers 1|2`: the whole corpus stage
                      (sites, site templates, stories with verified joins, events, clean.jsonl,
                      stories.jsonl, report.json)
  storysift run w2    `storysift run CORPUS --out DIR -q --workers 2`: cleaning the text records,
                      then the corpus stage and report.html; at --run-sizes only (default: the largest)
  before              --before CMD: another storysift (e.g. main's) as `CMD dedup CORPUS --out DIR -q`
  datatrove t1 / t2   datatrove's MinHash pipeline with 1 and 2 tasks (and as many workers):
                      JsonlReader -> MinhashDedupSignature, MinhashDedupBuckets (14 buckets),
                      MinhashDedupCluster, JsonlReader -> MinhashDedupFilter -> JsonlWriter; its
                      default MinhashConfig (word 5-grams, 14 buckets of 8 hashes). Its reader gives
                      each task whole files, so it reads the corpus split into two files.
  rensa               a loop: casefolded \\w+ words, word 5-shingles, RMinHash(128).update,
                      RMinHashLSH(threshold 0.5, 32 bands of 4 rows) insert then query,
                      union-find; writes each id's cluster. One process.
  datasketch          the same loop with MinHash(128).update_batch and MinHashLSH(threshold=0.5);
                      at sizes up to --datasketch-max (default 20,000: ~10 minutes a run at 100k).

Figures: docs/s (documents over wall time, start-up included), steady docs/s (documents beyond
a 200-document corpus over the time beyond that corpus's run: start-up and fixed costs left
out), peak RSS, and ratios against datatrove t2 (speed, memory) and rensa (speed) of the same
run. Each size runs every system --runs times (default 2), interleaved (system by system,
then again), and the table gives the median; the machine's load average is printed with each
run. Under the tables: time and memory growth between consecutive sizes (issue 15 asks for
at most x5.5 time for x5 documents).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from _devdata import SHARED
from _process import load_average, measure, median
from _realcorpus import cached_corpus

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = SHARED / "devcorpus-syndication"
DEFAULT_CACHE = ROOT / "bench" / "out"
STEADY_BASE = 200  # documents of the corpus whose run gives a system's fixed cost
SHINGLE, NUM_PERM, THRESHOLD = 5, 128, 0.5
# rensa needs bands that divide 128: 32 bands of 4 rows put the LSH threshold at (1/32)^(1/4) = 0.42,
# the nearest to datasketch's 0.5 (its 25 bands of 5 rows).
RENSA_BANDS = 32
SYSTEMS = ("storysift w1", "storysift w2", "storysift run w2", "before", "datatrove t1", "datatrove t2", "rensa",
           "datasketch")


# -- the corpus ------------------------------------------------------------------------------
def parts_dir(path: Path) -> Path:
    """The corpus as two files (datatrove's reader gives each task whole files)."""
    folder = path.with_suffix(".parts")
    if not (folder / "done").is_file():
        folder.mkdir(exist_ok=True)
        lines = path.read_bytes().splitlines(keepends=True)
        half = len(lines) // 2
        (folder / "part-0.jsonl").write_bytes(b"".join(lines[:half]))
        (folder / "part-1.jsonl").write_bytes(b"".join(lines[half:]))
        (folder / "done").write_text("")
    return folder


def head_file(path: Path, count: int) -> Path:
    target = path.with_name(f"{path.stem}.head{count}.jsonl")
    if not target.is_file():
        with path.open("rb") as source:
            target.write_bytes(b"".join(line for _, line in zip(range(count), source)))
    return target


# -- the peers, each run as `python bench/dedup_speed.py --peer NAME ...` ---------------------
WORD = re.compile(r"\w+")


def shingles_of(text: str) -> list[str]:
    words = WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else []
    return [" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


def components_out(ids: list[str], pairs, out: Path) -> None:
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "clusters.jsonl").open("w", encoding="utf-8") as stream:
        for i, doc in enumerate(ids):
            stream.write(json.dumps({"id": doc, "cluster": ids[root(i)]}) + "\n")


def records(path: Path):
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            yield record["id"], record["text"]


def peer_rensa(inputs: list[Path], out: Path) -> None:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    ids, signatures = [], []
    for path in inputs:
        for doc, text in records(path):
            signature = RMinHash(num_perm=NUM_PERM, seed=42)
            signature.update(shingles_of(text))
            lsh.insert(len(ids), signature)
            ids.append(doc)
            signatures.append(signature)
    components_out(ids, ((i, j) for i, signature in enumerate(signatures) for j in lsh.query(signature) if j != i),
                   out)


def peer_datasketch(inputs: list[Path], out: Path) -> None:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    ids, signatures = [], []
    for path in inputs:
        for doc, text in records(path):
            signature = MinHash(num_perm=NUM_PERM)
            signature.update_batch([s.encode("utf-8") for s in shingles_of(text)])
            lsh.insert(len(ids), signature)
            ids.append(doc)
            signatures.append(signature)
    components_out(ids, ((i, j) for i, signature in enumerate(signatures) for j in lsh.query(signature) if j != i),
                   out)


def peer_datatrove(folder: Path, out: Path, tasks: int) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    config = MinhashConfig()
    work = out / "work"

    def executor(pipeline, n_tasks: int, name: str) -> LocalPipelineExecutor:
        return LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=min(n_tasks, tasks),
                                     logging_dir=str(work / "logs" / name))

    reader = lambda: JsonlReader(str(folder), glob_pattern="*.jsonl")  # noqa: E731
    executor([reader(), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config)],
             tasks, "signatures").run()
    executor([MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"),
                                  config=config)], config.num_buckets, "buckets").run()
    executor([MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                                  config=config)], 1, "clusters").run()
    executor([reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids")), JsonlWriter(str(out / "kept"))],
             tasks, "filter").run()


def run_peer(args: argparse.Namespace) -> None:
    out = Path(args.out)
    if args.peer == "rensa":
        peer_rensa([Path(p) for p in args.inputs], out)
    elif args.peer == "datasketch":
        peer_datasketch([Path(p) for p in args.inputs], out)
    elif args.peer == "datatrove":
        peer_datatrove(Path(args.inputs[0]), out, args.tasks)
    else:
        raise SystemExit(f"unknown peer {args.peer}")


# -- the bench -------------------------------------------------------------------------------
def command_for(system: str, args: argparse.Namespace, corpus: Path, out: Path) -> list[str] | None:
    me = [sys.executable, str(Path(__file__).resolve())]
    storysift = shlex.split(args.storysift)
    if system in ("storysift w1", "storysift w2"):
        return [*storysift, "dedup", str(corpus), "--out", str(out), "-q", "--workers", system[-1]]
    if system == "storysift run w2":
        return [*storysift, "run", str(corpus), "--out", str(out), "-q", "--workers", "2"]
    if system == "before":
        return [*shlex.split(args.before), "dedup", str(corpus), "--out", str(out), "-q"] if args.before else None
    if system.startswith("datatrove"):
        return [*me, "--peer", "datatrove", "--tasks", system[-1], "--out", str(out), str(parts_dir(corpus))]
    if system in ("rensa", "datasketch"):
        return [*me, "--peer", system, "--out", str(out), str(corpus)]
    raise ValueError(system)


def wanted(system: str, size: int, args: argparse.Namespace, largest: int) -> bool:
    if system == "storysift run w2":
        return size in (args.run_sizes or [largest])
    if system == "datasketch":
        return size <= args.datasketch_max
    if system == "before":
        return bool(args.before)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1500, 20_000, 100_000])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated subset of {', '.join(SYSTEMS)}")
    parser.add_argument("--storysift", default=f"{shlex.quote(sys.executable)} -m storysift.cli")
    parser.add_argument("--before", help="another storysift command to run as the 'before' row")
    parser.add_argument("--run-sizes", type=int, nargs="*", help="sizes at which `storysift run` is measured")
    parser.add_argument("--datasketch-max", type=int, default=20_000)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--tasks", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("inputs", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        run_peer(args)
        return
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if unknown := sorted(set(systems) - set(SYSTEMS)):
        parser.error(f"--systems: unknown {', '.join(unknown)} (choose from {', '.join(SYSTEMS)})")
    if not (args.corpus / "labels.json").is_file():
        print(f"dedup_speed.py: no labelled corpus at {args.corpus} (the ../shared data beside the repo: "
              "labels.json and txt/); pass --corpus DIR", file=sys.stderr)
        raise SystemExit(2)
    args.cache.mkdir(parents=True, exist_ok=True)
    largest = max(args.sizes)
    results: dict[int, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="storysift-dedup-speed-") as tmp:
        for size in args.sizes:
            corpus = cached_corpus(args.cache, size, args.corpus)
            base = head_file(corpus, STEADY_BASE)
            chosen = [s for s in systems if wanted(s, size, args, largest)]
            print(f"\n{size:,} documents, {corpus.stat().st_size / 2**20:,.0f} MB ({corpus.name}); "
                  f"{load_average()}", flush=True)
            figures: dict[str, dict] = defaultdict(lambda: {"seconds": [], "rss": [], "base_seconds": []})
            for system in chosen:  # the fixed cost of each system, once
                command = command_for(system, args, base, Path(tmp) / "base")
                figures[system]["base_seconds"].append(timed(command, system)[0])
            for run in range(args.runs):
                for system in chosen:
                    seconds, rss = timed(command_for(system, args, corpus, Path(tmp) / f"out-{run}"), system)
                    figures[system]["seconds"].append(seconds)
                    figures[system]["rss"].append(rss)
                    print(f"  run {run + 1}: {system:<17} {seconds:8.1f} s {rss:8.0f} MB  ({load_average()})", flush=True)
            results[size] = dict(figures)
            print_table(size, results[size])
    print_growth(results)
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2) + "\n")


def timed(command: list[str], system: str) -> tuple[float, float]:
    import shutil

    out = Path(command[command.index("--out") + 1])
    shutil.rmtree(out, ignore_errors=True)
    result = measure(command)
    shutil.rmtree(out, ignore_errors=True)
    if result.returncode:
        raise SystemExit(f"{system} failed (exit {result.returncode}): {shlex.join(command)}\n{result.stderr}")
    return result.seconds, result.peak_rss_mb


def summarise(size: int, figures: dict) -> dict[str, dict]:
    rows = {}
    for system, f in figures.items():
        seconds, rss, fixed = median(f["seconds"]), median(f["rss"]), f["base_seconds"][0]
        rows[system] = {"seconds": seconds, "rss": rss, "docs_s": size / seconds,
                        "steady": (size - STEADY_BASE) / (seconds - fixed) if seconds > fixed else float("nan"),
                        "runs": f["seconds"], "rss_runs": f["rss"]}
    return rows


def print_table(size: int, figures: dict) -> None:
    rows = summarise(size, figures)
    peer, fast = rows.get("datatrove t2"), rows.get("rensa")
    header = (f"{'system':<17} {'docs/s':>8} {'steady':>8} {'peak MB':>8} {'vs dt t2':>8} {'vs rensa':>8} "
              f"{'mem/dt t2':>9}  seconds (runs)")
    print(f"\n{size:,} documents (medians of {len(next(iter(figures.values()))['seconds'])} runs)\n{header}\n{'-' * len(header)}")
    for system, r in rows.items():
        speed = f"x{r['docs_s'] / peer['docs_s']:.2f}" if peer else "-"
        versus = f"x{r['docs_s'] / fast['docs_s']:.2f}" if fast else "-"
        memory = f"x{r['rss'] / peer['rss']:.2f}" if peer else "-"
        print(f"{system:<17} {r['docs_s']:8.0f} {r['steady']:8.0f} {r['rss']:8.0f} {speed:>8} {versus:>8} {memory:>9}  "
              f"{', '.join(f'{s:.1f}' for s in r['runs'])} s; {', '.join(f'{m:.0f}' for m in r['rss_runs'])} MB", flush=True)


def print_growth(results: dict[int, dict]) -> None:
    sizes = sorted(results)
    for small, large in zip(sizes, sizes[1:]):
        a, b = summarise(small, results[small]), summarise(large, results[large])
        print(f"\nx{large / small:.1f} documents ({small:,} -> {large:,}): time and peak memory growth")
        for system in b:
            if system in a:
                print(f"  {system:<17} time x{b[system]['seconds'] / a[system]['seconds']:5.2f}   "
                      f"memory x{b[system]['rss'] / a[system]['rss']:5.2f}")


if __name__ == "__main__":
    main()
