"""Train the line model for whole-page text (pipeline/clean/text_model.json) on the dragnet pages
rendered to text, and print its grouped cross-validation figures beside the shipped model's.

    python bench/train_text_model.py [--shared DIR] [--out MODEL] [--cv-out DIR] [--folds K]
                                     [--no-cv] [--limit N]

Data: ../shared/devset-dragnet (1,381 pages of 2012 news and blogs with gold article text and,
where they have one, their comments), each page rendered with html_text.extract_text (cached
in bench/out/dragnet-text/). Labels per line: `_textpages.aligned_labels` against the gold
(article text) and against the comments file (reader comments). Training needs lightgbm;
storysift itself does not: the trees are written out as JSON and walked with numpy.

What is trained (fixed seeds; the same data give the same file):
  vocabulary  words on pages of at least VOCABULARY_MIN_GROUPS site groups, scored by their
              log-odds of article text against furniture; the rows a forest trains on get
              their vocabulary features from vocabularies learned without their group's
              inner fold (otherwise the vocabulary has seen their labels).
  first       LightGBM on the line features: article text or not.
  comment     LightGBM on the line features: reader comment or not.
  second      LightGBM on the line features plus the context of both (linemodel.SECOND_FEATURES),
              trained on first and comment probabilities from inner-fold models (out of fold).

Grouped cross-validation (--folds, default 5): pages split by site group (`_textpages.folds`),
a model trained on the other folds cleans each held-out page through storysift's own path
(`clean_document` with the fold's model in the classifier rule), scored by bag-of-token F1
against the gold as in bench/extraction.py. The fold models and folds.json (page -> fold) go to
--cv-out (default bench/out/text-model-cv), where bench/extraction.py finds them for its
held-out row. The shipped model is trained on every page; its figure on the same pages is a
training-set figure, printed beside the held-out one to show the gap.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import lightgbm
import numpy as np

from storysift.clean.lines import FEATURES, VOCABULARY_FEATURES, Words, is_comments_heading, read_page, vocabulary_features
from storysift.clean.linemodel import BUNDLED, FORMAT, SECOND_FEATURES, cached_model, forest_from_json, second_stage_input
from storysift.clean.normalize import normalize_line
from storysift.clean.page import clean_document
from storysift.document import RawDocument
from storysift.ruleset.load import load_rules
from _devdata import SHARED, require
from _scoring import token_score
from _textpages import TOKEN, TextPage, aligned_labels, folds, load_pages

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "out" / "dragnet-text"
CV_OUT = ROOT / "bench" / "out" / "text-model-cv"
SEED = 0
# A word enters the vocabulary when it occurs on pages of this many site groups: the model
# learns what furniture says everywhere ("Reply", "Posted in"), not one site's menu.
VOCABULARY_MIN_GROUPS = 5
VOCABULARY_CLIP = 4.0
INNER_FOLDS = 3
# Scrapers save text in other shapes than html-text's: an article already cut out of its page
# (the seeds), a page with less furniture, lines without blank lines between blocks (the
# syndication corpus), comments printed without their section's heading. Each page also trains
# in those shapes (`variants`): alone, its gold text as the input; trimmed, its lines from a few
# before the first article line to a few after the last; for a third of the pages, its lines
# without the blank ones; and a page with reader comments, without its comment headings. Without
# them a model trained on whole pages alone removed most of a clean article (seed 002: 13 of 15
# lines), and one that saw every thread under its heading would keep the threads of pages that
# print none.
TRIM_MARGIN = 3
NO_BLANK_SHARE = 1 / 3
# LightGBM. max_depth caps the complete trees linemodel lays out (2**depth leaves each), and the
# cost of inference is lines x trees x depth: in research runs of the grouped CV (mean F1 of the
# second stage) 200 trees of depth 7 gave 0.866, 100 of depth 6 0.859, 50 of depth 5 0.850.
PARAMS = dict(objective="binary", learning_rate=0.1, num_leaves=31, min_child_samples=20, subsample=0.8,
              subsample_freq=1, colsample_bytree=0.8, max_bin=63, force_col_wise=True, n_jobs=1,
              random_state=SEED, deterministic=True, verbose=-1)
STAGE_PARAMS = {"first": dict(n_estimators=150, max_depth=6), "comment": dict(n_estimators=60, max_depth=5),
                "second": dict(n_estimators=120, max_depth=6)}
LOW_F1 = 0.5
CLASSIFIER_RULE = "text.boilerplate"
VOCABULARY_START = FEATURES.index(VOCABULARY_FEATURES[0])


@dataclasses.dataclass
class Rows:
    """One page's non-blank lines as the model sees them, with their labels."""

    page: TextPage
    X: np.ndarray
    words: Words
    article: np.ndarray  # 1 article text, 0 not, -1 no word to judge
    comment: np.ndarray  # 1 reader comment (and not article text)

    @property
    def labelled(self) -> np.ndarray:
        return self.article >= 0

    @property
    def weight(self) -> np.ndarray:
        # Longer lines weigh more (log1p of their words), as they weigh more in a page's F1.
        return 1.0 + self.X[:, 0]


def variants(page: TextPage, rows: Rows, rng: random.Random) -> list[TextPage]:
    """The page in the other shapes scraped text comes in (see TRIM_MARGIN)."""
    shapes = [dataclasses.replace(page, id=f"{page.id}~article", text=page.gold, comments="")]
    raw = page.text.splitlines()
    nonblank = [i for i, line in enumerate(raw) if line.strip()]
    article = [nonblank[k] for k in np.flatnonzero(rows.article == 1)] if len(nonblank) == len(rows.article) else []
    if article:
        start = max(0, article[0] - rng.randint(0, TRIM_MARGIN))
        end = article[-1] + 1 + rng.randint(0, TRIM_MARGIN)
        shapes.append(dataclasses.replace(page, id=f"{page.id}~trimmed", text="\n".join(raw[start:end])))
    if rng.random() < NO_BLANK_SHARE:
        shapes.append(dataclasses.replace(page, id=f"{page.id}~no-blank", text="\n".join(raw[i] for i in nonblank)))
    headings = {i for i in nonblank if heads_comments(raw[i])}
    if page.comments and headings:
        shapes.append(dataclasses.replace(page, id=f"{page.id}~no-comment-heading",
                                          text="\n".join(line for i, line in enumerate(raw) if i not in headings)))
    return shapes


def heads_comments(line: str) -> bool:
    line = normalize_line(line)
    return is_comments_heading(line, len(TOKEN.findall(line)))


def page_rows(page: TextPage) -> Rows:
    lines = [normalize_line(line) for line in page.text.splitlines()]
    view = read_page(lines)
    kept = [lines[i] for i in view.index]
    article = np.array(aligned_labels(kept, page.gold), dtype=int)
    comment = np.array(aligned_labels(kept, page.comments), dtype=int) if page.comments else np.zeros(len(kept), int)
    comment = ((comment == 1) & (article != 1)).astype(int)
    return Rows(page, view.X, view.words, article, comment)


# -- training ----------------------------------------------------------------------------------
def learn_vocabulary(rows: list[Rows]) -> dict[str, float]:
    """Log-odds of article text against furniture of the lines holding each word, relative to
    the prior, for words on pages of VOCABULARY_MIN_GROUPS groups or more."""
    article, other, groups = Counter(), Counter(), defaultdict(set)
    total = Counter()
    for r in rows:
        labels = r.article.tolist()
        distinct: dict[int, set[str]] = defaultdict(set)
        for word, line in zip(r.words.text, r.words.line.tolist()):
            distinct[line].add(word)
        for line, label in enumerate(labels):
            if label < 0:
                continue
            total[label] += 1
            (article if label else other).update(distinct[line])
            for word in distinct[line]:
                groups[word].add(r.page.group)
    prior = math.log((total[1] + 1) / (total[0] + 1))
    clip = VOCABULARY_CLIP
    return {word: round(max(-clip, min(clip, math.log((article[word] + 1) / (other[word] + 1)) - prior)), 2)
            for word in sorted(groups) if len(groups[word]) >= VOCABULARY_MIN_GROUPS}


def set_vocabulary(rows: list[Rows], vocabulary: dict[str, float]) -> None:
    for r in rows:
        if len(r.X):
            r.X[:, VOCABULARY_START:VOCABULARY_START + len(VOCABULARY_FEATURES)] = vocabulary_features(
                r.words, len(r.X), vocabulary)


def inner_split(rows: list[Rows]) -> list[list[Rows]]:
    fold_of = folds([r.page for r in rows], INNER_FOLDS, SEED + 1)
    return [[r for r in rows if fold_of[r.page.id] == k] for k in range(INNER_FOLDS)]


def fit(rows: list[Rows], X: list[np.ndarray], stage: str) -> lightgbm.Booster:
    """The stage's forest: `first` and `second` learn article text, `comment` reader comments."""
    target = "comment" if stage == "comment" else "article"
    mask = [r.labelled for r in rows]
    y = np.concatenate([getattr(r, target)[m] for r, m in zip(rows, mask)])
    data = np.vstack([x[m] for x, m in zip(X, mask)])
    weight = np.concatenate([r.weight[m] for r, m in zip(rows, mask)])
    params = {**PARAMS, **STAGE_PARAMS[stage]}
    booster = lightgbm.LGBMClassifier(**params).fit(data, y, sample_weight=weight).booster_
    check_export(booster, data[:: max(1, len(data) // 2000)])
    return booster


def check_export(booster: lightgbm.Booster, X: np.ndarray) -> None:
    """The trees as linemodel walks them give LightGBM's own raw scores."""
    forest = forest_from_json(forest_json(booster), X.shape[1], "check")
    difference = np.abs(forest.raw(X) - booster.predict(X, raw_score=True)).max()
    if difference > 1e-9:
        raise AssertionError(f"exported trees differ from LightGBM by {difference}")


def predict(booster: lightgbm.Booster, X: np.ndarray) -> np.ndarray:
    return booster.predict(X) if len(X) else np.zeros(0)


def train(rows: list[Rows]) -> dict:
    """The model file's content, trained on `rows` (their vocabulary columns are overwritten)."""
    rows = [r for r in rows if len(r.X)]
    parts = inner_split(rows)
    for k, part in enumerate(parts):  # out-of-fold vocabulary features for training
        set_vocabulary(part, learn_vocabulary([r for j, p in enumerate(parts) if j != k for r in p]))
    p, c = {}, {}
    for k, part in enumerate(parts):  # out-of-fold first-stage probabilities for the second stage
        others = [r for j, q in enumerate(parts) if j != k for r in q]
        first, comment = fit(others, [r.X for r in others], "first"), fit(others, [r.X for r in others], "comment")
        for r in part:
            p[r.page.id], c[r.page.id] = predict(first, r.X), predict(comment, r.X)
    first = fit(rows, [r.X for r in rows], "first")
    comment = fit(rows, [r.X for r in rows], "comment")
    second = fit(rows, [second_stage_input(r.X, r.words, p[r.page.id], c[r.page.id]) for r in rows], "second")
    return {
        "format": FORMAT,
        "features": list(FEATURES),
        "second_features": list(SECOND_FEATURES),
        "vocabulary": learn_vocabulary(rows),
        "stages": {"first": forest_json(first), "comment": forest_json(comment), "second": forest_json(second)},
        "meta": {"trained_on": f"devset-dragnet rendered with html-text: {len(rows)} pages",
                 "trainer": "bench/train_text_model.py", "lightgbm": lightgbm.__version__,
                 "params": {k: v for k, v in PARAMS.items() if k not in ("n_jobs", "verbose")},
                 "stage_params": STAGE_PARAMS},
    }


def forest_json(booster: lightgbm.Booster) -> dict:
    """LightGBM's trees in linemodel's JSON layout (thresholds and leaves as LightGBM gives them)."""
    trees = []
    for info in booster.dump_model()["tree_info"]:
        feature, threshold, left, right, leaf = [], [], [], [], []

        def walk(node: dict) -> int:
            if "split_index" not in node:
                leaf.append(node["leaf_value"])
                return ~(len(leaf) - 1)
            if node["decision_type"] != "<=":
                raise ValueError(f"unsupported split {node['decision_type']!r}")
            k = len(feature)
            feature.append(node["split_feature"])
            threshold.append(node["threshold"])
            left.append(0)
            right.append(0)
            left[k] = walk(node["left_child"])
            right[k] = walk(node["right_child"])
            return k

        walk(info["tree_structure"])
        trees.append({"feature": feature, "threshold": threshold, "left": left, "right": right, "leaf": leaf})
    return {"trees": trees}


def write_model(model: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")


# -- scoring through storysift's own path ------------------------------------------------------
def clean_with(pages: list[TextPage], model: Path) -> dict[str, str]:
    """Each page's clean text, storysift's bundled rules with `model` in the classifier rule."""
    bundled = load_rules()
    rule = bundled.by_id(CLASSIFIER_RULE)
    rules = dataclasses.replace(bundled, rules=[
        dataclasses.replace(r, params={**r.params, "model": str(model)}) if r is rule else r for r in bundled.rules])
    return {page.id: clean_document(RawDocument(page.id, page.id, page.text, "text"), rules).text for page in pages}


def summary(pages: list[TextPage], texts: dict[str, str]) -> dict:
    scores = [token_score(texts[page.id], page.gold) for page in pages]
    f1 = [s[2] for s in scores]
    return {"mean F1": statistics.mean(f1), "median F1": statistics.median(f1), f"F1<{LOW_F1}": sum(f < LOW_F1 for f in f1),
            "mean P": statistics.mean(s[0] for s in scores), "mean R": statistics.mean(s[1] for s in scores)}


def oracle_texts(pages: list[TextPage], rows: list[Rows]) -> dict[str, dict[str, str]]:
    """The best a line classifier can do: every line aligned with the gold kept, nothing else;
    and the same after the text rules, which run first and whose removals nothing undoes."""
    rules = load_rules()
    text_rules = dataclasses.replace(rules, rules=[r for r in rules.rules if r.kind not in ("title_line", "classifier")])
    best, after_rules = {}, {}
    for page, r in zip(pages, rows):
        lines = [normalize_line(line) for line in page.text.splitlines()]
        index = [i for i, line in enumerate(lines) if line]
        aligned = {i for i, label in zip(index, r.article.tolist()) if label == 1}
        best[page.id] = "\n".join(lines[i] for i in sorted(aligned))
        kept = set(clean_document(RawDocument(page.id, page.id, page.text, "text"), text_rules).text.splitlines())
        after_rules[page.id] = "\n".join(lines[i] for i in sorted(aligned) if lines[i] in kept)
    return {"oracle": best, "oracle after rules": after_rules}


PAGE_CLASSES = {
    "gold < 60 words (short posts)": lambda page, gold: gold < 60,
    "gold 60-199 words": lambda page, gold: 60 <= gold < 200,
    "gold 200-499 words": lambda page, gold: 200 <= gold < 500,
    "gold 500+ words": lambda page, gold: gold >= 500,
    "with reader comments": lambda page, gold: bool(page.comments.strip()),
}


def breakdown(pages: list[TextPage], systems: dict[str, dict[str, float]]) -> None:
    """Mean F1 per page class and system (each system: page id to F1), and each class's share
    of the held-out model's total loss (sum of 1 - F1): where the missing points are."""
    held_out = next(name for name in systems if name.startswith("held-out"))
    loss = sum(1 - f for f in systems[held_out].values())
    names = list(systems)
    width = max(map(len, PAGE_CLASSES)) + 2
    print(f"\nmean F1 by page class (loss: the class's share of the held-out model's {loss:.0f} points lost)")
    print(" " * width + f"{'pages':>6}{'loss':>7}" + "".join(f"{n[:22]:>24}" for n in names))
    for label, test in {"all pages": lambda page, gold: True, **PAGE_CLASSES}.items():
        members = [p.id for p in pages if test(p, len(TOKEN.findall(p.gold)))]
        if not members:
            continue
        share_of_loss = sum(1 - systems[held_out][m] for m in members) / loss if loss else 0.0
        print(f"{label:{width}}{len(members):6d}{share_of_loss:7.0%}"
              + "".join(f"{statistics.mean(systems[n][m] for m in members):24.3f}" for n in names))


def html_scores(path: Path | None) -> dict[str, dict[str, float]]:
    """Per-page F1 of the HTML extractors on the same pages, from bench/extraction.py --json."""
    if not path:
        return {}
    if not path.is_file():
        print(f"{path}: not there (bench/extraction.py --sets dragnet --json {path} writes it)", file=sys.stderr)
        return {}
    figures = json.loads(path.read_text(encoding="utf-8")).get("dragnet", {})
    return {f"{name} (HTML)": {Path(page).stem: score["f1"] for page, score in result["pages"].items()}
            for name, result in figures.items() if name in ("storysift", "trafilatura", "readability")}


def print_rows(table: dict[str, dict], pages: int) -> None:
    columns = list(next(iter(table.values())))
    width = max(map(len, table))
    print(f"\ndragnet pages as text, storysift clean with the line model ({pages} pages; held-out: "
          "grouped cross-validation by site, shipped: trained on these pages)")
    print(" " * width + "".join(f"{c:>11}" for c in columns))
    for name, figures in table.items():
        print(f"{name:{width}}" + "".join(f"{v:>11d}" if isinstance(v, int) else f"{v:>11.3f}" for v in figures.values()))


def base_id(page_id: str) -> str:
    return page_id.split("~", 1)[0]


def evaluation_sets(pages: list[TextPage]) -> dict[str, list[TextPage]]:
    """What the held-out figures are measured on: the pages as html-text renders them, the same
    without blank lines (as scrapers that write a line per block save them), and each page's
    gold article alone (an input already clean: nothing should go)."""
    return {
        "whole page": pages,
        "no blank lines": [dataclasses.replace(p, text="\n".join(l for l in p.text.splitlines() if l.strip()))
                           for p in pages],
        "article alone": [dataclasses.replace(p, text=p.gold) for p in pages],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder holding devset-dragnet")
    parser.add_argument("--out", type=Path, default=BUNDLED, help=f"model file to write (default {BUNDLED})")
    parser.add_argument("--cv-out", type=Path, default=CV_OUT, help="fold models and folds.json for bench/extraction.py")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-cv", action="store_true", help="train the shipped model only")
    parser.add_argument("--limit", type=int, help="only the first N pages (a quick check, not a model to ship)")
    parser.add_argument("--html", type=Path, help="bench/extraction.py --json output: the HTML extractors' per-page "
                        "F1 on the same pages, in the breakdown by page class")
    args = parser.parse_args(argv)
    root = require(args.shared / "devset-dragnet", "--shared")
    started = time.perf_counter()
    pages = load_pages(root, CACHE, args.limit)
    originals = [page_rows(page) for page in pages]
    rng = random.Random(SEED)
    rows = originals + [page_rows(shape) for page, r in zip(pages, originals) for shape in variants(page, r, rng)]
    print(f"{len(pages)} pages in {len({p.group for p in pages})} site groups, {len(rows)} training pages with their "
          f"variants: {sum(len(r.X) for r in rows)} lines ({int(sum((r.article == 1).sum() for r in rows))} article, "
          f"{int(sum(r.comment.sum() for r in rows))} comment); {time.perf_counter() - started:.0f} s", flush=True)
    sets = evaluation_sets(pages)
    table = {}
    if not args.no_cv:
        fold_of = folds(pages, args.folds, SEED)
        args.cv_out.mkdir(parents=True, exist_ok=True)
        (args.cv_out / "folds.json").write_text(json.dumps(fold_of, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        held_out: dict[str, dict[str, str]] = {name: {} for name in sets}
        for fold in range(args.folds):
            path = args.cv_out / f"fold{fold}.json"
            write_model(train([r for r in rows if fold_of[base_id(r.page.id)] != fold]), path)
            for name, shaped in sets.items():
                held_out[name].update(clean_with([p for p in shaped if fold_of[p.id] == fold], path))
            print(f"fold {fold}: {time.perf_counter() - started:.0f} s", flush=True)
        for name, shaped in sets.items():
            table[f"held-out, {name}"] = summary(shaped, held_out[name])
        systems = {"held-out": held_out["whole page"], **oracle_texts(pages, originals)}
        per_page = {name: {p.id: token_score(texts[p.id], p.gold)[2] for p in pages} for name, texts in systems.items()}
    write_model(train(rows), args.out)
    cached_model.cache_clear()
    for name, shaped in sets.items():
        table[f"shipped, {name}"] = summary(shaped, clean_with(shaped, args.out))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB); {time.perf_counter() - started:.0f} s")
    print_rows(table, len(pages))
    if not args.no_cv:
        breakdown(pages, {**per_page, **html_scores(args.html)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
