"""Single-page extraction quality: storysift beside its peers on every dev set, in one run.

    python bench/extraction.py [--sets devset,dragnet,dragnet-text,devset-text,syndication-text]
                               [--limit N] [--json OUT] [--shared DIR] [--text-cv DIR]
                               [--render-cache DIR] [--rules DIR]

Sets (under --shared, default ../shared from the repo root; read, never written):
  devset        devset/html/*.html with devset/expectations.json. Pooled over all snippets of
                all pages: with % = share of `with` snippets found in the text, without % = share
                of `without` snippets absent from it, mean % = their mean. Text and snippets are
                compared with whitespace runs collapsed to one space, as in bench/devset_quality.py.
  dragnet       devset-dragnet/html/<id>.html with gold/<id>.txt (five gold files are repaired
                from UTF-16 mojibake first: read_gold). Per page, the output and the
                gold are lower-cased and split into `\\w+` tokens, counted as bags: P = shared /
                output tokens, R = shared / gold tokens, F1 = 2PR / (P + R); an empty output
                scores 0. Reported: mean and median F1, pages with F1 < 0.5, mean P and mean R.
  dragnet-text  the dragnet pages rendered to whole-page text as a scraper saves it,
                html_text.extract_text(html) with its default layout (newlines between blocks),
                written as <id>.txt; scored like dragnet. storysift's line model was trained on
                these pages, so beside the shipped model's rows held-out rows clean each page
                with the model of its cross-validation fold (trained without the page's site):
                `storysift clean` on each fold's pages with `--rules` overriding the classifier
                rule's `model` ("storysift held-out", and "+title"), and `storysift run` over
                each fold's pages as one corpus with the same --rules ("storysift run +title
                held-out"). The fold models come from bench/train_text_model.py
                (bench/out/text-model-cv/, or --text-cv DIR); without them the rows are skipped.
  devset-text   devset/html/*.html rendered to text the same way, scored like devset. The line
                model never saw these pages (mostly German news, 2019-2021).
  syndication-text
                devcorpus-syndication/txt/*.txt (2,000 copies of 260 articles on 89 sites'
                furniture, a line per block, no blank lines) against labels.json's clean_body,
                pooled over pages as bags of casefolded \\w+ tokens: junk % = output tokens not
                in clean_body (the excess of the output bag over the body bag) over all output
                tokens; lost % = clean_body tokens missing from the output over all clean_body
                tokens; lost* % = the same without the 33 pages whose clean_body holds NUL bytes
                (UTF-16 text read as UTF-8, which storysift rejects). Never trained on: its
                bodies and furniture come from the dragnet pages, though, so it is not unseen
                text the way devset-text is.

Systems, given the page only (no URL):
  storysift              `storysift clean DIR --workers 1 --out X.jsonl`, one process per set;
                         the record's `text`. title 1st: records whose text's first line is
                         their `title` (titles belong in `title`).
  storysift +title       the same records scored as `title` + newline + `text`: storysift moves
                         the page's headline to `title`, where the gold and snippets keep it in
                         the text (no time of its own: the same run).
  storysift run +title   (every set but syndication-text, whose stories bench/stories.py measures)
                         `storysift run DIR --workers 1`: the whole set as one corpus, as a user
                         cleans a crawl, so each site's template, learnt from its pages, is
                         removed too (an HTML page's site is its canonical link's or og:url's
                         host or og:site_name; text pages' sites are inferred from the furniture
                         they share); scored as `title` + `text` of its clean.jsonl.
  trafilatura            trafilatura.extract(html, include_comments=False)
  trafilatura precision  the same with favor_precision=True
  trafilatura fast       the same with fast=True (2.3.1's name for the deprecated no_fallback)
  readability            html_text.extract_text(Document(html).summary(html_partial=True))
  resiliparse            extract_plain_text(html, main_content=True, comments=False)
  justext                the non-boilerplate paragraphs of justext.justext(html, stoplist), one a line
  on dragnet-text, instead of the HTML peers:
  raw text               the text file itself, uncleaned
  justext lines          justext over a generated HTML page holding each non-blank line as a <p>
jusText's stoplist is the union of all its stoplists, the language-independent set trafilatura
uses: the devset is mostly German, and with the English list alone jusText found 10% of the
`with` snippets of its first 300 pages (86% with the union).

Decoding: every in-process peer gets the same str, decoded before its clock starts: UTF-8 when the
bytes are valid UTF-8, else resiliparse's bytes_to_str(data, detect_encoding(data)) (uchardet alone
takes 82 valid UTF-8 dragnet pages for cp1252 and garbles them). storysift reads the files and
decodes them itself.

Speed, for information (the machine is shared, so the figures are noisy): wall s is the seconds
for the whole set, pages/s follows from it, cpu s is this process's CPU time for a peer and the
child process's for storysift. A peer's time is its extraction calls only, including first-call
initialisation; storysift's is the whole command (start-up, reading, decoding, writing). The peers
run page by page in turn, so load from other processes hits them alike.

--json OUT writes every page's score per set and system: for devset {"with": [found?, ...],
"without": [absent?, ...]} in expectations.json order, for the dragnet sets {"p", "r", "f1"}.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import html_text
import justext
import trafilatura
import yaml
from _scoring import token_score
from _textpages import decode, read_gold  # read_gold: the dragnet gold (train_consensus.py imports it from here)
from readability import Document
from resiliparse.extract.html2text import extract_plain_text

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO.parent / "shared"
SET_FOLDERS = {"devset": "devset", "dragnet": "devset-dragnet", "dragnet-text": "devset-dragnet",
               "devset-text": "devset", "syndication-text": "devcorpus-syndication"}
TEXT_CV = REPO / "bench" / "out" / "text-model-cv"
RENDER_CACHE = REPO / "bench" / "out" / "renders"
CLASSIFIER_RULE = "text.boilerplate"
LOW_F1 = 0.5
STORYSIFT = shutil.which("storysift")
# --rules: rule folders or files every storysift command of the run gets (a threshold to compare).
EXTRA_RULES: list[Path] = []
SPACE = re.compile(r"\s+")
TOKEN = re.compile(r"\w+")
JUSTEXT_STOPLIST = frozenset().union(*(justext.get_stoplist(name) for name in justext.get_stoplists()))

Extractor = Callable[[str], str]  # page source to clean text
Scorer = Callable[[str, str], dict]  # page name and clean text to that page's score
Summariser = Callable[[list[dict]], dict]  # pages' scores to the set's figures


def norm(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def justext_paragraphs(html: str) -> str:
    return "\n".join(p.text for p in justext.justext(html, JUSTEXT_STOPLIST) if not p.is_boilerplate)


def justext_lines(text: str) -> str:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    return justext_paragraphs(f"<html><body>{paragraphs}</body></html>")


HTML_PEERS: dict[str, Extractor] = {
    "trafilatura": lambda html: trafilatura.extract(html, include_comments=False) or "",
    "trafilatura precision": lambda html: trafilatura.extract(html, favor_precision=True, include_comments=False) or "",
    "trafilatura fast": lambda html: trafilatura.extract(html, fast=True, include_comments=False) or "",
    "readability": lambda html: html_text.extract_text(Document(html).summary(html_partial=True)),
    "resiliparse": lambda html: extract_plain_text(html, main_content=True, comments=False),
    "justext": justext_paragraphs,
}
TEXT_PEERS: dict[str, Extractor] = {"raw text": lambda text: text, "justext lines": justext_lines}
COLUMN_FORMATS = {
    "with %": ".2f", "without %": ".2f", "mean %": ".2f",
    "mean F1": ".3f", "median F1": ".3f", f"F1<{LOW_F1}": "d", "mean P": ".3f", "mean R": ".3f",
    "junk %": ".2f", "lost %": ".2f", "lost* %": ".2f",
    "title 1st": "d", "errors": "d", "wall s": ".1f", "pages/s": ".1f", "cpu s": ".1f",
}


@dataclass
class Run:
    """One system's outputs on a set, page name to text, and what they cost."""

    name: str
    texts: dict[str, str] = field(default_factory=dict)
    wall: float = 0.0
    cpu: float = 0.0
    errors: int = 0
    titled: int | None = None

    def extract(self, page: str, extractor: Extractor, source: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            self.texts[page] = extractor(source)
        except Exception as exc:  # a peer failing on a page scores it as empty
            self.texts[page] = ""
            self.errors += 1
            print(f"  {self.name} on {page}: {type(exc).__name__}: {exc}", file=sys.stderr)
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def starts_with_title(record: dict) -> bool:
    title = (record.get("title") or "").strip()
    return bool(title) and record["text"].split("\n", 1)[0].strip() == title


def with_title(record: dict) -> str:
    """The record's title line, then its text: what the page says, headline included."""
    title = (record.get("title") or "").strip()
    return f"{title}\n{record['text']}" if title and not starts_with_title(record) else record["text"]


def rules_args(rules: Path | None) -> list[str]:
    """--rules for EXTRA_RULES and `rules` (a folder added to the bundled rules), if any."""
    return [arg for path in [*EXTRA_RULES, *([rules] if rules else [])] for arg in ("--rules", str(path))]


def run_storysift(folder: Path, pages: list[str], name: str = "storysift", rules: Path | None = None) -> list[Run]:
    """storysift's record as `text` alone, and as `title` + `text` ("storysift +title"): storysift
    moves the page's headline out of the text into `title`, and the dragnet gold keeps it.
    `rules`: a --rules folder added to the bundled rules."""
    out = folder.parent / f"{folder.name}.jsonl"
    cpu, wall = child_cpu(), time.perf_counter()
    subprocess.run([STORYSIFT, "clean", str(folder), "--workers", "1", "--out", str(out), *rules_args(rules)], check=True)
    runs = [Run(name, wall=time.perf_counter() - wall, cpu=child_cpu() - cpu), Run(f"{name} +title")]
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    for run, field_of in zip(runs, (lambda r: r["text"], with_title)):
        run.texts = {page: field_of(records[page]) if page in records else "" for page in pages}
        run.errors = sum(page not in records for page in pages)
    runs[0].titled = sum(starts_with_title(r) for r in records.values())
    return runs


def run_corpus(folder: Path, pages: list[str], name: str = "storysift run +title", rules: Path | None = None) -> Run:
    """`storysift run` over the set's pages as one corpus (see the module docstring). `rules`: a
    --rules folder added to the bundled rules."""
    out = folder.parent / f"{folder.name}-run"
    cpu, wall = child_cpu(), time.perf_counter()
    subprocess.run([STORYSIFT, "run", str(folder), "--workers", "1", "--out", str(out), "--quiet", *rules_args(rules)], check=True)
    run = Run(name, wall=time.perf_counter() - wall, cpu=child_cpu() - cpu)
    records = {r["id"]: r for r in map(json.loads, (out / "clean.jsonl").read_text(encoding="utf-8").splitlines())}
    run.texts = {page: with_title(records[page]) if page in records else "" for page in pages}
    run.errors = sum(page not in records for page in pages)
    return run


def fold_rules(model: Path, folder: Path) -> Path:
    """A --rules folder whose classifier rule is the bundled one (or --rules' one) with `model`
    swapped in."""
    from storysift.ruleset.load import load_rules

    rule = load_rules(EXTRA_RULES).by_id(CLASSIFIER_RULE)
    entry = {"id": rule.id, "kind": rule.kind, "description": rule.description, "examples": rule.examples,
             **rule.params, "model": str(model.resolve())}
    folder.mkdir()
    (folder / "classifier.yaml").write_text(yaml.safe_dump({"rules": [entry]}, allow_unicode=True), encoding="utf-8")
    return folder


def run_held_out(folder: Path, pages: list[str], cv: Path, tmp: Path) -> list[Run]:
    """storysift on each page with the line model of its cross-validation fold (see the module
    docstring): `clean` (text, and +title) and `run` over each fold's pages as one corpus (a fold
    holds every page of its sites, so their templates are learnt as in the whole set); none when
    bench/train_text_model.py has not written the fold models."""
    if not (cv / "folds.json").is_file():
        print(f"  no fold models in {cv}: run python bench/train_text_model.py for the held-out rows", file=sys.stderr)
        return []
    fold_of = json.loads((cv / "folds.json").read_text(encoding="utf-8"))
    runs = [Run("storysift held-out", titled=0), Run("storysift held-out +title"), Run("storysift run +title held-out")]
    for fold in sorted({fold_of[Path(page).stem] for page in pages}):
        members = [page for page in pages if fold_of[Path(page).stem] == fold]
        part = tmp / f"fold{fold}"
        part.mkdir()
        for page in members:
            (part / page).symlink_to(folder / page)
        rules = fold_rules(cv / f"fold{fold}.json", tmp / f"fold{fold}-rules")
        cleaned = run_storysift(part, members, rules=rules)
        runs[0].titled += cleaned[0].titled
        for run, done in zip(runs, [*cleaned, run_corpus(part, members, rules=rules)]):
            run.texts.update(done.texts)
            run.wall, run.cpu, run.errors = run.wall + done.wall, run.cpu + done.cpu, run.errors + done.errors
    for run in runs:
        run.texts = {page: run.texts[page] for page in pages}
    return runs


def run_peers(inputs: dict[str, str], peers: dict[str, Extractor]) -> dict[str, Run]:
    runs = {name: Run(name) for name in peers}
    for page, source in inputs.items():
        for name, extractor in peers.items():
            runs[name].extract(page, extractor, source)
    return runs


def snippet_score(text: str, expect: dict) -> dict:
    text = norm(text)
    return {"with": [norm(s) in text for s in expect["with"]],
            "without": [norm(s) not in text for s in expect["without"]]}


def snippet_summary(scores: list[dict]) -> dict:
    found = [hit for s in scores for hit in s["with"]]
    absent = [hit for s in scores for hit in s["without"]]
    with_share, without_share = 100 * statistics.mean(found), 100 * statistics.mean(absent)
    return {"with %": with_share, "without %": without_share, "mean %": (with_share + without_share) / 2}


def token_scores(text: str, gold: str) -> dict:
    return dict(zip(("p", "r", "f1"), token_score(text, gold)))


def f1_summary(scores: list[dict]) -> dict:
    f1s = [s["f1"] for s in scores]
    return {"mean F1": statistics.mean(f1s), "median F1": statistics.median(f1s),
            f"F1<{LOW_F1}": sum(f < LOW_F1 for f in f1s),
            "mean P": statistics.mean(s["p"] for s in scores),
            "mean R": statistics.mean(s["r"] for s in scores)}


def report(run: Run, score: Scorer, summarise: Summariser) -> dict:
    pages = {page: score(page, text) for page, text in run.texts.items()}
    summary = summarise(list(pages.values()))
    summary.update({"title 1st": run.titled, "errors": run.errors, "wall s": run.wall,
                    "pages/s": len(pages) / run.wall if run.wall else 0.0, "cpu s": run.cpu})
    return {"summary": summary, "pages": pages}


def bench(folder: Path, inputs: dict[str, str], peers: dict[str, Extractor], score: Scorer,
          summarise: Summariser, *more: Run | None) -> dict:
    """storysift on `folder` (the pages as files), `more` of its rows, the peers on `inputs`
    (page name to str)."""
    runs = {run.name: run for run in run_storysift(folder, list(inputs))}
    runs.update({run.name: run for run in more if run is not None})
    runs.update(run_peers(inputs, peers))
    return {name: report(run, score, summarise) for name, run in runs.items()}


def link_pages(files: list[Path], folder: Path) -> None:
    folder.mkdir()
    for path in files:
        (folder / path.name).symlink_to(path)


def html_bench(files: list[Path], tmp: Path, score: Scorer, summarise: Summariser) -> dict:
    link_pages(files, tmp / "html")
    inputs = {path.name: decode(path.read_bytes()) for path in files}
    return bench(tmp / "html", inputs, HTML_PEERS, score, summarise, run_corpus(tmp / "html", list(inputs)))


def devset_bench(root: Path, limit: int | None, tmp: Path) -> dict:
    expectations = json.loads((root / "expectations.json").read_text(encoding="utf-8"))
    files = [root / "html" / page for page in sorted(expectations)[:limit]]
    return html_bench(files, tmp, lambda page, text: snippet_score(text, expectations[page]), snippet_summary)


def dragnet_pages(root: Path, limit: int | None) -> tuple[list[Path], dict[str, str]]:
    """The first `limit` pages and their gold text, by page stem."""
    files = sorted((root / "html").glob("*.html"))[:limit]
    gold = {path.stem: read_gold(root / "gold" / f"{path.stem}.txt") for path in files}
    return files, gold


def gold_scorer(gold: dict[str, str]) -> Scorer:
    return lambda page, text: token_scores(text, gold[Path(page).stem])


def dragnet_bench(root: Path, limit: int | None, tmp: Path) -> dict:
    files, gold = dragnet_pages(root, limit)
    return html_bench(files, tmp, gold_scorer(gold), f1_summary)


def text_pages(files: list[Path], folder: Path, cache: Path | None) -> dict[str, str]:
    """The pages rendered to whole-page text, written into `folder` as <stem>.txt; a rendering
    already in `cache` (<stem>.txt, from an earlier run) is read from there."""
    folder.mkdir()
    inputs = {}
    for path in files:
        cached = cache / f"{path.stem}.txt" if cache else None
        if cached and cached.is_file():
            inputs[cached.name] = cached.read_text(encoding="utf-8")
            continue
        inputs[f"{path.stem}.txt"] = html_text.extract_text(decode(path.read_bytes()))
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(inputs[f"{path.stem}.txt"], encoding="utf-8")
    for page, text in inputs.items():
        (folder / page).write_text(text, encoding="utf-8")
    return inputs


def dragnet_text_bench(root: Path, limit: int | None, tmp: Path, args: argparse.Namespace) -> dict:
    files, gold = dragnet_pages(root, limit)
    inputs = text_pages(files, tmp / "text", args.render_cache / "dragnet-text" if args.render_cache else None)
    held_out = run_held_out(tmp / "text", list(inputs), args.text_cv, tmp)
    return bench(tmp / "text", inputs, TEXT_PEERS, gold_scorer(gold), f1_summary, *held_out,
                 run_corpus(tmp / "text", list(inputs)))


def devset_text_bench(root: Path, limit: int | None, tmp: Path, args: argparse.Namespace) -> dict:
    expectations = json.loads((root / "expectations.json").read_text(encoding="utf-8"))
    pages = sorted(expectations)[:limit]
    inputs = text_pages([root / "html" / page for page in pages], tmp / "text",
                        args.render_cache / "devset-text" if args.render_cache else None)
    expect = {f"{Path(page).stem}.txt": expectations[page] for page in pages}
    return bench(tmp / "text", inputs, TEXT_PEERS, lambda page, text: snippet_score(text, expect[page]),
                 snippet_summary, run_corpus(tmp / "text", list(inputs)))


def word_bags(text: str) -> Counter:
    return Counter(TOKEN.findall(text.casefold()))


def body_score(text: str, body: str) -> dict:
    output, article = word_bags(text), word_bags(body)
    return {"out": sum(output.values()), "junk": sum((output - article).values()), "body": sum(article.values()),
            "lost": sum((article - output).values()), "nul": "\x00" in body}


def body_summary(scores: list[dict]) -> dict:
    clean = [s for s in scores if not s["nul"]]
    return {"junk %": 100 * sum(s["junk"] for s in scores) / max(1, sum(s["out"] for s in scores)),
            "lost %": 100 * sum(s["lost"] for s in scores) / sum(s["body"] for s in scores),
            "lost* %": 100 * sum(s["lost"] for s in clean) / sum(s["body"] for s in clean)}


def syndication_text_bench(root: Path, limit: int | None, tmp: Path, args: argparse.Namespace) -> dict:
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))["docs"]
    files = sorted((root / "txt").glob("*.txt"))[:limit]
    folder = tmp / "text"
    link_pages(files, folder)
    inputs = {path.name: decode(path.read_bytes()) for path in files}
    return bench(folder, inputs, TEXT_PEERS, lambda page, text: body_score(text, labels[Path(page).stem]["clean_body"]),
                 body_summary)


def html_set(bench_function: Callable) -> Callable:
    return lambda root, limit, tmp, args: bench_function(root, limit, tmp)


BENCHES = {"devset": html_set(devset_bench), "dragnet": html_set(dragnet_bench), "dragnet-text": dragnet_text_bench,
           "devset-text": devset_text_bench, "syndication-text": syndication_text_bench}


def cell(column: str, value: float | None) -> str:
    return "-" if value is None else format(value, COLUMN_FORMATS[column])


def print_table(name: str, results: dict) -> None:
    pages = len(next(iter(results.values()))["pages"])
    columns = list(next(iter(results.values()))["summary"])
    width = max(map(len, results))
    print(f"\n{name} ({pages} pages)")
    print(" " * width + "".join(f"{c:>11}" for c in columns))
    for system, result in results.items():
        print(f"{system:{width}}" + "".join(f"{cell(c, result['summary'][c]):>11}" for c in columns))


def parse_sets(value: str) -> list[str]:
    sets = [s for s in value.split(",") if s]
    unknown = sorted(set(sets) - set(BENCHES))
    if unknown or not sets:
        raise argparse.ArgumentTypeError(f"{value!r}: name sets among {', '.join(BENCHES)}")
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=parse_sets, default=list(BENCHES), help=f"comma-separated: {','.join(BENCHES)}")
    parser.add_argument("--limit", type=int, help="only the first N pages of each set (sorted by name)")
    parser.add_argument("--json", type=Path, help="write every page's score per set and system to this file")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder holding the dev sets")
    parser.add_argument("--text-cv", type=Path, default=TEXT_CV,
                        help="fold models and folds.json of bench/train_text_model.py (dragnet-text held-out row)")
    parser.add_argument("--render-cache", type=Path, default=RENDER_CACHE,
                        help="html-text renderings of the text sets, read from and written to DIR/<set>/<id>.txt")
    parser.add_argument("--rules", type=Path, action="append", default=[],
                        help="a rule folder or file every storysift command gets (repeatable), e.g. "
                             "text.boilerplate at another threshold")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    EXTRA_RULES[:] = [path.resolve() for path in args.rules]

    for name in args.sets:
        if not (args.shared / SET_FOLDERS[name]).is_dir():
            print(f"dev set {name!r} not found: no folder {args.shared / SET_FOLDERS[name]} "
                  "(pass --shared DIR)", file=sys.stderr)
            return 2
    if STORYSIFT is None:
        print("storysift is not on PATH: activate the venv it is installed in", file=sys.stderr)
        return 2

    figures = {}
    for name in args.sets:
        with tempfile.TemporaryDirectory(prefix=f"extraction-{name}-") as tmp:
            figures[name] = BENCHES[name](args.shared / SET_FOLDERS[name], args.limit, Path(tmp), args)
        print_table(name, figures[name])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
