"""The consensus model: gradient-boosted trees, trained by bench/train_consensus.py and shipped
as JSON (consensus_model.json beside this module), evaluated here with numpy alone. Given the
rows of clean/features.py, it says how likely each block is to be the page's main content.
All trees walk all rows at once, in float64 and a fixed order: the same rows give the same
probabilities, to the bit, on every run."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = Path(__file__).with_name("consensus_model.json")


class TreeModel:
    """A sum of regression trees on a logistic scale: p = 1 / (1 + exp(-(baseline + sum of leaves)))."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.features: list[str] = spec["features"]
        self.threshold: float = spec["threshold"]
        self.baseline: float = spec["baseline"]
        trees = spec["trees"]
        width = max(len(tree["feature"]) for tree in trees)

        def padded(key: str, dtype: Any, fill: Any) -> np.ndarray:
            return np.array([tree[key] + [fill] * (width - len(tree[key])) for tree in trees], dtype=dtype)

        self.feature = padded("feature", np.int64, 0)
        self.cut = padded("threshold", np.float64, 0.0)
        self.left = padded("left", np.int64, 0)
        self.right = padded("right", np.int64, 0)
        self.leaf = padded("leaf", bool, True)
        self.value = padded("value", np.float64, 0.0)
        self.depth = max(tree["depth"] for tree in trees)
        self.spec = spec

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        if not rows:
            return []
        x = np.asarray(rows, dtype=np.float64)
        count, trees = len(x), len(self.feature)
        tree_index = np.arange(trees)[None, :]
        node = np.zeros((count, trees), dtype=np.int64)
        row_index = np.arange(count)[:, None]
        for _ in range(self.depth):
            leaf = self.leaf[tree_index, node]
            if leaf.all():
                break
            goes_left = x[row_index, self.feature[tree_index, node]] <= self.cut[tree_index, node]
            child = np.where(goes_left, self.left[tree_index, node], self.right[tree_index, node])
            node = np.where(leaf, node, child)
        raw = self.baseline + self.value[tree_index, node].sum(axis=1)
        return (1.0 / (1.0 + np.exp(-raw))).tolist()


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> TreeModel:
    return TreeModel(json.loads(path.read_text(encoding="utf-8")))
