"""Time of the page's graph request (``/api/graph/view``) at the page's scale.

    .venv/bin/python -m bench.graph_view [--entities 2000] [--edges 20000] [--repeat 5]
        [--data bench/out/graph-view] [--json FILE]

Steps (printed as they run; nothing is asserted):

a. **store**: ``enrich.testing.graph_stores.graph_store`` writes ``--entities`` invented
   entities and documents until about ``--edges`` document-scope edges, through the
   store's write path, and fills the search index (the time it took is printed).
b. **requests**, in process (``fastapi.testclient``, gzip as a browser asks): the whole
   corpus at ``limit`` = every entity, with and without ``communities``, with
   ``max_edges`` and ``min_count``; the graph of a search matching every document;
   50 nodes (the page's default); a path. Each line: p50 and max in ms over
   ``--repeat`` requests after one warm-up, each made afresh (the server's remembered
   answers are cleared first), then one request answered from memory, nodes, edges and
   the answer's bytes.

Target: 2,000 nodes and 20,000 edges answer in well under a second on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

from bench import OUT
from bench.machine import describe, machine_info

CASES = [("whole corpus", {}), ("whole corpus, communities", {"communities": "true"}),
         ("whole corpus, max_edges 5000", {"max_edges": 5000}),
         ("whole corpus, min_count 2", {"min_count": 2}),
         ("search (every document)", {"q": "works"}),
         ("search, communities", {"q": "works", "communities": "true"}),
         ("50 nodes", {"limit": 50})]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_view",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--edges", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", default=str(OUT / "graph-view"))
    parser.add_argument("--json", help="also write the rows as JSON here")
    args = parser.parse_args()
    print(describe(machine_info("fastapi", "networkx")))
    from enrich.testing.graph_stores import graph_store
    data = Path(args.data)
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    graph_store(data, entities=args.entities, edges=args.edges)
    print(f"store: {args.entities:,} entities written in {time.perf_counter() - started:.1f} s")
    rows = requests(data, args.entities, args.repeat)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def requests(data: Path, limit: int, repeat: int) -> list[dict]:
    from fastapi.testclient import TestClient

    from enrich.server import create_app
    rows = []
    app = create_app(data)
    answers = app.state.corpus.answers
    with TestClient(app) as client:
        for label, params in CASES:
            params = {"limit": limit, **params}
            times, answer = [], None
            for i in range(repeat + 1):
                answers.clear()  # time the work, not the remembered answer
                started = time.perf_counter()
                answer = client.get("/api/graph/view", params=params)
                if i:  # the first warms the caches
                    times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.get("/api/graph/view", params=params)  # remembered now
            again = (time.perf_counter() - started) * 1000
            body = answer.json()
            rows.append({"case": label, "p50_ms": statistics.median(times), "max_ms": max(times),
                         "remembered_ms": again, "nodes": len(body["nodes"]),
                         "edges": len(body["edges"]), "bytes": len(answer.content)})
            print(f"  {label:<30} p50 {rows[-1]['p50_ms']:7.1f} ms  max {max(times):7.1f} ms  "
                  f"remembered {again:5.1f} ms  {rows[-1]['nodes']:,} nodes  "
                  f"{rows[-1]['edges']:,} edges  {rows[-1]['bytes'] / 1e6:.1f} MB", flush=True)
        nodes = body["nodes"]
        started = time.perf_counter()
        found = client.get("/api/graph/path", params={"a": nodes[0]["id"], "b": nodes[-1]["id"]})
        print(f"  path: {found.status_code}, {(time.perf_counter() - started) * 1000:.1f} ms")
    return rows


if __name__ == "__main__":
    main()
