"""How long keeping the graph current takes, against rebuilding it.

Writes a synthetic corpus straight into a store (documents with entity mentions
on pages and sentences, their co-occurrence contributions and a few acronym
aliases: the cost of NER is not what is measured here), then times

* an update: one document changed (``put_source``), one deleted, one added,
  each in its own transaction, as an index run commits them;
* a rebuild: every aggregate graph table recomputed from the per-document rows
  (``indexers.stores.sqlite_migrate.rebuild_graph``), what a store without
  incremental updates would do after each run.

Run: ``.venv/bin/python -m bench.graph_update [--documents 5000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from graph import contributions
from indexers.stores import DocumentRecord, SourceState, SqliteStore
from indexers.stores.sqlite_migrate import rebuild_graph


def document(rng: random.Random, n: int, entities: int) -> DocumentRecord:
    """A document of 4 pages, 5 sentences each, 0-4 entities per sentence (Zipf-like)."""
    mentions = []
    for page in range(1, 5):
        for sentence in range(5):
            for _ in range(rng.randrange(5)):
                e = min(int(rng.paretovariate(0.5)), entities) - 1
                mentions.append({"key": f"PERSON:e{e}", "type": "PERSON", "name": f"E{e}",
                                 "text": f"E{e}", "page": page, "sentence": sentence,
                                 "start": 0, "end": 2})
    aliases = [("ORG:x", "PERSON:e1")] if n % 50 == 0 else []
    return DocumentRecord(
        id=f"d{n}", uri=f"file:///d{n}", source_uri=f"file:///d{n}", status="ok",
        title=f"d{n}", content="", metadata={}, pages=[], images=[], entities=mentions,
        edges=contributions(mentions), fields={}, tree={}, aliases=aliases)


def put(store: SqliteStore, record: DocumentRecord, sha: str) -> None:
    with store.transaction():
        store.put_source(SourceState(record.source_uri, 1, 1.0, sha, "ok"), [record])


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def rebuild_tables(conn: sqlite3.Connection) -> None:
    """Every aggregate graph table recomputed from the per-document rows, in one
    transaction (the reference the incremental updates are checked against)."""
    with conn:
        rebuild_graph(conn)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_update",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--entities", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "e.sqlite") as store:
        started = time.perf_counter()
        for start in range(0, args.documents, 100):
            with store.transaction():
                for n in range(start, min(start + 100, args.documents)):
                    record = document(rng, n, args.entities)
                    store.put_source(SourceState(record.source_uri, 1, 1.0, "a", "ok"), [record])
        stats = store.stats()
        print(f"store: {stats['documents']} documents, {stats['mentions']} mentions, "
              f"{stats['entities']} entities, {stats['edges']} edges "
              f"(written in {time.perf_counter() - started:.1f} s)")
        updates = []
        for i in range(args.repeat):
            changed = document(rng, rng.randrange(args.documents), args.entities)
            updates.append(timed(lambda: put(store, changed, f"b{i}")))
            uri = f"file:///d{rng.randrange(args.documents)}"
            updates.append(timed(lambda: store.delete_source(uri)))
            added = document(rng, args.documents + i, args.entities)
            updates.append(timed(lambda: put(store, added, "a")))
        with contextlib.closing(sqlite3.connect(store.path)) as conn:
            rebuilds = [timed(lambda: rebuild_tables(conn)) for _ in range(3)]
        update, rebuild = statistics.median(updates), statistics.median(rebuilds)
        print(f"update of one document (change, delete or add; median of {len(updates)}): "
              f"{update * 1000:.1f} ms, max {max(updates) * 1000:.1f} ms")
        print(f"rebuild of the graph tables (median of 3): {rebuild * 1000:.0f} ms")
        print(f"an update costs {update / rebuild:.2%} of a rebuild")


if __name__ == "__main__":
    main()
