"""Story dedup quality on the labelled syndication corpus (`../shared/devcorpus-syndication`):
the whole `storysift run` on three renditions of the corpus against plain datasketch MinHash,
in one run.

    python bench/stories.py [--corpus DIR] [--only txt,txt-url,html,peers] [--keep DIR]
                            [--json PATH] [--storysift CMD] [--events]

The corpus: 2,000 pages, 260 true stories (article bodies) published on 1-89 of 89 sites, each
copy wrapped in its site's real furniture and edited as syndicated copies are (see its README).
`labels.json` gives every page its story, site and true article text (`clean_body`).

Systems (rows of the table):
  storysift txt      `storysift run txt/`: the scraped-text rendition, no site signal
  storysift txt+url  the txt rendition as one JSON Lines file, a record per page:
                     {"id": doc_id, "text": <file text>, "url": "https://<site>/<doc_id>"}
  storysift html     `storysift run html/`
  datasketch txt     plain MinHash LSH on the raw txt pages
  datasketch html    the same on the html pages' visible text (text nodes outside head, script,
                     style, noscript, template; stdlib html.parser)
  datasketch body    the same on the true `clean_body` texts: a reference ceiling, not a system
storysift runs as a subprocess (`CMD run INPUT --out DIR --workers 1 --quiet`, its defaults:
threshold 0.5, word 5-shingles, 128 permutations). The datasketch loop: casefolded `\\w+` words,
word 5-shingles, `MinHash(num_perm=128).update_batch`, `MinHashLSH(threshold=0.5)` (25 bands of
5 rows), every page inserted then queried; stories are the connected components of the
candidate pairs (no verification). A page of fewer than 5 words is one shingle; one of no words
stays alone.

Metrics, over all 2,000 pages (a page storysift rejected, or kept out of dedup with `story`
null, is a story of its own and has no output text):
  P, R, F1  pair precision / recall / F1: a pair of pages is positive when both are in one true
            story (truth) or one predicted story (prediction); counted from the contingency
            table (TP = sum of C(n_ij, 2) over cells, predicted pairs = sum of C(n_j, 2) ...).
  ARI       adjusted Rand index from the same counts: (TP - E) / ((T + P) / 2 - E), with
            E = T * P / C(n, 2), T and P the true and predicted positive pairs.
  stories   distinct predicted stories, against 260 true.
  mixed     predicted stories holding pages of more than one true story.
  junk      (storysift only) share of output words that are not article: per page, the output's
            casefolded `\\w+` token bag minus its `clean_body` bag, summed over pages, over all
            output tokens.
  lost      (storysift only) share of article words lost: `clean_body` tokens missing from the
            output bag, summed, over all `clean_body` tokens.
            33 pages (4 stories) have a `clean_body` (and page) of UTF-16 text read as UTF-8: NUL
            characters between the letters. NUL is no letter of any word: storysift drops it,
            and both shares are scored against the `clean_body` with its NULs dropped (with them
            `\\w+` splits every word into letters, ~26 % of all article tokens). Under the
            table the lost share is also given without those pages, and without them counting
            the words the record holds in `title` and `author` as kept: storysift moves the
            page's headline and byline there, which many `clean_body`s begin with.
  >half     (storysift only) pages whose output lost more than half of their article tokens.
  out       (storysift only) pages rejected or kept out of dedup (no story).
  seconds   wall time: storysift's whole subprocess (reading, cleaning, dedup, all output files
            including report.html); datasketch from texts in memory (shingles, signatures, LSH,
            components; reading and visible-text extraction not counted).
Under the table, per storysift run: its events (`event` of each record in stories.jsonl), how
many hold more than one true story (with --events, each of them by its true stories' headlines,
then the joined pairs judged unrelated), and the largest one: stories, pages, and distinct true stories among those
pages; the pairs of true stories an event joins (each story stands for the true story of its
canonical page, so a mixed story counts under `mixed`, not here), against EVENT_JUDGEMENTS: the
corpus labels stories, not events, so that file (made by hand, its `about` says how) says which
true stories cover one event, which are related (one ongoing story, distinct happenings: counted
apart) and, by omission, which are unrelated; the sites it found
(the `site` of each record: pair precision and recall against the true sites, a page with none
a site of its own) and what `site.template` removed; the same-story pairs it split, the true
stories that lost the most, and pair F1 without the first of them; and the stories' titles: how
many have none, and how many match a headline of their story (token F1 of at least
TITLE_MATCH against the `headline` of one of its pages or of its canonical page's true story;
the corpus's headlines are its generator's, a date stamp for some pages, so no system matches
every story).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from itertools import combinations
from math import comb
from pathlib import Path

from _scoring import token_score
from datasketch import MinHash, MinHashLSH

from storysift.corpus.stories import UnionFind

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "devcorpus-syndication"
EVENT_JUDGEMENTS = Path(__file__).resolve().parent / "data" / "event_judgements.json"
SHINGLE_SIZE, NUM_PERM, THRESHOLD = 5, 128, 0.5  # storysift's defaults (`storysift dedup --help`)
WORD = re.compile(r"\w+")
RUNS = ("txt", "txt-url", "html", "peers")
TITLE_MATCH = 0.8


def tokens(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


class VisibleText(HTMLParser):
    HIDDEN = frozenset({"head", "script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


# -- scores ----------------------------------------------------------------------------------
def pairs(counts: Counter) -> int:
    return sum(comb(n, 2) for n in counts.values())


def pair_scores(truth: dict[str, str], pred: dict[str, str]) -> dict:
    """Pair precision/recall/F1 and ARI over all pairs of pages, from the contingency table."""
    tp = pairs(Counter((truth[d], pred[d]) for d in truth))
    true_pairs = pairs(Counter(truth.values()))
    pred_pairs = pairs(Counter(pred[d] for d in truth))
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = true_pairs * pred_pairs / comb(len(truth), 2)
    best = (true_pairs + pred_pairs) / 2
    ari = (tp - expected) / (best - expected) if best != expected else 1.0
    members = defaultdict(set)
    for doc, story in truth.items():
        members[pred[doc]].add(story)
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari,
            "stories": len(members), "mixed": sum(len(s) > 1 for s in members.values())}


def word_scores(labels: dict, text_of: dict[str, str], fields_of: dict[str, str]) -> dict:
    """Non-article share of the output tokens and lost share of the article tokens (bags);
    the lost share also without the pages whose `clean_body` holds NUL bytes, and without them
    with the words of each page's `fields_of` (its title and author) counted as kept (module
    docstring)."""
    extra = out_total = half_lost = lost_in_fields = 0
    lost, body_total = Counter(), Counter()  # keyed by whether the clean_body holds a NUL byte
    for doc, label in labels.items():
        body = Counter(tokens(label["clean_body"].replace("\x00", "")))
        out = Counter(tokens(text_of.get(doc, "")))
        missing, nul = (body - out).total(), "\x00" in label["clean_body"]
        extra += (out - body).total()
        out_total += out.total()
        lost[nul] += missing
        body_total[nul] += body.total()
        half_lost += missing > body.total() / 2
        if not nul:
            lost_in_fields += (body - out - Counter(tokens(fields_of.get(doc, "")))).total()
    return {"junk": extra / out_total if out_total else 0.0, "lost": lost.total() / body_total.total(),
            "lost_without_nul": lost[False] / body_total[False],
            "lost_without_nul_fields": lost_in_fields / body_total[False], "half_lost": half_lost}


# -- storysift -------------------------------------------------------------------------------
def storysift_input(run: str, corpus: Path, labels: dict, work: Path) -> tuple[Path, str]:
    """The input to pass and the suffix storysift's ids carry (folder input: the file name)."""
    if run in ("txt", "html"):
        return corpus / run, f".{run}"
    path = work / "txt-url.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for doc in sorted(labels):
            record = {"id": doc, "text": read_text(corpus / "txt" / f"{doc}.txt"),
                      "url": f"https://{labels[doc]['site']}/{doc}"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path, ""


def run_storysift(command: list[str], source: Path, out: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([*command, "run", str(source), "--out", str(out), "--workers", "1", "--quiet"],
                          check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(command)} run {source} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds


def read_storysift(out: Path, suffix: str, labels: dict) -> tuple[dict, dict, dict, dict, dict, dict]:
    """The story of each page that has one, the output text of each page written, the events
    (event id -> its stories' member pages), the site each page was given, each event's
    stories by their canonical pages, and each page's title and author."""
    story_of, text_of, site_of, fields_of = {}, {}, {}, {}
    for line in (out / "clean.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        doc = record["id"].removesuffix(suffix)
        if doc not in labels or doc in text_of:
            sys.exit(f"{out / 'clean.jsonl'}: unexpected or repeated id {record['id']!r}")
        text_of[doc] = record["text"]
        fields_of[doc] = f"{record.get('title') or ''}\n{record.get('author') or ''}"
        site_of[doc] = record.get("site")
        if record["story"] is not None:
            story_of[doc] = record["story"]
    events, canonicals = defaultdict(list), defaultdict(list)
    for line in (out / "stories.jsonl").open(encoding="utf-8"):
        story = json.loads(line)
        events[story["event"]].append([m["id"].removesuffix(suffix) for m in story["members"]])
        canonicals[story["event"]].append(story["canonical"].removesuffix(suffix))
    return story_of, text_of, events, site_of, canonicals, fields_of


def title_scores(labels: dict, headlines: dict[str, str], out: Path, suffix: str) -> dict:
    """Each predicted story's `title` against the headlines of its pages and of its canonical
    page's true story (see the module's docstring)."""
    stories = untitled = matched = 0
    for line in (out / "stories.jsonl").open(encoding="utf-8"):
        story = json.loads(line)
        stories += 1
        title = story.get("title")
        if not title:
            untitled += 1
            continue
        members = [m["id"].removesuffix(suffix) for m in story["members"]]
        candidates = [labels[doc].get("headline") for doc in members if doc in labels]
        canonical = labels.get(story["canonical"].removesuffix(suffix))
        if canonical is not None:
            candidates.append(headlines.get(canonical["story"]))
        matched += max((token_score(title, h)[2] for h in candidates if h), default=0.0) >= TITLE_MATCH
    return {"all_stories": stories, "untitled": untitled, "title_matches": matched}


def site_scores(labels: dict, site_of: dict, out: Path) -> dict:
    """How well the corpus stage found the sites (pair precision and recall of same-site pages;
    a page with no site is a site of its own) and what the site templates removed."""
    truth = {doc: label["site"] for doc, label in labels.items()}
    pred = {doc: site_of.get(doc) or f"alone:{doc}" for doc in labels}
    scores = pair_scores(truth, pred)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    removed = [json.loads(line).get("removed") or [] for line in (out / "clean.jsonl").open(encoding="utf-8")]
    template_words = sum(len(str(r.get("text", "")).split()) for rs in removed for r in rs if r.get("rule") == "site.template")
    return {"site_precision": scores["precision"], "site_recall": scores["recall"], "sites": scores["stories"],
            "template_removals": report.get("removals_per_rule", {}).get("site.template", 0),
            "template_words": template_words}


def lost_pairs(labels: dict, pred: dict[str, str], top: int = 3) -> dict:
    """Same-story pairs the prediction split, in all and for the true stories that lost the
    most (pages, predicted parts, words of the article), and pair F1 without the first of them."""
    parts: dict[str, Counter] = defaultdict(Counter)
    for doc, label in labels.items():
        parts[label["story"]][pred[doc]] += 1
    lost = {story: comb(c.total(), 2) - pairs(c) for story, c in parts.items()}
    words = {label["story"]: len(tokens(label["clean_body"])) for label in labels.values()}
    worst = sorted(lost, key=lambda story: (-lost[story], story))[:top]
    rest = {doc: label for doc, label in labels.items() if label["story"] != worst[0]} if worst else labels
    without = pair_scores({doc: label["story"] for doc, label in rest.items()}, {doc: pred[doc] for doc in rest})
    return {"lost_pairs": sum(lost.values()), "f1_without_worst": without["f1"],
            "worst": [[story, lost[story], parts[story].total(), len(parts[story]), words[story]] for story in worst]}


def event_summary(events: dict, truth: dict[str, str]) -> dict:
    largest = max(events.values(), key=lambda stories: (len(stories), sum(map(len, stories))), default=[])
    docs = [doc for story in largest for doc in story]
    mixed = sorted(sorted({truth[doc] for story in stories for doc in story}) for stories in events.values())
    return {"events": len(events), "largest_stories": len(largest), "largest_docs": len(docs),
            "largest_true_stories": len({truth[doc] for doc in docs}),
            "mixed_events": [true for true in mixed if len(true) > 1]}


def judged_pairs(path: Path) -> dict[str, set[tuple[str, str]]]:
    """The pairs of true stories judged one event (`same_event`) and related (`related`)."""
    judged = json.loads(path.read_text(encoding="utf-8"))
    return {kind: {pair for group in judged[kind] for pair in combinations(sorted(group["stories"]), 2)}
            for kind in ("same_event", "related")}


def event_pairs(canonicals: dict, truth: dict[str, str], judged: dict[str, set]) -> dict:
    """The pairs of distinct true stories that events join (by their stories' canonical pages),
    split by the judgement, and how many of the pairs judged one event were joined."""
    joined = {pair for pages in canonicals.values()
              for pair in combinations(sorted({truth[page] for page in pages}), 2)}
    same, related = joined & judged["same_event"], joined & judged["related"]
    return {"joined_pairs": len(joined), "same_event_pairs": len(same), "related_pairs": len(related),
            "unrelated_pairs": sorted(joined - same - related), "judged_pairs": len(judged["same_event"])}


# -- datasketch ------------------------------------------------------------------------------
def shingle_set(text: str) -> set[bytes]:
    words = tokens(text)
    if len(words) < SHINGLE_SIZE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + SHINGLE_SIZE]).encode() for i in range(len(words) - SHINGLE_SIZE + 1)}


def datasketch_stories(texts: dict[str, str]) -> dict[str, str]:
    """Connected components of MinHashLSH candidate pairs, a page's story named by its root."""
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    signatures = {}
    for doc, text in texts.items():
        shingles = shingle_set(text)
        if shingles:
            signatures[doc] = MinHash(num_perm=NUM_PERM)
            signatures[doc].update_batch(list(shingles))
            lsh.insert(doc, signatures[doc])
    components = UnionFind(texts)
    for doc, signature in signatures.items():
        for other in lsh.query(signature):
            components.union(doc, other)
    return {doc: components.find(doc) for doc in texts}


# -- the bench -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", default=",".join(RUNS), help=f"comma-separated subset of {','.join(RUNS)}")
    parser.add_argument("--keep", type=Path, help="keep storysift's output folders (DIR/<run>) and the JSON Lines input here")
    parser.add_argument("--json", type=Path, help="write the per-run metrics here")
    parser.add_argument("--storysift", default="storysift", help="the storysift command (default: %(default)s)")
    parser.add_argument("--events", action="store_true",
                        help="list each event holding more than one true story, by the true stories' headlines")
    args = parser.parse_args()
    runs = [run.strip() for run in args.only.split(",") if run.strip()]
    if unknown := sorted(set(runs) - set(RUNS)):
        parser.error(f"--only: unknown {', '.join(unknown)} (choose from {', '.join(RUNS)})")
    if not (args.corpus / "labels.json").is_file():
        print(f"bench/stories.py: no labelled corpus at {args.corpus} (expected labels.json, txt/, html/;"
              " pass --corpus DIR)", file=sys.stderr)
        sys.exit(2)
    corpus_labels = json.loads((args.corpus / "labels.json").read_text(encoding="utf-8"))
    labels, headlines = corpus_labels["docs"], {s: v.get("headline") for s, v in corpus_labels["stories"].items()}
    truth = {doc: label["story"] for doc, label in labels.items()}
    judged = judged_pairs(EVENT_JUDGEMENTS)
    command = shlex.split(args.storysift)
    print(f"{len(labels)} pages, {len(set(truth.values()))} true stories, "
          f"{len({label['site'] for label in labels.values()})} sites ({args.corpus})")

    results = {}
    with tempfile.TemporaryDirectory(prefix="storysift-bench-") as tmp:
        outputs = args.keep or Path(tmp)
        outputs.mkdir(parents=True, exist_ok=True)
        for run in [run for run in RUNS[:3] if run in runs]:
            source, suffix = storysift_input(run, args.corpus, labels, outputs)
            seconds = run_storysift(command, source, outputs / run)
            story_of, text_of, events, site_of, canonicals, fields_of = read_storysift(outputs / run, suffix, labels)
            pred = {doc: story_of.get(doc, f"alone:{doc}") for doc in labels}
            results[f"storysift {run.replace('-', '+')}"] = {
                **pair_scores(truth, pred), **word_scores(labels, text_of, fields_of), "seconds": seconds,
                "out": len(labels) - len(story_of), **event_summary(events, truth),
                **event_pairs(canonicals, truth, judged),
                **site_scores(labels, site_of, outputs / run), **lost_pairs(labels, pred),
                **title_scores(labels, headlines, outputs / run, suffix)}
        if "peers" in runs:
            peer_texts = {
                "datasketch txt": {doc: read_text(args.corpus / "txt" / f"{doc}.txt") for doc in labels},
                "datasketch html": {doc: visible_text(read_text(args.corpus / "html" / f"{doc}.html"))
                                    for doc in labels},
                "datasketch body": {doc: label["clean_body"].replace("\x00", "") for doc, label in labels.items()},
            }
            for name, texts in peer_texts.items():
                started = time.perf_counter()
                pred = datasketch_stories(texts)
                results[name] = {**pair_scores(truth, pred), "seconds": time.perf_counter() - started}

    print_table(results)
    if args.events:
        print_events(results, headlines)
    if args.keep:
        print(f"storysift outputs kept in {args.keep}/")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def print_table(results: dict) -> None:
    header = (f"{'system':<17} {'P':>6} {'R':>6} {'F1':>6} {'ARI':>6} {'stories':>7} {'mixed':>5} "
              f"{'junk':>6} {'lost':>6} {'>half':>5} {'out':>4} {'seconds':>7}")
    print(f"\n{header}\n{'-' * len(header)}")
    for name, r in results.items():
        words = (f"{r['junk']:6.1%} {r['lost']:6.1%} {r['half_lost']:5d} {r['out']:4d}" if "junk" in r
                 else f"{'-':>6} {'-':>6} {'-':>5} {'-':>4}")
        print(f"{name:<17} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} {r['ari']:6.3f} "
              f"{r['stories']:7d} {r['mixed']:5d} {words} {r['seconds']:7.1f}")
    for name, r in results.items():
        if "events" in r:
            print(f"{name}: lost {r['lost_without_nul']:.1%} without the NUL-body pages "
                  f"({r['lost_without_nul_fields']:.1%} with the title and author fields); {r['events']} events, "
                  f"{len(r['mixed_events'])} holding more than one true story (--events lists them), "
                  f"the largest holds {r['largest_stories']} stories, {r['largest_docs']} pages of "
                  f"{r['largest_true_stories']} true stories")
            print(f"{name}: events: {r['joined_pairs']} joined pairs of true stories, {r['same_event_pairs']} judged "
                  f"one event, {r['related_pairs']} related, {len(r['unrelated_pairs'])} unrelated; "
                  f"{r['same_event_pairs']} of the {r['judged_pairs']} pairs judged one event joined")
            print(f"{name}: {r['sites']} sites found (pair precision {r['site_precision']:.3f}, recall "
                  f"{r['site_recall']:.3f}); site.template removed {r['template_words']:,} words in "
                  f"{r['template_removals']:,} removals")
            worst = "; ".join(f"{story} {count} ({pages} pages in {parts} parts, {words} words)"
                              for story, count, pages, parts, words in r["worst"])
            print(f"{name}: {r['lost_pairs']:,} same-story pairs split, the most by {worst}; "
                  f"F1 {r['f1_without_worst']:.3f} without {r['worst'][0][0] if r['worst'] else '-'}")
            print(f"{name}: titles: {r['untitled']} of {r['all_stories']} stories have none, "
                  f"{r['title_matches']} match a headline of their story (token F1 >= {TITLE_MATCH})")


def print_events(results: dict, headlines: dict[str, str]) -> None:
    """Events that hold more than one true story, by their true stories' headlines, and the
    joined pairs of true stories EVENT_JUDGEMENTS does not judge one event or related."""
    for name, r in results.items():
        if "mixed_events" in r:
            print(f"\n{name}: the events holding more than one true story")
            for true in r["mixed_events"]:
                print(f"  {' '.join(true)}: " + " | ".join(str(headlines.get(story))[:60] for story in true))
            print(f"{name}: the unrelated pairs joined")
            for pair in r["unrelated_pairs"]:
                print(f"  {' '.join(pair)}: " + " | ".join(str(headlines.get(story))[:60] for story in pair))


if __name__ == "__main__":
    main()
