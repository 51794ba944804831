"""How long the review queue takes on a store of about 100,000 mentions.

Writes an invented corpus straight into a store (``enrich.testing.review_corpus``:
names with misspelt twins, mixed type labels, doubtful confidences, common words),
reused when ``OUT/review-DOCS`` already holds one, then times ``review_queue`` (the
whole queue scored, the first ``--limit`` items with their evidence sentences), as
``enrich review --json`` and ``GET /api/review`` ask it.

Run: ``.venv/bin/python -m bench.review [--documents 4000] [--limit 50]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from bench.machine import describe, machine_info
from enrich.review import review_queue
from enrich.testing.review_corpus import review_store
from indexers.stores import DataDir, SqliteStore


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.review",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    print(describe(machine_info("rapidfuzz")))
    data = DataDir(args.out / f"review-{args.documents}")
    if not data.exists():
        started = time.perf_counter()
        review_store(data, documents=args.documents, sentences=4, pages=2)
        print(f"store written in {time.perf_counter() - started:.1f} s")
    with SqliteStore(data.store, read_only=True) as store:
        stats = store.stats()
        print(f"store: {stats['documents']} documents, {stats['mentions']} mentions, "
              f"{stats['entities']} entities, {stats['edges']} edges")
        times, items = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            items = review_queue(store, limit=args.limit, evidence=3)
            times.append(time.perf_counter() - started)
        whole = review_queue(store, limit=10 ** 9, evidence=0)
    print(f"review queue, first {args.limit} items with 3 evidence sentences each: median "
          f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
          f"({args.repeat} runs)")
    signals = Counter(s for item in whole for s in item.signals)
    print(f"candidates: {len(whole)}; by signal: " + ", ".join(
        f"{name} {n}" for name, n in signals.most_common()))
    print("suggestions in the first items: " + ", ".join(
        f"{op} {n}" for op, n in Counter(i.suggestion["op"] for i in items).most_common()))


if __name__ == "__main__":
    main()
