"""The line model: gradient-boosted trees, shipped as JSON data (`text_model.json`, written by
`bench/train_text_model.py`), that give each line of a whole-page text the probability that it
is article text. A first stage reads each line's features (`lines.py`) and, beside it, a
comment model tells reader comments from the article; a second stage reads both again around
each line (the runs of likely article text, the comment mass above and below). Inference is
numpy only: each forest's trees are laid out as complete binary trees, so every tree walks
every line one level at a time."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from storysift.clean.lines import FEATURES, Words, read_page, shifted, topic_share, window_sum
from storysift.clean.model import Forest

FORMAT = "storysift-line-model/1"
BUNDLED = Path(__file__).resolve().parent / "text_model.json"
STAGES = ("first", "comment", "second")
# The bundled model is under 1 MB; a rule naming a larger file names something else.
MAX_MODEL_BYTES = 64 * 2**20
# Complete trees of more levels would not fit in memory: the trainer caps LightGBM's max_depth.
MAX_DEPTH = 12
# The context the second stage reads: the first stage's probability at these offsets, and
# its token-weighted mean over these half-widths.
CONTEXT_OFFSETS = (-3, -2, -1, 1, 2, 3)
CONTEXT_WINDOWS = (3, 10, 30)
CONTEXT_FEATURES = (
    "p", *(f"p@{o:+d}" for o in CONTEXT_OFFSETS), *(f"p~{w}" for w in CONTEXT_WINDOWS),
    "p_before", "p_after", "p_page", "p_mass", "p_topic",
    "run_mass", "run_share", "run_rank", "run_offset", "run_gap", "runs_between",
)
# What the second stage reads of the comment model's probabilities: the line's own, their
# token-weighted mean over these half-widths, and the comment mass above and below the line.
COMMENT_WINDOWS = (3, 10)
COMMENT_FEATURES = ("c", *(f"c~{w}" for w in COMMENT_WINDOWS), "c_before", "c_after")
# A comment section's heading above the line (any, one with a count), and the article text above
# that heading by the first stage (log of its mass, its share of the page's): readers' comments
# follow an article; a count of comments above the article is the post's meta line.
SECTION_FEATURES = ("under_comments", "under_counted_comments", "article_over_comments", "article_over_comments_share")
SECOND_FEATURES = (*FEATURES, *CONTEXT_FEATURES, *COMMENT_FEATURES, *SECTION_FEATURES)
HEADING = FEATURES.index("comments_heading")


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class LineModel:
    first: Forest
    comment: Forest
    second: Forest
    vocabulary: dict[str, float]
    meta: dict

    def probabilities(self, lines: list[str]) -> tuple[list[int], np.ndarray]:
        """The indices of the non-blank lines of a page (its normalised lines, blank ones
        included) and each one's probability of being article text."""
        page = read_page(lines, self.vocabulary)
        if not page.index:
            return page.index, np.zeros(0)
        p = sigmoid(self.first.raw(page.X))
        c = sigmoid(self.comment.raw(page.X))
        return page.index, sigmoid(self.second.raw(second_stage_input(page.X, page.words, p, c)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def second_stage_input(X: np.ndarray, words: Words, p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """SECOND_FEATURES: the line features, then the context of the first stage's `p` and of
    the comment model's `c`."""
    return np.hstack([X, context(p, X[:, 0], words), comment_context(c, X[:, 0]), sections(p, X[:, 0], X[:, HEADING])])


def sections(p: np.ndarray, log_tokens: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """SECTION_FEATURES of every line from the first stage's `p` and the lines' comments_heading."""
    n = len(p)
    mass = p * np.expm1(log_tokens)
    before = np.cumsum(mass) - mass
    position = np.arange(n)

    def nearest_above(flags: np.ndarray) -> np.ndarray:
        last = np.maximum.accumulate(np.where(flags, position, -1))
        return np.concatenate(([-1], last[:-1]))

    any_above, counted_above = nearest_above(heading > 0), nearest_above(heading > 1)
    over = np.where(any_above >= 0, before[np.maximum(any_above, 0)], 0.0)
    return np.column_stack([(any_above >= 0).astype(float), (counted_above >= 0).astype(float), np.log1p(over),
                            over / (mass.sum() + 1)])


def comment_context(c: np.ndarray, log_tokens: np.ndarray) -> np.ndarray:
    """COMMENT_FEATURES of every line from the comment model's probabilities `c`."""
    tokens = np.expm1(log_tokens)
    mass = c * tokens
    before = np.cumsum(mass) - mass
    total = tokens.sum() + 1
    columns = [c, *(window_sum(mass, w) / (window_sum(tokens, w) + 1) for w in COMMENT_WINDOWS),
               before / total, (mass.sum() - before - mass) / total]
    return np.column_stack(columns)


def context(p: np.ndarray, log_tokens: np.ndarray, words: Words) -> np.ndarray:
    """CONTEXT_FEATURES of every line from the first stage's probabilities `p`, the lines'
    log1p token counts and their words."""
    tokens = np.expm1(log_tokens)
    mass = p * tokens
    columns = [p, *(shifted(p, o) for o in CONTEXT_OFFSETS)]
    columns += [window_sum(mass, w) / (window_sum(tokens, w) + 1) for w in CONTEXT_WINDOWS]
    before = np.cumsum(mass) - mass
    total = mass.sum() + 1
    columns += [before / total, (total - 1 - before - mass) / total, np.full(len(p), (p >= 0.5).mean()),
                np.full(len(p), math.log1p(mass.sum())), topic_share(words, p)]
    return np.column_stack(columns + runs(p, tokens))


def runs(p: np.ndarray, tokens: np.ndarray) -> list[np.ndarray]:
    """Where each line stands among the runs of likely article lines (p >= 0.5): its run's
    mass (tokens times p), that mass as a share of the largest run's, the run's rank by mass,
    the line's signed distance in lines from the largest run, the mass of the unlikely lines
    between them, and how many runs lie between. An article is usually one large run; blog
    comments are many smaller runs after it, separated by "X wrote:" and date lines."""
    n = len(p)
    mass = p * tokens
    likely = p >= 0.5
    run = np.cumsum(np.concatenate(([likely[0]], likely[1:] & ~likely[:-1]))) - 1
    run = np.where(likely, run, -1)
    count = int(run.max()) + 1
    run_mass = np.bincount(run[likely], weights=mass[likely], minlength=count) if count else np.zeros(0)
    if not count:
        zero = np.zeros(n)
        return [zero, zero, np.full(n, -1.0), zero, zero, zero]
    biggest = int(np.argmax(run_mass))
    rank = np.empty(count)
    rank[np.argsort(-run_mass, kind="stable")] = np.arange(count)
    position = np.arange(n)
    members = np.flatnonzero(run == biggest)
    first, last = members[0], members[-1]
    offset = np.where(position < first, position - first, np.where(position > last, position - last, 0))
    cumulative = np.cumsum(np.where(likely, 0.0, tokens))
    gap = np.where(position < first, cumulative[first] - cumulative[position],
                   np.where(position > last, cumulative[position] - cumulative[last], 0.0))
    between = np.abs(np.maximum.accumulate(run) - biggest)  # the last run begun at or before each line
    in_run = run >= 0
    largest = max(float(run_mass[biggest]), 1e-9)  # runs of wordless lines weigh nothing
    return [np.where(in_run, np.log1p(run_mass[run]), 0.0), np.where(in_run, run_mass[run] / largest, 0.0),
            np.where(in_run, np.log1p(rank[run]), -1.0), np.sign(offset) * np.log1p(np.abs(offset)),
            np.log1p(gap), np.log1p(between.astype(float))]


def forest_from_json(data: dict, width: int, where: str) -> Forest:
    """A forest from its JSON form: per tree, internal nodes `feature`, `threshold`, `left`,
    `right` (a child >= 0 is an internal node, ~k is leaf k) and `leaf` values (LightGBM's
    layout), expanded to complete trees of the deepest tree's depth."""
    try:
        trees = [(list(map(int, t["feature"])), list(map(float, t["threshold"])), list(map(int, t["left"])),
                  list(map(int, t["right"])), list(map(float, t["leaf"]))) for t in data["trees"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{where}: malformed forest: {exc!r}") from None
    if not trees:
        raise ModelError(f"{where}: the forest has no trees")

    def depth_of(tree: tuple, node: int) -> int:
        return 0 if node < 0 else 1 + max(depth_of(tree, tree[2][node]), depth_of(tree, tree[3][node]))

    for tree in trees:
        feature, threshold, left, right, leaf = tree
        internal = len(feature)
        if not (len(threshold) == len(left) == len(right) == internal and len(leaf) == internal + 1):
            raise ModelError(f"{where}: a tree needs one threshold and two children per node and one leaf more")
        if any(f < 0 or f >= width for f in feature) or any(not -internal - 1 <= c < internal for c in left + right):
            raise ModelError(f"{where}: a tree reads a feature or a node that does not exist")
    depth = max(1, max(depth_of(tree, 0) if tree[0] else 0 for tree in trees))
    if depth > MAX_DEPTH:
        raise ModelError(f"{where}: trees deeper than {MAX_DEPTH} levels (train with max_depth)")
    nodes = 2 ** depth - 1
    feature = np.zeros((len(trees), nodes), dtype=np.int32)
    threshold = np.full((len(trees), nodes), math.inf)
    leaf = np.zeros((len(trees), nodes + 1))
    for t, (features, thresholds, lefts, rights, leaves) in enumerate(trees):
        stack = [(0 if features else -1, 0)]  # (node or ~leaf, heap position)
        while stack:
            node, at = stack.pop()
            if node >= 0:
                feature[t, at], threshold[t, at] = features[node], thresholds[node]
                stack += [(lefts[node], 2 * at + 1), (rights[node], 2 * at + 2)]
            else:
                while at < nodes:  # padding: always left, down to the last level
                    at = 2 * at + 1
                leaf[t, at - nodes] = leaves[~node]
    return Forest(depth, feature, threshold, leaf)


def load_model(path: Path | str) -> LineModel:
    """Read and check a model file written by bench/train_text_model.py."""
    path = Path(path)
    try:
        if not path.is_file():  # a folder, a FIFO or /dev/zero is no model (and never read)
            raise ModelError(f"{path}: the line model must be a regular file")
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise ModelError(f"{path}: larger than {MAX_MODEL_BYTES // 2**20} MB: not a line model")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelError(f"{path}: cannot read the line model: {exc!r}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path}: not a {FORMAT} file (write one with bench/train_text_model.py)")
    if tuple(data.get("features", ())) != FEATURES or tuple(data.get("second_features", ())) != SECOND_FEATURES:
        raise ModelError(f"{path}: the model was trained on other line features than this storysift computes; "
                         "retrain it with bench/train_text_model.py")
    vocabulary = data.get("vocabulary")
    if not isinstance(vocabulary, dict) or not all(isinstance(v, (int, float)) for v in vocabulary.values()):
        raise ModelError(f"{path}: 'vocabulary' must map words to numbers")
    stages = data.get("stages")
    if not isinstance(stages, dict) or set(stages) != set(STAGES):
        raise ModelError(f"{path}: 'stages' must hold the forests {', '.join(STAGES)}")
    widths = {"first": len(FEATURES), "comment": len(FEATURES), "second": len(SECOND_FEATURES)}
    forests = {name: forest_from_json(stages[name], widths[name], f"{path}: stage '{name}'") for name in STAGES}
    return LineModel(**forests, vocabulary=vocabulary, meta=data.get("meta", {}))


@lru_cache(maxsize=8)
def cached_model(path: str) -> LineModel:
    """A model file read once per process (and per path)."""
    return load_model(path)
