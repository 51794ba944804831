"""`enrich export` of a large store: rows per second and peak memory, at two sizes.

Builds **synthetic** stores (``enrich.testing.stores.synthetic_store``: mention rows
inserted with ``executemany`` into a fresh store, 100 to a document, no text analysis
behind them) of each ``--mentions`` size, then exports their ``mentions`` table to each
format, each export in a fresh Python process so that its peak resident set
(``resource.getrusage``, ``ru_maxrss``) is its own. ``baseline`` is the process's peak
after its imports (pyarrow included for Parquet) and opening the store, before the
export; ``growth`` is what the export added: one batch of rows, the writer's buffers
(pyarrow's memory pool and codec for Parquet) and SQLite's page cache, which the
store caps at 32 MB (``PRAGMA cache_size = -32000``) and a store of 100,000 mentions
(16 MB) does not fill yet. Flat memory: the growth stays the same from 300,000 to
1,000,000 rows.

Run: ``.venv/bin/python -m bench.export [--mentions 100000,300000,1000000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import describe, machine_info

FORMATS = ("jsonl", "parquet", "csv")


def child(data: str, out: str, format: str) -> None:
    """One export in this process; prints ``{rows, seconds, baseline_kb, peak_kb, bytes}``."""
    from enrich.export import export_store
    from indexers.stores import DataDir, SqliteStore
    if format == "parquet":
        import pyarrow.parquet  # noqa: F401  (its import is not the export's memory)
    SqliteStore(DataDir(data).store, read_only=True).close()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    summary = export_store(data, out, tables="mentions", format=format)
    seconds = time.perf_counter() - started
    item = summary["tables"][0]
    print(json.dumps({"rows": item["rows"], "seconds": seconds, "baseline_kb": baseline,
                      "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "bytes": item["bytes"]}))


def build(folder: Path, mentions: int) -> tuple[Path, float]:
    """The synthetic store of ``mentions`` rows (reused when built before)."""
    from enrich.testing.stores import synthetic_store
    data, marker = folder / f"store-{mentions}", folder / f"store-{mentions}.built"
    if marker.exists():
        return data, 0.0
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    synthetic_store(data, mentions)
    marker.write_text("ok\n")
    return data, time.perf_counter() - started


def measure(data: Path, out: Path, format: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "bench.export", "--child", str(data), str(out),
                          format], capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(f"export {format} of {data} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.export",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", default="100000,300000,1000000",
                        help="store sizes, comma-separated (default: 100000,300000,1000000)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--out", type=Path, default=Path("bench/out/export"))
    parser.add_argument("--child", nargs=3, metavar=("DATA", "OUT", "FORMAT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(describe(machine_info("pyarrow", "pandas")))
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"{'mentions':>10} {'format':8} {'seconds':>8} {'rows/s':>10} {'baseline':>9} "
          f"{'peak':>8} {'growth':>8} {'file':>9}")
    for size in (int(n) for n in args.mentions.split(",")):
        data, built = build(args.out, size)
        if built:
            print(f"(built the synthetic store of {size:,} mentions in {built:.1f} s)")
        for format in args.formats.split(","):
            r = {"mentions": size, "format": format, **measure(data, args.out / f"files-{size}", format)}
            results.append(r)
            mb = lambda kb: f"{kb / 1024:.0f} MB"  # noqa: E731
            print(f"{size:>10,} {format:8} {r['seconds']:8.2f} {r['rows'] / r['seconds']:10,.0f} "
                  f"{mb(r['baseline_kb']):>9} {mb(r['peak_kb']):>8} "
                  f"{mb(r['peak_kb'] - r['baseline_kb']):>8} {r['bytes'] / 2**20:7.1f} MB")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
