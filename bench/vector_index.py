"""Which embedded vector index: usearch, faiss-cpu (HNSW, IVF-Flat), sqlite-vec, hnswlib.

    .venv/bin/python -m bench.vector_index                       # 100k x 384, 200 queries
    .venv/bin/python -m bench.vector_index --n 1000000 --only usearch,faiss-ivf --ef 32,64,96
    .venv/bin/python -m bench.vector_index --per-cluster 5000    # harder: bigger clusters

Vectors are synthetic but shaped like MiniLM's (``enrich.testing.vectors.clustered``:
384-dim, L2-normalised, random unit cluster centres, one per ``--per-cluster`` vectors,
plus Gaussian noise, so a vector's cosine to its own centre is about 0.75 and its
nearest neighbours are its cluster mates, not uniform noise). Queries are new draws
from the same clusters. Ground truth is numpy brute force (inner product of normalised
vectors = cosine) over all vectors. Clean clusters flatter faiss IVF, whose k-means
cells fit them; bigger clusters (``--per-cluster 5000``) are harder for it.

Per library: build time (``--build-threads``, default 2), resident memory growth and
saved file size, recall@10 against the exact top 10, p50/p95 latency of single queries
on one thread (usearch and hnswlib at each ``--ef``), then add (1,000 new vectors, one
call) and delete (1,000 ids) times. usearch runs with the settings enrich uses
(``indexers.stores.vectors``). sqlite-vec needs a sqlite3 that loads extensions
(``pysqlite3-binary`` where Python's cannot). Missing libraries are reported, not
fatal. Prints a table and writes ``OUT/vector_index.json``; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import describe, machine_info
from enrich.testing.vectors import clustered
from indexers.stores.vectors import EXPANSION_SEARCH

K = 10


def exact_top(data: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """The exact top ``k`` rows of ``data`` by inner product, for each query."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for start in range(0, len(data), 200_000):
        scores = queries @ data[start:start + 200_000].T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        best_s = np.hstack([best_s, np.take_along_axis(scores, top, 1)])
        best_i = np.hstack([best_i, top + start])
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Usearch:
    name = "usearch"

    def __init__(self, dim: int, threads: int) -> None:
        from indexers.stores.vectors import new_graph
        self.index = new_graph(dim)  # the settings enrich uses (--ef changes ef at query)
        self.threads = threads

    def set_ef(self, ef: int) -> None:
        self.index.expansion_search = ef

    def build(self, data: np.ndarray) -> None:
        self.index.add(np.arange(len(data), dtype=np.uint64), data, threads=self.threads)

    def query(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(self.index.search(q, K, threads=1).keys, np.int64)

    def add(self, ids: np.ndarray, data: np.ndarray) -> None:
        self.index.add(ids.astype(np.uint64), data, threads=self.threads)

    def delete(self, ids: np.ndarray) -> None:
        self.index.remove(ids.astype(np.uint64))

    def save(self, folder: Path) -> int:
        self.index.save(str(folder / "v.usearch"))
        return (folder / "v.usearch").stat().st_size


class FaissHNSW:
    name = "faiss HNSW32"

    def __init__(self, dim: int, threads: int) -> None:
        import faiss
        faiss.omp_set_num_threads(threads)
        self.faiss = faiss
        self.index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = 128
        self.index.hnsw.efSearch = 64
        self.threads = threads

    def build(self, data: np.ndarray) -> None:
        self.index.add(data)

    def query(self, q: np.ndarray) -> np.ndarray:
        self.faiss.omp_set_num_threads(1)
        return self.index.search(q[None, :], K)[1][0]

    def add(self, ids: np.ndarray, data: np.ndarray) -> None:
        self.faiss.omp_set_num_threads(self.threads)
        self.index.add(data)  # HNSWFlat numbers rows itself; no custom ids

    def delete(self, ids: np.ndarray) -> None:
        self.index.remove_ids(ids.astype(np.int64))  # not supported for HNSW: raises

    def save(self, folder: Path) -> int:
        self.faiss.write_index(self.index, str(folder / "v.faiss"))
        return (folder / "v.faiss").stat().st_size


class FaissIVF(FaissHNSW):
    name = "faiss IVF-Flat"

    def __init__(self, dim: int, threads: int) -> None:
        import faiss
        faiss.omp_set_num_threads(threads)
        self.faiss, self.threads, self.dim = faiss, threads, dim

    def build(self, data: np.ndarray) -> None:
        faiss = self.faiss
        nlist = max(16, int(4 * np.sqrt(len(data))))
        quantizer = faiss.IndexFlatIP(self.dim)
        self.index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        self.index.train(data[np.random.default_rng(0).choice(len(data), min(len(data), 50 * nlist),
                                                              replace=False)])
        self.index.add_with_ids(data, np.arange(len(data), dtype=np.int64))
        self.index.nprobe = max(8, nlist // 32)

    def add(self, ids: np.ndarray, data: np.ndarray) -> None:
        self.faiss.omp_set_num_threads(self.threads)
        self.index.add_with_ids(data, ids.astype(np.int64))


class SqliteVec:
    name = "sqlite-vec (exact)"

    def __init__(self, dim: int, threads: int) -> None:
        import sqlite_vec
        self.folder = Path(tempfile.mkdtemp(prefix="vec-"))
        self.db = _sqlite().connect(self.folder / "v.sqlite")
        self.db.enable_load_extension(True)
        sqlite_vec.load(self.db)
        self.db.execute(f"create virtual table v using vec0(embedding float[{dim}] distance_metric=cosine)")

    def build(self, data: np.ndarray) -> None:
        self.add(np.arange(len(data)), data)

    def query(self, q: np.ndarray) -> np.ndarray:
        rows = self.db.execute("select rowid from v where embedding match ? and k = ? "
                               "order by distance", (q.tobytes(), K)).fetchall()
        return np.array([r[0] for r in rows], np.int64)

    def add(self, ids: np.ndarray, data: np.ndarray) -> None:
        self.db.executemany("insert into v(rowid, embedding) values (?, ?)",
                            ((int(i), v.tobytes()) for i, v in zip(ids, data)))
        self.db.commit()

    def delete(self, ids: np.ndarray) -> None:
        self.db.executemany("delete from v where rowid = ?", ((int(i),) for i in ids))
        self.db.commit()

    def save(self, folder: Path) -> int:
        return (self.folder / "v.sqlite").stat().st_size


def _sqlite() -> Any:
    """sqlite3, or pysqlite3 where this Python's sqlite3 cannot load extensions."""
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        import pysqlite3
    except ImportError as error:
        raise ImportError("this Python's sqlite3 cannot load extensions; "
                          "pip install pysqlite3-binary") from error
    return pysqlite3


class Hnswlib:
    name = "hnswlib"

    def __init__(self, dim: int, threads: int) -> None:
        import hnswlib
        self.index, self.threads = hnswlib.Index(space="cosine", dim=dim), threads

    def build(self, data: np.ndarray) -> None:
        self.index.init_index(max_elements=len(data) + 2000, ef_construction=128, M=16,
                              allow_replace_deleted=True)
        self.index.add_items(data, np.arange(len(data)), num_threads=self.threads)
        self.index.set_ef(64)

    def set_ef(self, ef: int) -> None:
        self.index.set_ef(ef)

    def query(self, q: np.ndarray) -> np.ndarray:
        return self.index.knn_query(q, K, num_threads=1)[0][0].astype(np.int64)

    def add(self, ids: np.ndarray, data: np.ndarray) -> None:
        self.index.add_items(data, ids, num_threads=self.threads)

    def delete(self, ids: np.ndarray) -> None:
        for i in ids:
            self.index.mark_deleted(int(i))

    def save(self, folder: Path) -> int:
        self.index.save_index(str(folder / "v.hnsw"))
        return (folder / "v.hnsw").stat().st_size


LIBRARIES: dict[str, Callable[[int, int], Any]] = {
    "usearch": Usearch, "faiss-hnsw": FaissHNSW, "faiss-ivf": FaissIVF,
    "sqlite-vec": SqliteVec, "hnswlib": Hnswlib}


def measure(make: Callable[[int, int], Any], data: np.ndarray, queries: np.ndarray,
            truth: np.ndarray, extra: np.ndarray, threads: int, efs: list[int]
            ) -> dict[str, Any]:
    row: dict[str, Any] = {}
    before = rss_mb()
    try:
        lib = make(data.shape[1], threads)
    except ImportError as error:
        return {"error": f"not installed ({error})"}
    row["library"] = lib.name
    started = time.perf_counter()
    lib.build(data)
    row["build_s"] = time.perf_counter() - started
    row["rss_mb"] = rss_mb() - before
    with tempfile.TemporaryDirectory() as folder:
        row["file_mb"] = lib.save(Path(folder)) / 2**20
    for ef in efs if hasattr(lib, "set_ef") else [None]:
        if ef is not None:
            lib.set_ef(ef)
        key = "" if ef is None or ef == efs[-1] else f"@ef{ef}"
        row.update({name + key: value for name, value in _queries(lib, queries, truth).items()})
    new_ids = np.arange(len(data), len(data) + len(extra))
    started = time.perf_counter()
    lib.add(new_ids, extra)
    row["add_1k_s"] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        lib.delete(new_ids)
        row["delete_1k_s"] = time.perf_counter() - started
    except RuntimeError as error:
        row["delete_1k_s"] = f"unsupported ({str(error).splitlines()[0][:40]})"
    return row


def _queries(lib: Any, queries: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    latencies, hits = [], 0
    for q, true in zip(queries, truth):
        started = time.perf_counter()
        found = lib.query(q)
        latencies.append(time.perf_counter() - started)
        hits += len(set(found.tolist()) & set(true.tolist()))
    return {"recall@10": hits / truth.size,
            "p50_ms": float(np.percentile(latencies, 50) * 1000),
            "p95_ms": float(np.percentile(latencies, 95) * 1000)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="vectors in the index")
    parser.add_argument("--dim", type=int, default=384, help="dimensions (MiniLM: 384)")
    parser.add_argument("--queries", type=int, default=200, help="queries for recall and latency")
    parser.add_argument("--per-cluster", type=int, default=200,
                        help="vectors per cluster (larger: harder, more like uniform noise)")
    parser.add_argument("--ef", default=str(EXPANSION_SEARCH),
                        help="comma-separated HNSW query ef values (usearch, hnswlib); the last "
                             "one is kept for the add/delete timings")
    parser.add_argument("--build-threads", type=int, default=2, help="threads for build and add")
    parser.add_argument("--only", default=",".join(LIBRARIES),
                        help=f"comma-separated, of {', '.join(LIBRARIES)}")
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="where results go")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.build_threads))
    info = machine_info("numpy", "usearch", "faiss-cpu", "sqlite-vec", "pysqlite3-binary",
                        "hnswlib")
    print(describe(info))
    started = time.perf_counter()
    data, centres = clustered(args.n, args.dim, seed=1, per_cluster=args.per_cluster)
    queries, _ = clustered(args.queries, args.dim, seed=2, centres=centres)
    extra, _ = clustered(1000, args.dim, seed=3, centres=centres)
    truth = exact_top(data, queries)
    print(f"{args.n} x {args.dim} clustered vectors, {args.queries} queries, {args.per_cluster} per cluster, exact top {K}: "
          f"{time.perf_counter() - started:.1f} s; build threads {args.build_threads}, "
          "queries on 1 thread")
    rows = []
    for name in args.only.split(","):
        row = {"name": name, **measure(LIBRARIES[name], data, queries, truth, extra,
                                       args.build_threads,
                                       [int(ef) for ef in args.ef.split(",")])}
        rows.append(row)
        for ef_key in sorted(k[len("recall@10@"):] for k in row if k.startswith("recall@10@")):
            print(f"    at {ef_key}: recall@10 {row['recall@10@' + ef_key]:.3f}  "
                  f"p50 {row['p50_ms@' + ef_key]:.2f} ms  p95 {row['p95_ms@' + ef_key]:.2f} ms")
        print(_line(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (args.out / "vector_index.json").write_text(json.dumps(
        {"machine": info, "n": args.n, "dim": args.dim, "queries": args.queries,
         "per_cluster": args.per_cluster, "peak_rss_mb": peak, "rows": rows}, indent=2, default=str))


def _line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"{row['name']:<20} {row['error']}"
    delete = row["delete_1k_s"]
    delete = f"{delete:.3f}" if isinstance(delete, float) else delete
    return (f"{row['library']:<20} build {row['build_s']:7.1f} s  rss +{row['rss_mb']:6.0f} MB  "
            f"file {row['file_mb']:6.0f} MB  recall@10 {row['recall@10']:.3f}  "
            f"p50 {row['p50_ms']:6.2f} ms  p95 {row['p95_ms']:6.2f} ms  "
            f"add 1k {row['add_1k_s']:.3f} s  delete 1k {delete}")


if __name__ == "__main__":
    main()
