"""Gradient-boosted trees evaluated with numpy alone: `Forest`, the one tree walk, which the line
model (linemodel.py, trees from `text_model.json`) and the consensus model run.

The consensus model (`TreeModel`): trained by bench/train_consensus.py and shipped as JSON
(consensus_model.json beside this module). Given the rows of clean/features.py, it says how
likely each block is to be the page's main content. All trees walk all rows at once, in float64
and a fixed order: the same rows give the same probabilities, to the bit, on every run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = Path(__file__).with_name("consensus_model.json")
# Rows walked through the trees at once: bounds the (trees x rows) arrays of a page of a
# million lines to a few megabytes.
ROWS_AT_ONCE = 4096


@dataclass(frozen=True)
class Forest:
    """Trees, each padded to a complete binary tree of `depth` levels: internal
    node k (heap order, root 0) sends a row right when row[feature[t, k]] > threshold[t, k]
    (LightGBM's `<=` goes left); a row ends at leaf `node - (2**depth - 1)`. A leaf above the
    last level is padded with nodes of threshold +inf, which send every row left to it."""

    depth: int
    feature: np.ndarray  # (trees, 2**depth - 1) int
    threshold: np.ndarray  # (trees, 2**depth - 1) float
    leaf: np.ndarray  # (trees, 2**depth) float

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The sum of the trees' leaf values for each row of X (LightGBM's raw score)."""
        # Summed over the first axis: tree after tree, in a fixed order, whatever numpy's build.
        return np.concatenate([self.leaves(X[start:start + ROWS_AT_ONCE]).sum(axis=0)
                               for start in range(0, len(X), ROWS_AT_ONCE)] or [np.zeros(0)])

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """The leaf value each tree gives each row of X: (trees, rows)."""
        trees, width = self.feature.shape
        rows, columns = X.shape
        X = np.ascontiguousarray(X, dtype=np.float64).ravel()
        offset = (np.arange(trees, dtype=np.int32) * width)[:, None]
        row_start = np.arange(rows, dtype=np.int32) * columns
        node = np.zeros((trees, rows), dtype=np.int32)  # heap position within each tree
        for _ in range(self.depth):
            at = node + offset
            node = 2 * node + 1 + (np.take(X, np.take(self.feature, at) + row_start) > np.take(self.threshold, at))
        return np.take(self.leaf, node - width + offset + np.arange(trees, dtype=np.int32)[:, None])


def forest_from_nodes(trees: list[dict[str, Any]], depth: int) -> Forest:
    """A forest from the consensus model's trees: per node `feature`, `threshold`, children
    `left` and `right`, whether it is a `leaf` and its `value`; a row that goes `depth` levels
    down ends where it is."""
    nodes = 2 ** depth - 1
    feature = np.zeros((len(trees), nodes), dtype=np.int32)
    threshold = np.full((len(trees), nodes), np.inf)
    leaf = np.zeros((len(trees), nodes + 1))
    for t, tree in enumerate(trees):
        stack = [(0, 0)]  # (node, heap position)
        while stack:
            node, at = stack.pop()
            if tree["leaf"][node] or at >= nodes:
                while at < nodes:  # padding: always left, down to the last level
                    at = 2 * at + 1
                leaf[t, at - nodes] = tree["value"][node]
            else:
                feature[t, at], threshold[t, at] = tree["feature"][node], tree["threshold"][node]
                stack += [(tree["left"][node], 2 * at + 1), (tree["right"][node], 2 * at + 2)]
    return Forest(depth, feature, threshold, leaf)


class TreeModel:
    """A sum of regression trees on a logistic scale: p = 1 / (1 + exp(-(baseline + sum of leaves)))."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.features: list[str] = spec["features"]
        self.threshold: float = spec["threshold"]
        self.baseline: float = spec["baseline"]
        self.depth = max(tree["depth"] for tree in spec["trees"])
        self.forest = forest_from_nodes(spec["trees"], self.depth)
        self.spec = spec

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        if not rows:
            return []
        x = np.asarray(rows, dtype=np.float64)
        # A missing value goes right at every split, as `x <= threshold` fails (and left, as +inf
        # does, through the padding).
        x = np.where(np.isnan(x), np.inf, x)
        values = np.concatenate([self.forest.leaves(x[start:start + ROWS_AT_ONCE])
                                 for start in range(0, len(x), ROWS_AT_ONCE)], axis=1)
        # Each row's leaves summed in one contiguous row, as numpy sums a row (pairwise).
        raw = self.baseline + np.ascontiguousarray(values.T).sum(axis=1)
        return (1.0 / (1.0 + np.exp(-raw))).tolist()


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> TreeModel:
    return TreeModel(json.loads(path.read_text(encoding="utf-8")))
