"""Latency of knowledge-graph queries on a large generated store.

    .venv/bin/python -m bench.graph_queries [--edges 1000000] [--entities 200000]
        [--queries 500] [--data bench/out/graph] [--extra-ddl "CREATE INDEX ..."]

Steps (printed as they run; nothing is asserted):

a. **store**: a synthetic corpus is drawn (fixed seed): documents of 2 to 30 entities
   (mean about 8), entities picked with Zipf-like weights (``--zipf``), so a few hubs
   appear in a large share of the documents and have tens of thousands of neighbours.
   Documents are added until the document-scope co-occurrences reach ``--edges``
   distinct pairs. Everything is then written with SQL into a fresh
   ``SqliteStore`` in ``DATA`` (``DataDir(DATA).store``): documents (one page each), a mention per
   document and entity, ``entities``, ``entity_names``, ``edges`` (document scope,
   exact counts) and ``graph_units``. It is reused when ``DATA/params.json`` matches.
   ``--extra-ddl`` statements (e.g. a covering index) run on the file afterwards.
b. **queries**, through ``KnowledgeGraph``: ``neighbors(key, rank=R, limit=10)`` for
   R in count, npmi, llr, on entities drawn uniformly and drawn by degree (an endpoint
   of a random edge, so hubs are included); ``cooccurrence(a, b)`` of random edges;
   ``entity()`` by key and by a lower-cased display name; a misspelt name (the
   suggestions path); ``entities()`` (top by documents); ``ego_graph`` (radius 1);
   ``path`` between random entities. Each line shows p50, p95 and max in ms, and the
   degree of the entity behind the slowest query.

Target: neighbors p95 <= 20 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench import OUT
from bench.machine import describe, machine_info
from indexers.stores import DataDir

TYPES = (("PERSON", 0.4), ("ORG", 0.25), ("GPE", 0.15), ("LOC", 0.05), ("PRODUCT", 0.05),
         ("EVENT", 0.05), ("NORP", 0.05))
SYLLABLES = ("ka ri to ma le bron ja mes ni ke sa lo an ge les mi cha el jor dan bu ll "
             "fe de ra vi ta no su po da re ko zu ha be li ne mo ti ve ro sa gu ya").split()
GENERATOR = 2


# --- the store -----------------------------------------------------------------------

def names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct two-word names made of syllables."""
    out, seen = [], set()
    while len(out) < n:
        words = ["".join(rng.choice(SYLLABLES, rng.integers(2, 4))).capitalize()
                 for _ in range(2)]
        name = " ".join(words)
        if name in seen:
            name = f"{name} {len(out)}"
        seen.add(name)
        out.append(name)
    return out


def draw_documents(rng: np.random.Generator, n_entities: int, target: int,
                   zipf: float) -> tuple[np.ndarray, np.ndarray, int]:
    """``(doc, entity)`` incidence rows and pair codes, until ``target`` distinct pairs."""
    weights = 1.0 / np.arange(1, n_entities + 1) ** zipf
    weights /= weights.sum()
    incidence, pairs, docs = [], np.empty(0, np.int64), 0
    while True:
        sizes = np.clip(rng.poisson(6, 5_000) + 2, 2, 30)
        for k in np.unique(sizes):
            rows = rng.choice(n_entities, size=((sizes == k).sum(), k), p=weights)
            rows = np.sort(rows, axis=1)
            ids = docs + np.arange(len(rows))
            docs += len(rows)
            incidence.append(_incidence(ids, rows))
            pairs = np.concatenate([pairs, _pairs(ids, rows, n_entities)])
        pairs = np.unique(pairs)  # (doc, a, b) codes: one per document and pair
        distinct = len(np.unique(pairs % n_entities**2))
        print(f"  {docs:,} documents, {distinct:,} distinct pairs", flush=True)
        if distinct >= target:
            break
    return np.unique(np.concatenate(incidence), axis=0), pairs % n_entities**2, docs


def _incidence(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.stack([np.repeat(ids, rows.shape[1]), rows.ravel()], axis=1)


def _pairs(ids: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Codes ``doc * n^2 + a * n + b`` of each document's pairs ``a < b``."""
    i, j = np.triu_indices(rows.shape[1], 1)
    a, b = rows[:, i], rows[:, j]
    keep = a != b
    codes = ids[:, None] * n * n + a * n + b
    return codes[keep]


def write_store(path: Path, n_entities: int, incidence: np.ndarray, pair_codes: np.ndarray,
                docs: int, rng: np.random.Generator) -> None:
    from indexers.stores import SqliteStore
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    keys, display = entity_keys(rng, n_entities)
    with conn:
        write_documents(conn, incidence, keys, display, docs)
        write_entities(conn, incidence, keys, display)
        write_edges(conn, pair_codes, keys, n_entities, docs, len(incidence))
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def entity_keys(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    types = rng.choice([t for t, _ in TYPES], size=n, p=[p for _, p in TYPES])
    display = names(rng, n)
    return [f"{t}:{d.lower()}" for t, d in zip(types, display)], display


def write_documents(conn: sqlite3.Connection, incidence: np.ndarray, keys: list[str],
                    display: list[str], docs: int) -> None:
    by_doc: dict[int, list[int]] = {}
    for doc, entity in incidence.tolist():
        by_doc.setdefault(doc, []).append(entity)
    conn.executemany("INSERT INTO sources (uri, size, mtime, sha256, status, message, "
                     "updated_at) VALUES (?, 1, 0, 'h', 'ok', '', 'now')",
                     ((f"file:///c/{d}.txt",) for d in range(docs)))
    conn.executemany(
        "INSERT INTO documents (id, uri, source_uri, status, title, content, indexed_at) "
        "VALUES (?, ?, ?, 'ok', ?, ?, 'now')",
        ((f"d{d:07}", f"file:///c/{d}.txt", f"file:///c/{d}.txt", f"Document {d}",
          page_text(es, display)) for d, es in by_doc.items()))
    conn.executemany("INSERT INTO pages (doc_id, number, text) VALUES (?, 1, ?)",
                     ((f"d{d:07}", page_text(es, display)) for d, es in by_doc.items()))
    conn.executemany(
        'INSERT INTO mentions (doc_id, entity_key, raw_key, label, name, text, page, '
        'sentence, start, "end") VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)',
        (mention(d, i, es, keys, display) for d, es in by_doc.items()
         for i in range(len(es))))


def page_text(entities: list[int], display: list[str]) -> str:
    return " ".join(f"{display[e]} was seen." for e in entities)


def mention(doc: int, i: int, entities: list[int], keys: list[str],
            display: list[str]) -> tuple:
    start = sum(len(display[e]) + 11 for e in entities[:i])  # "NAME was seen. "
    e = entities[i]
    return (f"d{doc:07}", keys[e], keys[e], keys[e].split(":")[0], display[e], display[e],
            i, start, start + len(display[e]))


def write_entities(conn: sqlite3.Connection, incidence: np.ndarray, keys: list[str],
                   display: list[str]) -> None:
    counts = np.bincount(incidence[:, 1], minlength=len(keys))
    rows = [(keys[e], keys[e].split(":")[0], display[e], int(n), int(n), int(n), int(n))
            for e, n in enumerate(counts) if n]
    conn.executemany("INSERT INTO entities (key, type, name, documents, mentions, pages, "
                     "sentences) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO entity_names VALUES (?, ?, ?)",
                     ((k, n, m) for k, _, n, m, *_ in rows))


def write_edges(conn: sqlite3.Connection, codes: np.ndarray, keys: list[str], n: int,
                docs: int, sentences: int) -> None:
    """Document-scope edges (count = documents) and each scope's units."""
    pairs, counts = np.unique(codes, return_counts=True)
    a, b = pairs // n, pairs % n
    rows = sorted((min(keys[x], keys[y]), max(keys[x], keys[y]), int(c))
                  for x, y, c in zip(a.tolist(), b.tolist(), counts.tolist()))
    conn.executemany("INSERT INTO edges VALUES ('document', ?, ?, ?, ?)",
                     ((x, y, c, c) for x, y, c in rows))
    conn.executemany("INSERT INTO graph_units VALUES (?, ?)",
                     [("document", docs), ("page", docs), ("sentence", sentences)])


def ensure_store(args: argparse.Namespace) -> Path:
    data, path = Path(args.data), DataDir(args.data).store
    params = {"edges": args.edges, "entities": args.entities, "zipf": args.zipf,
              "seed": args.seed, "generator": GENERATOR, "extra_ddl": args.extra_ddl}
    manifest = data / "params.json"
    if path.is_file() and manifest.is_file() and json.loads(manifest.read_text()) == params:
        print(f"store: reusing {path}")
        return path
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    incidence, codes, docs = draw_documents(rng, args.entities, args.edges, args.zipf)
    drawn = time.perf_counter()
    write_store(path, args.entities, incidence, codes, docs, rng)
    done = time.perf_counter()
    print(f"store: drawn in {drawn - started:.1f} s, written in {done - drawn:.1f} s "
          f"({path.stat().st_size / 2**20:.0f} MiB)")
    apply_ddl(path, args.extra_ddl)
    manifest.write_text(json.dumps(params))
    return path


# --- the queries ---------------------------------------------------------------------

def timed(label: str, calls: list[tuple[Any, Callable[[], Any]]]) -> dict:
    """Run each ``(tag, call)``; print p50/p95/max in ms and the slowest call's tag.

    The first call runs once untimed too: lazy imports (pandas, networkx) stay out.
    """
    calls[0][1]()
    times = []
    for tag, call in calls:
        started = time.perf_counter()
        call()
        times.append(((time.perf_counter() - started) * 1000, tag))
    ms = np.array([t for t, _ in times])
    slowest = max(times, key=lambda t: t[0])
    row = {"query": label, "n": len(ms), "p50": float(np.percentile(ms, 50)),
           "p95": float(np.percentile(ms, 95)), "max": float(ms.max()), "slowest": slowest[1]}
    print(f"  {label:<34} n={row['n']:<4} p50 {row['p50']:7.2f}  p95 {row['p95']:7.2f}  "
          f"max {row['max']:8.2f}   slowest: {slowest[1]}")
    return row


def samples(conn: sqlite3.Connection, n: int, rng: random.Random) -> dict[str, list]:
    """Entity keys drawn uniformly and by degree, random edges, and their degrees."""
    keys = [r[0] for r in conn.execute("SELECT key FROM entities ORDER BY key")]
    uniform = rng.sample(keys, n)
    edges = _random_edges(conn, n, rng)
    by_degree = [rng.choice(e) for e in edges]
    return {"uniform": uniform, "by_degree": by_degree, "edges": edges}


def _random_edges(conn: sqlite3.Connection, n: int, rng: random.Random) -> list[tuple]:
    count = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
    picks = sorted(rng.sample(range(count), n))
    out, cursor = [], conn.execute("SELECT a, b FROM edges ORDER BY scope, a, b")
    position = 0
    for pick in picks:
        while position <= pick:
            row = cursor.fetchone()
            position += 1
        out.append(row)
    rng.shuffle(out)
    return out


def degree(conn: sqlite3.Connection, key: str) -> int:
    return conn.execute("SELECT (SELECT count(*) FROM edges WHERE scope = 'document' AND "
                        "a = ?1) + (SELECT count(*) FROM edges WHERE scope = 'document' AND "
                        "b = ?1)", (key,)).fetchone()[0]


def run_queries(path: Path, n: int, seed: int) -> list[dict]:
    from graph import KnowledgeGraph
    conn = sqlite3.connect(path)
    rng = random.Random(seed)
    picked = samples(conn, n, rng)
    deg = {k: degree(conn, k) for k in set(picked["uniform"] + picked["by_degree"] +
                                           [k for e in picked["edges"] for k in e])}
    show_degrees(deg, picked)
    rows = []
    with KnowledgeGraph.open(path.parent) as kg:
        for rank in ("count", "npmi", "llr"):
            for how in ("uniform", "by_degree"):
                rows.append(timed(f"neighbors rank={rank} ({how})", [
                    (f"degree {deg[k]}", lambda k=k, r=rank: kg.neighbors(k, rank=r, limit=10))
                    for k in picked[how]]))
        rows += other_queries(kg, conn, picked, deg, n, rng)
    conn.close()
    return rows


def show_degrees(deg: dict[str, int], picked: dict[str, list]) -> None:
    for how in ("uniform", "by_degree"):
        d = np.array([deg[k] for k in picked[how]])
        print(f"  degrees ({how}): median {np.median(d):.0f}, p95 "
              f"{np.percentile(d, 95):.0f}, max {d.max()}")


def other_queries(kg: Any, conn: sqlite3.Connection, picked: dict, deg: dict, n: int,
                  rng: random.Random) -> list[dict]:
    few = max(1, n // 10)
    named = {k: conn.execute("SELECT name FROM entities WHERE key = ?", (k,)).fetchone()[0]
             for k in picked["by_degree"][:n]}
    rows = [
        timed("cooccurrence(a, b) limit=20", [
            (f"degrees {deg[a]}/{deg[b]}",
             lambda a=a, b=b: kg.cooccurrence(a, b)) for a, b in picked["edges"]]),
        timed("entity(key) (by degree)", [(f"degree {deg[k]}", lambda k=k: kg.entity(k))
                                          for k in picked["by_degree"]]),
        timed("entity(lower-cased name)", [(name, partial(kg.entity, name.lower()))
                                           for name in named.values()]),
        timed("resolve(misspelt) -> suggestions", [
            (name, partial(suggest, kg, misspell(name, rng))) for name in
            list(named.values())[:few]]),
        timed("entities() top 20", [("", lambda: kg.entities(limit=20))] * 5),
        timed("ego_graph(radius=1, limit=25)", [
            (f"degree {deg[k]}", lambda k=k: kg.ego_graph(k)) for k in picked["uniform"][:few]]),
        timed("path(a, b) max_hops=4", [
            (f"{a} - {b}", lambda a=a, b=b: no_path_ok(kg, a, b))
            for a, b in zip(picked["uniform"][:few], picked["uniform"][few:2 * few])]),
    ]
    return rows


def misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1:]


def suggest(kg: Any, name: str) -> None:
    from graph.knowledge import GraphError
    try:
        kg.resolve(name)
    except GraphError:
        pass


def no_path_ok(kg: Any, a: str, b: str) -> None:
    from graph.knowledge import NoPath
    try:
        kg.path(a, b)
    except NoPath:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_queries",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--data", default=str(OUT / "graph"))
    parser.add_argument("--zipf", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--extra-ddl", action="append", default=[],
                        help="SQL run on the generated file before the queries")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    print(describe({**machine_info(), "sqlite": sqlite3.sqlite_version}))
    path = ensure_store(args)
    rows = run_queries(path, args.queries, args.seed)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def apply_ddl(path: Path, statements: list[str]) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        started = time.perf_counter()
        conn.execute(statement)
        print(f"ddl: {statement} ({time.perf_counter() - started:.1f} s)")
    conn.commit()
    if statements:
        conn.execute("VACUUM")  # as compact as a store that had the index from the start
    conn.close()


if __name__ == "__main__":
    main()
