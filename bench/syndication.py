"""Copy detection speed, and a sanity check of quality, on a syndication corpus this project
generates from devset pages: plain datasketch MinHash on the raw pages versus storysift
(cleaning + dedup stage), in one run. The quality reference is bench/stories.py, on a corpus
made by others (../shared/devcorpus-syndication); this generator's pages are mostly article,
so its figures flatter every system. It stays for speed and for bench/incremental.py.

    python bench/syndication.py [--devset DIR] [--bodies N] [--seed S] [--json OUT] [--sweep]

The corpus: article bodies are the clean text of devset pages (`../shared/devset`); page
furniture is real too (what the rules removed from devset pages, the `without` snippets of
expectations.json, devset titles as related headlines). Each of 15 sites wraps every page in
its own header, ad block, related-headlines list (5 of its 12 headlines, rotating per page),
newsletter prompt and footer. Each body is published on 1..6 sites; every copy after the first
gets realistic edits: a new headline, maybe the last paragraph dropped, maybe an "Originally
published by" line, 2..6 words changed. Truth: one story per body. Near misses: for one body
in five a follow-up story opens with its first two paragraphs and goes on with new text; it is
a distinct story.

Scores (pairs of pages put in one story): precision, recall, F1, adjusted Rand index, and
distinct stories found against the truth; "same-site merges" counts pairs of different stories
from one site that were put together (must be 0). `--sweep` scores a grid of dedup options.
Speed, documents per second on the same clean pages: a plain datasketch loop (MinHash().update
per shingle, then MinHashLSH insert + query), rensa (RMinHash + RMinHashLSH), storysift's copy
detection alone (the same work: shingles, batch signatures, LSH, plus exact verification), and
storysift's whole dedup stage (also site templates, events, reading and writing).
The clean bodies are cached in bench/out/ (first run cleans ~600 pages: ~1 minute).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from math import comb
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from storysift.clean.page import clean_document
from storysift.corpus.dedup import DedupOptions, dedup_file
from storysift.corpus.minhash import Signer
from storysift.corpus.shingles import hashed_words, jaccard, shingle_set, shingles
from storysift.corpus.stories import UnionFind, join_buckets, lsh_buckets
from storysift.document import InputError
from storysift.read.documents import make_document
from storysift.ruleset.load import load_rules
from storysift.write.outputs import JsonlSink, atomic_text
from _devdata import require

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "out" / "devset-clean.jsonl"
SITES = 15
COPIES = [1, 1, 1, 2, 2, 2, 3, 3, 4, 6]  # drawn per body: mean 2.5 pages per story
MIN_BODY_WORDS = 150
FOLLOW_UP_SHARE = 0.2  # follow-up stories per body


# -- the corpus ------------------------------------------------------------------------------
def clean_devset(devset: Path) -> list[dict]:
    """Every devset page cleaned once: text, title and the pieces the rules removed."""
    if CACHE.exists():
        return [json.loads(line) for line in CACHE.open(encoding="utf-8")]
    rules = load_rules()
    expectations = json.loads((devset / "expectations.json").read_text(encoding="utf-8"))
    pages = []
    for name in sorted(expectations):
        try:
            raw = make_document((devset / "html" / name).read_bytes(), name, name, url=expectations[name]["url"])
            doc = clean_document(raw, rules)
        except (InputError, RecursionError, ValueError):
            continue
        pages.append({"id": name, "title": doc.title, "text": doc.text,
                      "removed": [r.text for r in doc.removed], "without": expectations[name].get("without", [])})
    with atomic_text(CACHE) as stream:
        sink = JsonlSink(stream)
        for page in pages:
            sink.write(page)
    return pages


def furniture_pool(pages: list[dict]) -> list[str]:
    pool = set()
    for page in pages:
        for text in page["removed"] + page["without"]:
            text = " ".join(text.split())
            if 4 <= len(text.split()) <= 60:
                pool.add(text)
    return sorted(pool)


def make_site(rng: random.Random, k: int, pool: list[str], headlines: list[str]) -> dict:
    return {
        "name": f"site{k:02d}.example",
        "header": rng.choice(pool),
        "ad": rng.sample(pool, 2),
        "newsletter": rng.choice(pool),
        "footer": rng.sample(pool, 2) + [f"© 2024 Site {k} Media. All rights reserved."],
        "related": rng.sample(headlines, 12),
        "related_heading": rng.choice(["Related stories", "More from us", "Read next", "Trending now"]),
    }


def edit_words(rng: random.Random, paragraphs: list[str], changes: int) -> list[str]:
    paragraphs = list(paragraphs)
    vocabulary = " ".join(paragraphs).split()
    for _ in range(changes):
        p = rng.randrange(len(paragraphs))
        words = paragraphs[p].split()
        if words:
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
            paragraphs[p] = " ".join(words)
    return paragraphs


def render(rng: random.Random, site: dict, title: str, paragraphs: list[str], origin: str | None) -> str:
    related = rng.sample(site["related"], 5)
    cut = min(2, len(paragraphs))
    parts = [site["header"], title]
    if origin and rng.random() < 0.5:
        parts.append(f"This article was originally published by {origin}.")
        origin = None
    parts += paragraphs[:cut] + ["Advertisement", *site["ad"]] + paragraphs[cut:]
    if origin:
        parts.append(f"Originally published by {origin}.")
    parts += [site["related_heading"], "\n".join(related), site["newsletter"], "\n".join(site["footer"])]
    return "\n\n".join(parts) + "\n"


def build_corpus(pages: list[dict], n_bodies: int, seed: int) -> list[dict]:
    """Pages with their truth: {id, text, story, site}."""
    rng = random.Random(seed)
    # Prose bodies only (most words in paragraphs of 20+ words: not a CSS dump or a link list); no
    # two alike: the devset holds a few pages twice under different URLs, which would be one
    # story in truth as well.
    def prose(text: str) -> bool:
        lines = text.split("\n")
        long = sum(len(line.split()) for line in lines if len(line.split()) >= 20)
        return sum(len(line.split()) >= 20 for line in lines) >= 3 and long >= 0.6 * len(text.split())

    candidates = [p for p in pages if len(p["text"].split()) >= MIN_BODY_WORDS and prose(p["text"])]
    rng.shuffle(candidates)
    bodies, seen = [], []
    for page in candidates:
        own = shingles(page["text"], 5)
        if all(jaccard(own, other) < 0.3 for other in seen):
            bodies.append(page)
            seen.append(own)
        if len(bodies) == n_bodies:
            break
    pool = furniture_pool(pages)
    headlines = sorted({p["title"] for p in pages if p["title"] and 4 <= len(p["title"].split()) <= 16})
    sites = [make_site(rng, k, pool, headlines) for k in range(SITES)]
    docs = []
    for story, body in enumerate(bodies):
        paragraphs = [line for line in body["text"].split("\n") if line.strip()]
        title = body["title"] or paragraphs[0]
        if paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        chosen = rng.sample(range(SITES), rng.choice(COPIES))
        for copy, k in enumerate(chosen):
            site = sites[k]
            text_title, text = title, paragraphs
            origin = None
            if copy:
                words = title.split()
                text_title = rng.choice([f"{title}: what we know", f"Report: {title}",
                                         " ".join(words[: max(3, len(words) - 2)]) + " - " + site["name"]])
                if len(text) > 4 and rng.random() < 0.5:
                    text = text[:-1]
                text = edit_words(rng, text, rng.randint(2, 6))
                origin = sites[chosen[0]]["name"] if rng.random() < 0.6 else None
            docs.append({"id": f"{site['name']}/{story:04d}", "site": k, "story": story,
                         "text": render(rng, site, text_title, text, origin)})
    # Follow-ups: a distinct story that opens with the first two paragraphs of an earlier one
    # and goes on with new text (here: another page's). Truth keeps them apart; they are the
    # near misses that show what a lower threshold costs in precision.
    fresh = [p for p in candidates if p not in bodies]
    for j in range(min(len(fresh), int(len(bodies) * FOLLOW_UP_SHARE))):
        base = [line for line in bodies[j]["text"].split("\n") if line.strip()][1:3]
        new = [line for line in fresh[j]["text"].split("\n") if line.strip()][1:5]
        story = len(bodies) + j
        k = rng.randrange(SITES)
        docs.append({"id": f"{sites[k]['name']}/{story:04d}", "site": k, "story": story,
                     "text": render(rng, sites[k], "Update: " + (fresh[j]["title"] or new[0]), base + new, None)})
    rng.shuffle(docs)
    return docs


# -- scoring ---------------------------------------------------------------------------------
def score(truth: list[int], predicted: list, sites: list[int]) -> dict:
    cells = Counter(zip(truth, predicted))
    same_both = sum(comb(n, 2) for n in cells.values())
    same_pred = sum(comb(n, 2) for n in Counter(predicted).values())
    same_true = sum(comb(n, 2) for n in Counter(truth).values())
    total = comb(len(truth), 2)
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_true if same_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = same_pred * same_true / total if total else 0.0
    top = (same_pred + same_true) / 2
    ari = (same_both - expected) / (top - expected) if top != expected else 1.0
    by_cluster: dict = {}
    for t, p, s in zip(truth, predicted, sites):
        by_cluster.setdefault(p, []).append((t, s))
    site_merges = sum(1 for members in by_cluster.values() for i, (t1, s1) in enumerate(members)
                      for t2, s2 in members[i + 1:] if s1 == s2 and t1 != t2)
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari,
            "stories_found": len(set(predicted)), "stories_true": len(set(truth)), "same_site_merges": site_merges}


def shingle_strings(text: str, size: int = 5) -> list[str]:
    words = text.split()
    return [" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1))] if words else []


def components(lsh, sketches: list) -> list[int]:
    """Union-find over every LSH hit: the stories a plain loop would report."""
    union = UnionFind(range(len(sketches)))
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            union.union(i, j)
    return [union.find(i) for i in range(len(sketches))]


def plain_datasketch(texts: list[str], threshold: float = 0.5, num_perm: int = 128) -> list[int]:
    """The textbook loop: one MinHash.update per shingle, MinHashLSH, components of the hits."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches = []
    for i, text in enumerate(texts):
        m = MinHash(num_perm=num_perm)
        for shingle in shingle_strings(text):
            m.update(shingle.encode("utf-8"))
        lsh.insert(i, m)
        sketches.append(m)
    return components(lsh, sketches)


def plain_rensa(texts: list[str], threshold: float = 0.5, num_perm: int = 128) -> list[int]:
    import rensa

    lsh = rensa.RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=num_perm // 4)  # b=32, r=4: the nearest divisor split to datasketch's b=25, r=5
    sketches = []
    for i, text in enumerate(texts):
        m = rensa.RMinHash(num_perm=num_perm, seed=1)
        m.update(shingle_strings(text))
        lsh.insert(i, m)
        sketches.append(m)
    return components(lsh, sketches)


def storysift_copies(texts: list[str], threshold: float = 0.5, num_perm: int = 128, size: int = 5) -> list[int]:
    """storysift's copy detection alone, on the same work as the loops above: shingles, batch
    signatures (numpy), datasketch MinHashLSH buckets, joins verified on exact Jaccard."""
    signer = Signer(num_perm)
    sets = [shingle_set(hashed_words(text)[0], size) for text in texts]
    rows = signer.sign(sets)
    union = UnionFind(range(len(texts)))
    join_buckets(lsh_buckets(signer, dict(enumerate(rows)), threshold), sets.__getitem__, threshold, union)
    return [union.find(i) for i in range(len(texts))]


def storysift_clean(docs: list[dict], folder: Path) -> tuple[Path, float]:
    rules = load_rules()
    started = time.perf_counter()
    path = folder / "pages.jsonl"
    with atomic_text(path) as stream:
        sink = JsonlSink(stream)
        for doc in docs:
            clean = clean_document(make_document(doc["text"], doc["id"], doc["id"]), rules)
            sink.write(clean.as_record())
    return path, time.perf_counter() - started


def storysift_labels(clean: Path, out: Path, options: DedupOptions) -> tuple[dict[str, str], dict, float]:
    started = time.perf_counter()
    stats = dedup_file(clean, out, options)
    elapsed = time.perf_counter() - started
    labels = {}
    for line in (out / "clean.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        labels[record["id"]] = record["story"] or record["id"]
    return labels, stats, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "shared" / "devset")
    parser.add_argument("--bodies", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--sweep", action="store_true", help="Also score a grid of dedup options.")
    args = parser.parse_args()
    require(args.devset)

    pages = clean_devset(args.devset)
    docs = build_corpus(pages, args.bodies, args.seed)
    truth = [d["story"] for d in docs]
    sites = [d["site"] for d in docs]
    print(f"corpus: {len(docs)} pages, {len(set(truth))} stories, {SITES} sites (seed {args.seed})")
    results: dict = {"corpus": {"pages": len(docs), "stories": len(set(truth)), "sites": SITES, "seed": args.seed}}

    started = time.perf_counter()
    plain = plain_datasketch([d["text"] for d in docs])
    results["datasketch_raw"] = score(truth, plain, sites) | {"seconds": time.perf_counter() - started}

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clean_path, clean_seconds = storysift_clean(docs, folder)
        labels, stats, dedup_seconds = storysift_labels(clean_path, folder / "out", DedupOptions())
        predicted = [labels[d["id"]] for d in docs]
        results["storysift"] = score(truth, predicted, sites) | {
            "seconds_clean": clean_seconds, "seconds_dedup": dedup_seconds, "events": stats["events"],
            "site_templates": {k: stats["site_templates"][k] for k in ("sites", "sites_with_template", "lines_removed")}}
        clean_texts = [json.loads(line)["text"] for line in clean_path.open(encoding="utf-8")]

        if args.sweep:
            results["sweep"] = []
            for name, options in sweep_options():
                labels, stats, _ = storysift_labels(clean_path, folder / "sweep", options)
                row = score(truth, [labels[d["id"]] for d in docs], sites)
                results["sweep"].append({"options": name} | row)

        # Speed, on the same clean texts: the whole dedup stage against the plain loops.
        timings = {"storysift dedup stage (all of it)": dedup_seconds}
        started = time.perf_counter()
        storysift_copies(clean_texts)
        timings["storysift copy detection alone"] = time.perf_counter() - started
        started = time.perf_counter()
        plain_datasketch(clean_texts)
        timings["datasketch loop (update per shingle)"] = time.perf_counter() - started
        try:
            started = time.perf_counter()
            plain_rensa(clean_texts)
            timings["rensa (RMinHash + RMinHashLSH)"] = time.perf_counter() - started
        except ImportError:
            pass
    results["speed_docs_per_s"] = {name: len(docs) / seconds for name, seconds in timings.items()}

    print(f"\n{'method':<20}{'precision':>10}{'recall':>8}{'F1':>7}{'ARI':>7}{'stories':>9}{'truth':>7}{'same-site':>10}")
    for name in ("datasketch_raw", "storysift"):
        r = results[name]
        print(f"{name:<20}{r['precision']:>10.3f}{r['recall']:>8.3f}{r['f1']:>7.3f}{r['ari']:>7.3f}"
              f"{r['stories_found']:>9}{r['stories_true']:>7}{r['same_site_merges']:>10}")
    for row in results.get("sweep", []):
        print(f"  {row['options']:<34}{row['precision']:>8.3f}{row['recall']:>8.3f}{row['f1']:>7.3f}"
              f"{row['ari']:>7.3f}{row['stories_found']:>7}{row['same_site_merges']:>5}")
    templates = results["storysift"]["site_templates"]
    print(f"\nstorysift site templates: {templates['lines_removed']} lines from {templates['sites_with_template']} "
          f"of {templates['sites']} sites; events: {results['storysift']['events']}")
    base = results["speed_docs_per_s"]["datasketch loop (update per shingle)"]
    print("\nspeed (documents/s on the clean pages):")
    for name, rate in results["speed_docs_per_s"].items():
        print(f"  {name:<40}{rate:>9.0f}  ({rate / base:.1f}x the datasketch loop)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def sweep_options() -> list[tuple[str, DedupOptions]]:
    grid = [("defaults", DedupOptions())]
    for threshold in (0.3, 0.4, 0.6, 0.7):
        grid.append((f"threshold={threshold}", DedupOptions(threshold=threshold)))
    for size in (3, 4, 6, 8):
        grid.append((f"shingle_size={size}", DedupOptions(shingle_size=size)))
    for perm in (64, 256):
        grid.append((f"num_perm={perm}", DedupOptions(num_perm=perm)))
    return grid


if __name__ == "__main__":
    sys.exit(main())
