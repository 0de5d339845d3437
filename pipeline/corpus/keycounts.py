"""Counting line keys per site over a whole corpus in bounded memory, for the site templates
(templates.py): each distinct page's keys wait in partition files on disk, split by the key's
top bits, and are counted a partition at a time. Holding them in memory took ~1.6 KB a page
(every line of every page is a candidate until counted): 160 MB at 100,000 pages."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

# Partitions by the key's top bits: each holds 1/16 of the keys when it is counted.
PARTITION_BITS = 4
# Keys held before they go to the partition files (12 bytes each: the key and its site).
BUFFER_KEYS = 1 << 18


class SpilledCounts:
    """(site code, key) pairs, each added once per page, counted at the end."""

    def __init__(self, work_dir: Path | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix=".storysift-template-keys.", dir=work_dir))
        self.keys: list[np.ndarray] = []
        self.sites: list[np.ndarray] = []
        self.held = 0
        self.files = [(open(self.dir / f"{n}.keys", "wb"), open(self.dir / f"{n}.sites", "wb"))
                      for n in range(1 << PARTITION_BITS)]

    def add(self, site: int, keys: np.ndarray) -> None:
        self.keys.append(keys.astype(np.uint64, copy=False))
        self.sites.append(np.full(len(keys), site, dtype=np.uint32))
        self.held += len(keys)
        if self.held >= BUFFER_KEYS:
            self._spill()

    def _spill(self) -> None:
        if not self.keys:
            return
        keys, sites = np.concatenate(self.keys), np.concatenate(self.sites)
        part = (keys >> np.uint64(64 - PARTITION_BITS)).astype(np.int64)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange((1 << PARTITION_BITS) + 1))
        for n, (key_file, site_file) in enumerate(self.files):
            chosen = order[bounds[n]:bounds[n + 1]]
            key_file.write(keys[chosen].tobytes())
            site_file.write(sites[chosen].tobytes())
        self.keys, self.sites, self.held = [], [], 0

    def at_least(self, minimum: int, wanted: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(site code, its keys added `minimum` times or more, how many times each), for the site
        codes `wanted` marks, a partition at a time (a site may come several times)."""
        self._spill()
        for key_file, site_file in self.files:
            key_file.close()
            site_file.close()
        for n in range(1 << PARTITION_BITS):
            keys = np.fromfile(self.dir / f"{n}.keys", dtype=np.uint64)
            sites = np.fromfile(self.dir / f"{n}.sites", dtype=np.uint32)
            keep = wanted[sites]
            keys, sites = keys[keep], sites[keep]
            if not len(keys):
                continue
            order = np.lexsort((keys, sites))
            keys, sites = keys[order], sites[order]
            starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]) | (sites[1:] != sites[:-1])])
            counts = np.diff(np.r_[starts, len(keys)])
            enough = counts >= minimum
            common, common_counts = starts[enough], counts[enough]
            for site in np.unique(sites[common]).tolist():
                chosen = sites[common] == site
                yield site, keys[common[chosen]], common_counts[chosen]

    def close(self) -> None:
        for key_file, site_file in self.files:
            key_file.close()
            site_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)
