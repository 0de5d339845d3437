"""The incremental index (`--index PATH|redis://...`): the signatures and LSH band keys of the
stories earlier runs found, so today's dedup stage marks a story already seen (and gives it
its earlier id) without re-reading old pages. Two stores with one interface: an SQLite file
(stdlib sqlite3, the default) and Redis (`pip install 'storysift[redis]'`), shared by workers.

Old texts are gone, so a candidate from the band keys is verified on the MinHash estimate of
the Jaccard (the share of equal slots), not on the exact Jaccard the stage uses within a run:
with 128 permutations its standard deviation at Jaccard 0.5 is 0.044. Keeping the exact
shingle sets instead was measured on the 605 clean devset pages: 1.8 KB a page (median,
sorted deltas, zlib) against 512 bytes for a signature, so the index keeps signatures."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import numpy as np

from storysift.corpus.minhash import SEED, estimate
from storysift.corpus.stories import LSH_SLACK, lsh_params

# Bumped when what is stored or how band keys are computed changes: an index of another
# format is refused, never misread.
FORMAT = 1
REDIS_PREFIX = "storysift:"
# Band keys per SQL statement / Redis pipeline: SQLite's default limit is 32,766 variables.
LOOKUP_BATCH = 5000
# How long a SQLite index waits for another writer's lock.
LOCK_TIMEOUT_S = 120


def lookup_chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct values, sorted, in chunks of LOOKUP_BATCH: one query or pipeline each."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), LOOKUP_BATCH):
        yield ordered[start:start + LOOKUP_BATCH]
# One 64-bit multiplier per slot of a band and one salt per band (fixed: band keys are stored).
_SLOT_MULTIPLIERS = np.array(
    [int.from_bytes(hashlib.blake2b(b"storysift-band-slot-%d" % i, digest_size=8).digest(), "little") | 1
     for i in range(4096)], dtype=np.uint64)
_BAND_SALTS = np.array(
    [int.from_bytes(hashlib.blake2b(b"storysift-band-%d" % i, digest_size=8).digest(), "little")
     for i in range(4096)], dtype=np.uint64)


class IndexMismatch(ValueError):
    """An index that cannot be used with these options (other parameters or format)."""


@dataclass(frozen=True)
class StoredMember:
    """One distinct text (by digest) of a story an earlier run saw."""

    digest: bytes
    story: str
    doc: str
    signature: np.ndarray  # uint32, num_perm slots


@dataclass(frozen=True)
class StoredStory:
    id: str
    canonical: str  # the canonical member's document id when the story was first seen
    run: str  # when it was first seen (UTC, ISO 8601)


class IndexStore(Protocol):
    """Where the index lives. `params` is set on first use and must match afterwards."""

    def params(self, wanted: dict[str, object]) -> dict[str, object]:
        """The stored parameters, storing `wanted` first if the index is new."""

    def buckets(self, keys: Iterable[int]) -> dict[int, list[bytes]]:
        """For each band key that any stored member has, the digests of those members."""

    def members(self, digests: Iterable[bytes]) -> dict[bytes, StoredMember]:
        ...

    def existing_stories(self, ids: Iterable[str]) -> set[str]:
        ...

    def add(self, stories: list[StoredStory], members: list[StoredMember], keys: dict[bytes, list[int]]) -> int:
        """Store new stories and members (a digest already stored is left as it is) with
        their band keys; returns the number of members added."""

    def counts(self) -> dict[str, int]:
        ...

    def close(self) -> None:
        ...


def open_store(location: str) -> IndexStore:
    """`redis://host:port/db[?prefix=name:]` (or `rediss://`, `unix://`) for Redis, anything
    else a file path."""
    if location.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(location)
    return SqliteStore(Path(location))


def location_problem(location: str) -> str | None:
    """What is wrong with an --index value, naming the fix; None when usable."""
    if location.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis  # noqa: F401
        except ImportError:
            return f"--index {location} needs redis-py: pip install 'storysift[redis]'"
        return None
    path = Path(location)
    if path.is_dir():
        return f"--index {location} is a folder; name a file (e.g. {path / 'index.sqlite'})"
    if not path.parent.is_dir():
        return f"--index {location}: folder {path.parent} does not exist"
    return None


SQLITE_SCHEMA = """
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS stories (id TEXT PRIMARY KEY, canonical TEXT NOT NULL, run TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS members (
        member INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, story TEXT NOT NULL,
        doc TEXT NOT NULL, signature BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, member INTEGER NOT NULL,
        PRIMARY KEY (key, member)) WITHOUT ROWID;
"""
# The tables and columns SQLITE_SCHEMA makes: a database holding anything else belongs to
# another program, and is refused before anything is written to it.
SQLITE_COLUMNS = {"meta": ["name", "value"], "stories": ["id", "canonical", "run"],
                  "members": ["member", "digest", "story", "doc", "signature"], "bands": ["key", "member"]}


class SqliteStore:
    """The index in one SQLite file: band keys in a clustered (WITHOUT ROWID) table, so a
    lookup is one index search per key. Writes are one transaction; WAL lets readers go on."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=LOCK_TIMEOUT_S, isolation_level=None)
        try:
            # One transaction checks and makes the tables: a second run opening the file at the
            # same moment sees all of them or none.
            self.db.execute("BEGIN IMMEDIATE")
            self._check_schema()  # before anything is written: another program's database is left as it is
            for statement in filter(str.strip, SQLITE_SCHEMA.split(";")):
                self.db.execute(statement)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.close()
            raise
        self._use_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")

    def _use_wal(self) -> None:
        """Switch the file to WAL (it stays so). SQLite refuses the switch at once, without
        waiting, while another connection has the file open (writers starting together on a
        new index); wait for it here."""
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                # A database that cannot be WAL (":memory:") answers with its own mode, and stays so.
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _check_schema(self) -> None:
        """A new (empty) database, or one holding exactly the index's tables and columns."""
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        columns = {table: [row[1] for row in self.db.execute(f"PRAGMA table_info({table})")]
                   for table in tables & set(SQLITE_COLUMNS)}
        if tables != set(SQLITE_COLUMNS) or columns != SQLITE_COLUMNS:
            raise IndexMismatch(f"{self.path} is not a storysift index (it holds the tables {', '.join(sorted(tables))}): "
                                "name a new file, or an index an earlier run made")

    def params(self, wanted: dict[str, object]) -> dict[str, object]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)",
                                [(k, json.dumps(v)) for k, v in wanted.items()])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return {k: json.loads(v) for k, v in self.db.execute("SELECT name, value FROM meta")}

    def buckets(self, keys: Iterable[int]) -> dict[int, list[bytes]]:
        out: dict[int, list[bytes]] = {}
        for chunk in lookup_chunks(keys):
            rows = self.db.execute(
                f"SELECT b.key, m.digest FROM bands b JOIN members m ON m.member = b.member "
                f"WHERE b.key IN ({','.join('?' * len(chunk))})", chunk)
            for key, digest in rows:
                out.setdefault(key, []).append(digest)
        return out

    def members(self, digests: Iterable[bytes]) -> dict[bytes, StoredMember]:
        out = {}
        for chunk in lookup_chunks(digests):
            for digest, story, doc, signature in self.db.execute(
                    f"SELECT digest, story, doc, signature FROM members WHERE digest IN ({','.join('?' * len(chunk))})",
                    chunk):
                out[digest] = StoredMember(digest, story, doc, np.frombuffer(signature, dtype=np.uint32))
        return out

    def existing_stories(self, ids: Iterable[str]) -> set[str]:
        found = set()
        for chunk in lookup_chunks(ids):
            found.update(row[0] for row in self.db.execute(
                f"SELECT id FROM stories WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def add(self, stories: list[StoredStory], members: list[StoredMember], keys: dict[bytes, list[int]]) -> int:
        added = 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("INSERT OR IGNORE INTO stories VALUES (?, ?, ?)",
                                [(s.id, s.canonical, s.run) for s in stories])
            for member in members:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO members (digest, story, doc, signature) VALUES (?, ?, ?, ?)",
                    (member.digest, member.story, member.doc, member.signature.astype(np.uint32).tobytes()))
                if cursor.rowcount:
                    added += 1
                    self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                                        [(key, cursor.lastrowid) for key in keys[member.digest]])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return added

    def counts(self) -> dict[str, int]:
        return {"stories": self.db.execute("SELECT count(*) FROM stories").fetchone()[0],
                "members": self.db.execute("SELECT count(*) FROM members").fetchone()[0]}

    def close(self) -> None:
        self.db.close()


class RedisStore:
    """The index in Redis, for workers or machines sharing one: a hash of parameters, a hash
    of stories, a hash of members (digest to story, document and signature) and one set of
    digests per band key. A member is claimed with HSETNX, so of two workers storing one text
    only one adds its band keys; every write is a pipeline of idempotent commands."""

    def __init__(self, url: str):
        import redis

        # `?prefix=name:` keeps several indexes in one database (tests use one each).
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = query.pop("prefix", [REDIS_PREFIX])[0]
        self.redis = redis.Redis.from_url(urlunsplit(parts._replace(query=urlencode(query, doseq=True))))
        self.redis.ping()  # an unreachable server fails here, before any work

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def params(self, wanted: dict[str, object]) -> dict[str, object]:
        pipe = self.redis.pipeline()
        for name, value in wanted.items():
            pipe.hsetnx(self._key("meta"), name, json.dumps(value))
        pipe.execute()
        return {k.decode(): json.loads(v) for k, v in self.redis.hgetall(self._key("meta")).items()}

    def buckets(self, keys: Iterable[int]) -> dict[int, list[bytes]]:
        out: dict[int, list[bytes]] = {}
        for chunk in lookup_chunks(keys):
            pipe = self.redis.pipeline(transaction=False)
            for key in chunk:
                pipe.smembers(self._key("band", str(key)))
            for key, digests in zip(chunk, pipe.execute()):
                if digests:
                    out[key] = sorted(digests)
        return out

    def members(self, digests: Iterable[bytes]) -> dict[bytes, StoredMember]:
        out = {}
        for chunk in lookup_chunks(digests):
            for digest, value in zip(chunk, self.redis.hmget(self._key("members"), chunk)):
                if value is not None:
                    out[digest] = _unpack(digest, value)
        return out

    def existing_stories(self, ids: Iterable[str]) -> set[str]:
        ids = sorted(set(ids))
        if not ids:
            return set()
        values = self.redis.hmget(self._key("stories"), ids)
        return {story for story, value in zip(ids, values) if value is not None}

    def add(self, stories: list[StoredStory], members: list[StoredMember], keys: dict[bytes, list[int]]) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for story in stories:
            pipe.hsetnx(self._key("stories"), story.id, json.dumps({"canonical": story.canonical, "run": story.run}))
        for member in members:
            pipe.hsetnx(self._key("members"), member.digest, _pack(member))
        claimed = pipe.execute()[len(stories):]
        pipe = self.redis.pipeline(transaction=False)
        added = 0
        for member, new in zip(members, claimed):
            if new:
                added += 1
                for key in keys[member.digest]:
                    pipe.sadd(self._key("band", str(key)), member.digest)
        pipe.execute()
        return added

    def counts(self) -> dict[str, int]:
        return {"stories": self.redis.hlen(self._key("stories")), "members": self.redis.hlen(self._key("members"))}

    def close(self) -> None:
        self.redis.close()


def _pack(member: StoredMember) -> bytes:
    # JSON escapes newlines, so the first newline ends the header and the signature follows.
    header = json.dumps([member.story, member.doc]).encode("utf-8")
    return header + b"\n" + member.signature.astype(np.uint32).tobytes()


def _unpack(digest: bytes, value: bytes) -> StoredMember:
    header, signature = value.split(b"\n", 1)
    story, doc = json.loads(header)
    return StoredMember(digest, story, doc, np.frombuffer(signature, dtype=np.uint32))


class StoryIndex:
    """An index store with the banding and verification of one set of dedup options."""

    def __init__(self, store: IndexStore, num_perm: int, shingle_size: int, threshold: float):
        self.store = store
        self.threshold = threshold
        self.bands, self.rows = lsh_params(threshold * LSH_SLACK, num_perm)
        wanted = {"format": FORMAT, "num_perm": num_perm, "shingle_size": shingle_size, "threshold": threshold,
                  "seed": SEED, "bands": self.bands, "rows": self.rows}
        stored = store.params(wanted)
        differ = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
        if differ:
            said = ", ".join(f"{k} {old} (now {new})" for k, (old, new) in sorted(differ.items()))
            raise IndexMismatch(f"the index was built with {said}: run with its options, or use a new --index")

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One signed 64-bit key per band for each signature row (n x bands)."""
        signatures = np.atleast_2d(signatures).astype(np.uint64)
        keys = np.empty((len(signatures), self.bands), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for band in range(self.bands):
                slots = signatures[:, band * self.rows:(band + 1) * self.rows]
                folded = (slots * _SLOT_MULTIPLIERS[:self.rows]).sum(axis=1) + _BAND_SALTS[band]
                folded ^= folded >> np.uint64(33)
                folded *= np.uint64(0xFF51AFD7ED558CCD)
                folded ^= folded >> np.uint64(33)
                keys[:, band] = folded
        return keys.view(np.int64)

    def match(self, signatures: dict[int, np.ndarray]) -> dict[int, dict[str, float]]:
        """For each signature (by today's document index), the earlier stories it matches:
        story id to the best estimated Jaccard with one of its stored members."""
        if not signatures:
            return {}
        docs = sorted(signatures)
        keys = self.band_keys(np.vstack([signatures[d] for d in docs]))
        found = self.store.buckets(int(k) for k in keys.ravel())
        if not found:
            return {}
        candidates = {doc: sorted({digest for k in row.tolist() for digest in found.get(k, ())})
                      for doc, row in zip(docs, keys)}
        stored = self.store.members(d for ds in candidates.values() for d in ds)
        out: dict[int, dict[str, float]] = {}
        for doc in docs:
            known = [stored[d] for d in candidates[doc] if d in stored]
            if not known:
                continue
            scores = estimate(signatures[doc], np.vstack([m.signature for m in known]))
            for member, score in zip(known, scores.tolist()):
                if score >= self.threshold:
                    matches = out.setdefault(doc, {})
                    matches[member.story] = max(score, matches.get(member.story, 0.0))
        return out

    def add(self, stories: dict[str, str], members: list[tuple[bytes, str, str, np.ndarray]]) -> int:
        """Store today's new stories (id to canonical document id) and members (digest, story,
        document id, signature); a digest already stored keeps its first story."""
        run = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        stored = [StoredMember(digest, story, doc, signature) for digest, story, doc, signature in members]
        keys = {}
        if stored:
            table = self.band_keys(np.vstack([m.signature for m in stored]))
            keys = {m.digest: row.tolist() for m, row in zip(stored, table)}
        return self.store.add([StoredStory(s, c, run) for s, c in sorted(stories.items())], stored, keys)


def index_problem(location: str, num_perm: int, shingle_size: int, threshold: float) -> str | None:
    """Open the index once and check its parameters, before any work starts; None when usable.
    A new SQLite index is created (empty) by this check."""
    if problem := location_problem(location):
        return problem
    try:
        store = open_store(location)
    except IndexMismatch as exc:  # another program's database
        return f"--index {_redacted(location)}: {exc}"
    except Exception as exc:  # an unreachable Redis, a file that is not SQLite
        return f"--index {_redacted(location)}: cannot open: {type(exc).__name__}: {exc}"
    try:
        StoryIndex(store, num_perm, shingle_size, threshold)
    except IndexMismatch as exc:
        return f"--index {_redacted(location)}: {exc}"
    except Exception as exc:
        return f"--index {_redacted(location)}: cannot read: {type(exc).__name__}: {exc}"
    finally:
        store.close()
    return None


def _redacted(location: str) -> str:
    """A Redis URL without its password."""
    if "://" in location and "@" in location:
        scheme, rest = location.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return location
