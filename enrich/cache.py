"""The enrichment cache: cracked documents and skill outputs, reused across runs.

One SQLite file per data directory (``<data>/cache/enrich-cache.sqlite``, WAL, so
readers never wait) that several worker processes share: each batch reads with a
few ``SELECT``s and writes in one short transaction. Two kinds of entries, keyed as
:mod:`enrich.cache_keys` says:

* **cracked**: the documents an item's bytes crack into (:func:`cracked_value`);
  a moved or touched file hits, and gets its own URI and time back (:func:`rebind`).
* **skill outputs**: one skill's result for one record. The model the values came
  from is stored with each entry and goes into the provenance. What the engine does
  not cache: skills that are not ``cacheable`` (corpus skills included),
  ``SkillError`` results, and disabled skills.

Values are pickled and zlib-compressed (level 1: a rendered page is 1 ms), so the
cache file is as trusted as the data directory it lives in. The cache is an
optimisation: an error reading or writing it is logged and the run
goes on as if it were empty. The cache grows with the corpus (``enrich index`` never
evicts); ``enrich cache prune`` (:meth:`EnrichmentCache.prune`) bounds it by evicting
the least recently used entries, ``enrich index --reset`` empties it, and deleting
``DATA/cache`` is always safe.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

__all__ = ["EnrichmentCache", "Entry", "FILE_NAME", "cracked_value", "rebind", "prune_cache"]

log = logging.getLogger(__name__)

FILE_NAME = "enrich-cache.sqlite"
SCHEMA_VERSION = 1  # PRAGMA user_version; another value drops and recreates the tables
MAX_ENTRY_BYTES = 256 * 2**20  # larger values are not cached (SQLite's limit is 1 GB)
BUSY_TIMEOUT_S = 60.0
TOUCH_EVERY_S = 3600.0  # a hit refreshes used_at (for LRU eviction) at most this often
_CHUNK = 500  # keys per IN (...) query

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('cracked', 'skill')),
    skill TEXT,                 -- the skill's name in the skillset (kind = 'skill')
    model TEXT,                 -- the model the value came from (provenance)
    bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,
    used_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_skill ON entries(skill);
CREATE INDEX IF NOT EXISTS entries_used_at ON entries(used_at);
-- values apart, so that refreshing used_at never rewrites a large value
CREATE TABLE IF NOT EXISTS payloads (key TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


@dataclass(frozen=True)
class Entry:
    """One cached value, still encoded: every :meth:`value` call is a fresh copy."""

    data: bytes
    model: str | None = None

    def value(self) -> Any:
        return _decode(self.data)


class EnrichmentCache:
    """The cache file of one data directory; one instance per process."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db
        self._pending: dict[str, tuple[str, str | None, str | None, bytes]] = {}
        self._hits: set[str] = set()

    @classmethod
    def open(cls, folder: str | Path) -> EnrichmentCache:
        """Open (or create) ``folder/enrich-cache.sqlite``; raises ``sqlite3.Error``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILE_NAME
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                             check_same_thread=False)
        try:
            # Switching to WAL needs the file to itself and does not wait for it: only
            # a new file switches (the indexer opens the cache before its workers do).
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            _ensure_schema(db)
        except BaseException:
            db.close()
            raise
        return cls(path, db)

    def __enter__(self) -> EnrichmentCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.flush()
        self._db.close()

    # ------------------------------------------------------------ reading, writing

    def get_many(self, keys: Iterable[str]) -> dict[str, Entry]:
        """The entries of those keys that are cached (an unreadable cache: none)."""
        wanted = sorted(set(keys))
        found: dict[str, Entry] = {}
        try:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                rows = self._db.execute(
                    "SELECT e.key, e.model, p.data FROM entries e JOIN payloads p "
                    f"ON p.key = e.key WHERE e.key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((key, Entry(data, model)) for key, model, data in rows)
        except sqlite3.Error as exc:
            log.warning("enrichment cache %s unreadable, running without it: %s", self.path, exc)
            return {}
        self._hits.update(found)
        return found

    def get(self, key: str) -> Entry | None:
        return self.get_many([key]).get(key)

    def put(self, key: str, value: Any, *, kind: str = "skill", skill: str | None = None,
            model: str | None = None) -> bool:
        """Queue ``value`` (encoded now, so later changes to it do not leak in) until
        :meth:`flush`; False when it cannot be pickled or is too large."""
        data = _encode(value)
        if data is None:
            return False
        self._pending[key] = (kind, skill, model, data)
        return True

    def flush(self) -> None:
        """Write the queued values and refresh the hits' ``used_at``, in one transaction."""
        pending, hits = self._pending, self._hits
        self._pending, self._hits = {}, set()
        if not pending and not hits:
            return
        now = time.time()
        try:
            with _transaction(self._db):
                self._db.executemany(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(k, kind, skill, model, len(data), now, now)
                     for k, (kind, skill, model, data) in pending.items()])
                self._db.executemany("INSERT OR REPLACE INTO payloads VALUES (?, ?)",
                                     [(k, v[3]) for k, v in pending.items()])
                self._db.executemany(
                    "UPDATE entries SET used_at = ? WHERE key = ? AND used_at < ?",
                    [(now, k, now - TOUCH_EVERY_S) for k in hits - pending.keys()])
        except sqlite3.Error as exc:
            log.warning("enrichment cache %s not written (%d values lost): %s",
                        self.path, len(pending), exc)

    # ------------------------------------------------------------ forgetting

    def forget_skill(self, name: str) -> int:
        """Forget every cached output of the skill named ``name``; returns how many."""
        return self._delete("WHERE kind = 'skill' AND skill = ?", (name,))

    def clear(self) -> int:
        """Forget everything (cracked documents too) and give the space back."""
        removed = self._delete("", ())
        self._vacuum()
        return removed

    def _vacuum(self) -> None:
        """Give the space of deleted entries back to the file system (the rewritten
        file goes through the write-ahead log, which is emptied right away)."""
        try:
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as exc:  # another process reading: space kept
            log.info("enrichment cache %s not vacuumed: %s", self.path, exc)

    def prune(self, max_bytes: int | None = None, older_than: float | None = None) -> int:
        """Evict entries unused for ``older_than`` seconds, then the least recently
        used until the values take at most ``max_bytes``; returns how many went (and
        gives their space back)."""
        removed = 0
        if older_than is not None:
            removed += self._delete("WHERE used_at < ?", (time.time() - older_than,))
        if max_bytes is not None:
            total = self._db.execute("SELECT COALESCE(SUM(bytes), 0) FROM entries").fetchone()[0]
            doomed = []
            for key, size in self._db.execute("SELECT key, bytes FROM entries ORDER BY used_at"):
                if total <= max_bytes:
                    break
                doomed.append(key)
                total -= size
            for start in range(0, len(doomed), _CHUNK):
                chunk = doomed[start:start + _CHUNK]
                removed += self._delete(f"WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        if removed:
            self._vacuum()
        return removed

    def _delete(self, where: str, args: Any) -> int:
        self.flush()
        with _transaction(self._db):
            self._db.execute(f"DELETE FROM payloads WHERE key IN (SELECT key FROM entries {where})",
                             args)
            return self._db.execute(f"DELETE FROM entries {where}", args).rowcount

    def stats(self) -> dict[str, Any]:
        """``{"entries", "bytes", "cracked": {...}, "skills": {name: {"entries", "bytes"}}}``."""
        out: dict[str, Any] = {"entries": 0, "bytes": 0, "cracked": {"entries": 0, "bytes": 0},
                               "skills": {}}
        for kind, skill, count, size in self._db.execute(
                "SELECT kind, skill, COUNT(*), SUM(bytes) FROM entries GROUP BY kind, skill"):
            part = out["cracked"] if kind == "cracked" else out["skills"].setdefault(skill, {})
            part.update(entries=count, bytes=size)
            out["entries"] += count
            out["bytes"] += size
        return out


def prune_cache(folder: str | Path, max_bytes: int | None = None,
                older_than: float | None = None) -> dict[str, Any]:
    """:meth:`EnrichmentCache.prune` on the cache in ``folder`` (``enrich cache prune``):
    ``{"path", "removed": {"entries", "bytes"}, "left": {"entries", "bytes"}}``, bytes
    being those of the stored values. A folder without a cache is left without one."""
    path = Path(folder) / FILE_NAME
    before = after = {"entries": 0, "bytes": 0}
    if path.is_file():
        with EnrichmentCache.open(folder) as cache:
            before = _totals(cache.stats())
            cache.prune(max_bytes=max_bytes, older_than=older_than)
            after = _totals(cache.stats())
    return {"path": str(path), "left": after,
            "removed": {k: before[k] - after[k] for k in ("entries", "bytes")}}


def _totals(stats: dict[str, Any]) -> dict[str, int]:
    return {"entries": stats["entries"], "bytes": stats["bytes"]}


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, *rest: Any) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def _ensure_schema(db: sqlite3.Connection) -> None:
    with _transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):  # an older layout: it is only a cache
            db.execute("DROP TABLE IF EXISTS entries")
            db.execute("DROP TABLE IF EXISTS payloads")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _encode(value: Any) -> bytes | None:
    try:
        raw = pickle.dumps(value, protocol=5)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result is just not cached
        log.debug("not cached: %s", exc)
        return None
    packed = zlib.compress(raw, 1)
    data = b"z" + packed if len(packed) < len(raw) else b"p" + raw
    return data if len(data) <= MAX_ENTRY_BYTES else None


def _decode(data: bytes) -> Any:
    raw = zlib.decompress(data[1:]) if data[:1] == b"z" else data[1:]
    return pickle.loads(raw)


# ------------------------------------------------------------------ cracked documents


def cracked_value(documents: list[dict[str, Any]], uri: str, modified: str | None) -> dict:
    """What is stored for cracked documents: them and the URI and time they carry."""
    return {"documents": documents, "uri": uri, "modified": modified}


def rebind(value: dict[str, Any], uri: str, modified: str | None) -> list[dict[str, Any]]:
    """The cached documents with the URI and modification time of the item at hand
    (CSV rows keep their ``#row=N`` suffix, archive members their ``#member=...``)."""
    old_uri, old_modified = value["uri"], value["modified"]
    for doc in value["documents"]:
        if doc.get("uri") == old_uri or str(doc.get("uri", "")).startswith(old_uri + "#"):
            doc["uri"] = uri + doc["uri"][len(old_uri):]
        meta = doc.get("metadata")
        if isinstance(meta, dict) and meta.get("modified") == old_modified:
            meta["modified"] = modified
        if isinstance(meta, dict) and meta.get("origin") == old_uri:  # rows name their file
            meta["origin"] = uri
        parent = meta.get("parent") if isinstance(meta, dict) else None
        if isinstance(parent, str) and (parent == old_uri or parent.startswith(old_uri + "#")):
            meta["parent"] = uri + parent[len(old_uri):]  # archive members, attachments
    return value["documents"]
