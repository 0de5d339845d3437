"""Train the consensus model (storysift/clean/consensus_model.json) and print its held-out figures.

    python bench/train_consensus.py [--shared DIR] [--cache DIR] [--limit N] [--no-write]

For every page of devset-dragnet and devset (under --shared, default ../shared), the HTML stage
prepares the page as in production (pruning, blocks) and runs all three voters; their outputs
are mapped onto the blocks and cached in --cache (default /tmp/storysift-consensus), since the
voters take most of the time. Labels: on dragnet, a block is content when the gold text holds
it (clean/alignment.py, as for the votes); on devset, a block holding a `with` snippet is
content and one holding a `without` snippet is not (other blocks have no label). Readability's
votes go through the production gate (consensus.gated_votes where trafilatura and resiliparse
agree and keep less than the whole page: consensus.needs_readability), so the model learns the
votes it will be given.

Printed, all on pages the model did not see:
  dragnet 3-fold CV grouped by site (a site's pages all in one fold): mean/median token F1,
      pages under 0.5, beside each voter's own blocks and their majority;
  train on devset, test on dragnet (token F1); train on dragnet, test on devset (snippets);
  the share of pages on which readability runs, and each voter's ms a page.
The shipped model is trained on both sets; its threshold is chosen on the dragnet CV.
Needs scikit-learn (training only: the product reads the JSON with numpy).
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _devdata import SHARED, require  # noqa: E402
from _scoring import token_score  # noqa: E402
from extraction import decode, norm, read_gold  # noqa: E402

from storysift.api import rules as bundled_rules  # noqa: E402
from storysift.clean.alignment import coverage  # noqa: E402
from storysift.clean.blocks import text_blocks  # noqa: E402
from storysift.clean.consensus import gated_votes, needs_readability  # noqa: E402
from storysift.clean.features import FEATURES, VOTER_NAMES, feature_rows  # noqa: E402
from storysift.clean.html import prepare_page  # noqa: E402
from storysift.clean.model import MODEL_FILE, TreeModel  # noqa: E402
from storysift.clean.voters import VOTERS  # noqa: E402

TOKEN = re.compile(r"\w+")
# Trees of this size, this many: deeper or more trees gained nothing on the site-grouped CV.
TREES, DEPTH, RATE = 100, 5, 0.1
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5)
# A vote for a block can only raise its chance of being content: without the constraint, trees
# learnt site quirks (on a held-out blog, every block all three voters kept was dropped).
MONOTONE = [1 if name.split()[0] in VOTER_NAMES and not name.endswith(" page") else 0 for name in FEATURES]


def page_records(which: str, shared: Path, cache: Path, limit: int | None) -> list[dict]:
    """Each page's blocks, voter outputs and votes (cached), with dragnet's gold."""
    path = cache / f"{which}.pkl"
    if path.exists():
        pages = [p for p in pickle.loads(path.read_bytes()) if p][:limit]
        for page in pages if which == "dragnet" else ():  # the gold as read_gold reads it now
            page["gold"] = read_gold(shared / "devset-dragnet" / "gold" / f"{page['name'][:-5]}.txt")
            page["label"] = coverage([b.words for b in page["blocks"]], page["gold"])
        return pages
    rules = bundled_rules()
    if which == "dragnet":
        files = sorted((shared / "devset-dragnet" / "html").glob("*.html"))
    else:
        expectations = json.loads((shared / "devset" / "expectations.json").read_text(encoding="utf-8"))
        files = [shared / "devset" / "html" / name for name in sorted(expectations)]
    pages, seconds = [], Counter()
    for path_ in files[:limit]:
        try:
            prepared = prepare_page(decode(path_.read_bytes()), rules)
        except Exception:  # a page past a parser's limit is rejected in production too
            continue
        if prepared.page is None:
            continue
        blocks = text_blocks(prepared.tree)
        outs = {}
        for name, voter in VOTERS.items():
            start = time.perf_counter()
            outs[name] = voter(prepared.page, prepared.html, prepared.url or prepared.meta_url)
            seconds[name] += time.perf_counter() - start
        block_words = [b.words for b in blocks]
        record = {"name": path_.name, "blocks": blocks, "outs": outs, "title": prepared.title,
                  "votes": {name: coverage(block_words, text) for name, text in outs.items()}}
        if which == "dragnet":
            record["gold"] = read_gold(shared / "devset-dragnet" / "gold" / f"{path_.stem}.txt")
            record["label"] = coverage(block_words, record["gold"])
        pages.append(record)
    print(f"{which}: voters' ms a page " + ", ".join(f"{n} {1000 * s / max(len(pages), 1):.1f}"
                                                     for n, s in seconds.items()))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(pages))
    return pages


def production_votes(page: dict, gate_only: bool = False) -> dict[str, list[float] | None]:
    """The votes as production has them: readability's only where it runs (`gate_only`), or
    as the model reads them (gated_votes)."""
    votes = {name: page["votes"][name] for name in VOTER_NAMES}
    if not needs_readability(page["blocks"], votes):
        votes["readability"] = None
    return votes if gate_only else gated_votes(page["blocks"], votes)


def site_of(url: str | None, fallback: str) -> str:
    host = urlsplit(url).hostname if url else None
    return ".".join(host.split(".")[-2:]) if host else fallback


class SetData:
    """Rows, labels, weights and site groups of one set, with each page's row span."""

    def __init__(self, pages: list[dict], labels: list[list[float | None]], sites: list[str]) -> None:
        rows, y, weight, groups, self.spans = [], [], [], [], []
        for page, page_labels, site in zip(pages, labels, sites):
            start = len(rows)
            rows += feature_rows(page["blocks"], production_votes(page))
            y += [-1 if label is None else int(label >= 0.5) for label in page_labels]
            weight += [len(b.words) + 1 for b in page["blocks"]]  # F1 counts words, not blocks
            groups += [site] * len(page["blocks"])
            self.spans.append((start, len(rows)))
        self.x, self.y = np.array(rows, dtype=np.float64), np.array(y)
        self.weight, self.groups = np.array(weight, dtype=np.float64), np.array(groups)
        self.pages = pages

    def labelled(self) -> np.ndarray:
        return self.y >= 0


def train(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(max_iter=TREES, max_depth=DEPTH, learning_rate=RATE,
                                           monotonic_cst=MONOTONE, random_state=0)
    return model.fit(x, y, sample_weight=weight)


def kept_texts(data: SetData, probability: np.ndarray, threshold: float) -> list[str]:
    """Each page's text as the product builds it (consensus.decide): the blocks every voter that
    ran keeps or the model finds likely, with the empty-page fallback."""
    from storysift.clean.consensus import FALLBACK_SHARE
    texts = []
    for page, (start, stop) in zip(data.pages, data.spans):
        p = probability[start:stop]
        votes = [np.array(column) >= 0.5 for column in production_votes(page, gate_only=True).values() if column]
        keep = (p >= threshold) | np.logical_and.reduce(votes)
        if len(p) and not keep.any():
            keep = p >= p.max() * FALLBACK_SHARE
        texts.append("\n".join(b.text for b, k in zip(page["blocks"], keep) if k))
    return texts


def f1_figures(texts: list[str], pages: list[dict]) -> str:
    scores = [token_score(t, p["gold"])[2] for t, p in zip(texts, pages)]
    return (f"mean F1 {statistics.mean(scores):.4f}  median {statistics.median(scores):.4f}  "
            f"<0.5 {sum(s < 0.5 for s in scores)}")


def snippet_figures(texts: list[str], pages: list[dict], expectations: dict) -> str:
    found, absent = [], []
    for text, page in zip(texts, pages):
        text = norm(text)
        found += [norm(s) in text for s in expectations[page["name"]]["with"]]
        absent += [norm(s) not in text for s in expectations[page["name"]]["without"]]
    with_, without = 100 * statistics.mean(found), 100 * statistics.mean(absent)
    return f"with {with_:.2f}  without {without:.2f}  mean {(with_ + without) / 2:.2f}"


def snippet_labels(page: dict, expectation: dict) -> list[float | None]:
    labels: list[float | None] = []
    for block in page["blocks"]:
        text = norm(block.text)
        if any(norm(s) in text for s in expectation["with"] if s.strip()):
            labels.append(1.0)
        elif any(norm(s) in text for s in expectation["without"] if s.strip()):
            labels.append(0.0)
        else:
            labels.append(None)
    return labels


def export(model: HistGradientBoostingClassifier, threshold: float, figures: dict) -> dict:
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        trees.append({
            "feature": [int(v) for v in nodes["feature_idx"]],
            "threshold": [float(v) for v in nodes["num_threshold"]],
            "left": [int(v) for v in nodes["left"]],
            "right": [int(v) for v in nodes["right"]],
            "leaf": [bool(v) for v in nodes["is_leaf"]],
            "value": [float(v) for v in nodes["value"]],
            "depth": int(nodes["depth"].max()),
        })
    return {"features": list(FEATURES), "threshold": threshold,
            "baseline": float(np.ravel(model._baseline_prediction)[0]), "trees": trees,
            "trained_by": "bench/train_consensus.py", "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/storysift-consensus"))
    parser.add_argument("--limit", type=int)
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave the shipped model")
    args = parser.parse_args(argv)
    require(args.shared / "devset-dragnet", "--shared")
    require(args.shared / "devset", "--shared")
    urls = json.loads((args.shared / "devset-dragnet" / "pages.json").read_text(encoding="utf-8"))
    expectations = json.loads((args.shared / "devset" / "expectations.json").read_text(encoding="utf-8"))

    dragnet_pages = page_records("dragnet", args.shared, args.cache, args.limit)
    devset_pages = page_records("devset", args.shared, args.cache, args.limit)
    dragnet = SetData(dragnet_pages, [p["label"] for p in dragnet_pages],
                      [site_of((urls.get(p["name"][:-5]) or {}).get("url"), p["name"]) for p in dragnet_pages])
    devset = SetData(devset_pages, [snippet_labels(p, expectations[p["name"]]) for p in devset_pages],
                     [site_of(expectations[p["name"]].get("url"), p["name"]) for p in devset_pages])
    for name, pages in (("dragnet", dragnet_pages), ("devset", devset_pages)):
        runs = sum(needs_readability(p["blocks"], p["votes"]) for p in pages)
        print(f"{name}: readability runs on {runs} of {len(pages)} pages ({runs / len(pages):.1%})")
    figures: dict[str, str] = {}

    print("\ndragnet, each voter's blocks alone:")
    for name in VOTER_NAMES:
        column = FEATURES.index(name)
        raw = dragnet.x[:, column]
        print(f"  {name:12} {f1_figures(kept_texts(dragnet, raw, 0.5), dragnet_pages)}")

    held_out = np.zeros(len(dragnet.y))
    for train_rows, test_rows in GroupKFold(n_splits=3).split(dragnet.x, dragnet.y, dragnet.groups):
        model = train(dragnet.x[train_rows], dragnet.y[train_rows], dragnet.weight[train_rows])
        held_out[test_rows] = model.predict_proba(dragnet.x[test_rows])[:, 1]
    print("\ndragnet, 3-fold CV grouped by site:")
    best = (0.0, THRESHOLDS[0])
    for threshold in THRESHOLDS:
        line = f1_figures(kept_texts(dragnet, held_out, threshold), dragnet_pages)
        print(f"  threshold {threshold:.2f}  {line}")
        best = max(best, (float(line.split()[2]), threshold))
    threshold = best[1]
    figures["dragnet site-grouped CV"] = f1_figures(kept_texts(dragnet, held_out, threshold), dragnet_pages)

    labelled = devset.labelled()
    model = train(devset.x[labelled], devset.y[labelled], devset.weight[labelled])
    figures["train devset, test dragnet"] = f1_figures(
        kept_texts(dragnet, model.predict_proba(dragnet.x)[:, 1], threshold), dragnet_pages)
    labelled = dragnet.labelled()
    model = train(dragnet.x[labelled], dragnet.y[labelled], dragnet.weight[labelled])
    figures["train dragnet, test devset"] = snippet_figures(
        kept_texts(devset, model.predict_proba(devset.x)[:, 1], threshold), devset_pages, expectations)
    print(f"\nthreshold {threshold}")
    for name, line in figures.items():
        print(f"  {name}: {line}")

    x = np.concatenate([dragnet.x[dragnet.labelled()], devset.x[devset.labelled()]])
    y = np.concatenate([dragnet.y[dragnet.labelled()], devset.y[devset.labelled()]])
    weight = np.concatenate([dragnet.weight[dragnet.labelled()], devset.weight[devset.labelled()]])
    final = train(x, y, weight)
    spec = export(final, threshold, figures)
    exported = TreeModel(spec).probabilities(dragnet.x[:2000].tolist())
    assert np.allclose(exported, final.predict_proba(dragnet.x[:2000])[:, 1]), "export differs from sklearn"
    if not args.no_write:
        MODEL_FILE.write_text(json.dumps(spec, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"\nwrote {MODEL_FILE} ({MODEL_FILE.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
