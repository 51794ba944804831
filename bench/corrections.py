"""How long corrections take to apply on a store of about 100,000 mentions.

Writes an invented corpus straight into a store (``enrich.testing.review_corpus``,
shared with ``bench.review``; reused when ``OUT/review-DOCS`` holds one), copies it,
then applies ``--corrections`` corrections as ``enrich corrections import`` does:
checked, saved and applied in one transaction (``store.correct_many``). Two
workloads: the suggestions of the review queue's first items, as an analyst taking
them would make them, and corrections drawn from random
entities (merges of one entity into another of its type, retypes, renames to a new
key, aliases, rejects and accepts, in that mix), which move more edges. Then it times one correction alone (as the
review page makes them), undoing all of them, and pushing the queued documents into
the search index (``sync_index``), which is separate: the store is the truth and the
index follows it.

Run: ``.venv/bin/python -m bench.corrections [--documents 4000] [--corrections 1000]``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.machine import describe, machine_info
from enrich.review import review_queue
from enrich.testing.review_corpus import review_store
from indexers.stores import DataDir, SqliteStore, open_index, sync_index

MIX = ("merge", "merge", "retype", "rename", "alias", "reject", "accept")
TYPES = ("PERSON", "ORG", "GPE", "PRODUCT", "LOC")


def draw(store: SqliteStore, n: int, seed: int = 7) -> list[dict]:
    """``n`` corrections over distinct entities of the store (none touches another's)."""
    rng = random.Random(seed)
    keys = [k for (k,) in store.graph._rows("SELECT key FROM entities ORDER BY key")]
    rng.shuffle(keys)
    by_type: dict[str, list[str]] = {}
    for key in keys:
        by_type.setdefault(key.split(":", 1)[0], []).append(key)
    used: set[str] = set()
    items = []
    for key in keys:
        if len(items) >= n:
            break
        if key in used:
            continue
        op = MIX[len(items) % len(MIX)]
        kind, name = key.split(":", 1)
        item = {"op": op, "entity": key}
        if op == "merge":
            into = next((k for k in by_type[kind] if k not in used and k != key), None)
            if into is None:
                continue
            item["into"] = into
            used.add(into)
        elif op == "retype":
            item["type"] = next(t for t in TYPES if t != kind and f"{t}:{name}" not in used)
        elif op == "rename":
            item["name"] = name.title() + " Group"
        elif op == "alias":
            item["alias"] = name.title() + " Alias"
        used.add(key)
        items.append(item)
    return items


def from_queue(store: SqliteStore, n: int) -> list[dict]:
    """The suggestions of the first ``n`` review-queue items an analyst would take
    (merges, retypes, rejects, accepts), each entity in one of them at most."""
    used: set[str] = set()
    items = []
    for item in review_queue(store, limit=3 * n, evidence=0):
        suggestion = item.suggestion
        touched = {suggestion["entity"], suggestion.get("into")} - {None}
        if touched & used:
            continue
        used |= touched
        items.append(suggestion)
        if len(items) == n:
            break
    return items


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.corrections",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--corrections", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    print(describe(machine_info()))
    source = DataDir(args.out / f"review-{args.documents}")
    if not source.exists():
        seconds, _ = timed(lambda: review_store(source, documents=args.documents, sentences=4,
                                                pages=2, index=True))
        print(f"store written in {seconds:.1f} s")
    with tempfile.TemporaryDirectory() as scratch:
        queued_copy = DataDir(Path(scratch) / "queue")
        shutil.copytree(source.root, queued_copy.root)
        with SqliteStore(queued_copy.store) as store:
            stats = store.stats()
            print(f"store: {stats['documents']} documents, {stats['mentions']} mentions, "
                  f"{stats['entities']} entities, {stats['edges']} edges")
            queue = from_queue(store, args.corrections)
            seconds, rows = timed(lambda: store.correct_many(queue, "bench"))
            mix = ", ".join(f"{op} {n}" for op, n in Counter(r["op"] for r in rows).most_common())
            print(f"{len(rows)} corrections the review queue suggests ({mix}) in one "
                  f"transaction: {seconds:.3f} s ({store.stats()['index_pending']} documents "
                  "queued for the search index)")
        data = DataDir(Path(scratch) / "data")
        shutil.copytree(source.root, data.root)
        with SqliteStore(data.store) as store:
            items = draw(store, args.corrections)
            seconds, rows = timed(lambda: store.correct_many(items, "bench"))
            queued = store.stats()["index_pending"]
            print(f"{len(rows)} corrections over random entities (merge, retype, rename to a "
                  f"new key, alias, reject, accept) in one transaction: {seconds:.3f} s "
                  f"({queued} documents queued for the search index)")
            one = draw(store, 1, seed=11)
            seconds, row = timed(lambda: store.correct(one[0], "bench"))
            print(f"one more correction ({row['op']}) alone: {seconds * 1000:.0f} ms")
            seconds, _ = timed(lambda: store.undo_correction([r["id"] for r in rows], "bench"))
            print(f"undoing the {len(rows)}: {seconds:.3f} s")
            if data.index.exists():
                index = open_index(data, write=True)
                try:
                    seconds, n = timed(lambda: sync_index(store, index))
                finally:
                    index.close()
                print(f"search index brought up to date: {n} documents in {seconds:.2f} s")

if __name__ == "__main__":
    main()
