"""Peak memory of ``enrich index`` as the corpus grows: is a worker's peak flat?

    .venv/bin/python -m bench.memory [--docs 1000,3000,10000] [--workers 2] [--kind text|pdf]
        [--skillset FILE] [--out bench/out] [--json]

Each size (a generated corpus, reused when its manifest matches) is indexed by a fresh
interpreter calling ``enrich.indexer.run_index`` into an empty temporary data directory.
**Worker peak**: the largest ``VmHWM`` of the pool's processes, read from
``/proc/PID/status`` every 0.2 s while they live. ``RUSAGE_CHILDREN``'s ``ru_maxrss`` is
shown beside it but is not a worker's own peak: Linux carries the parent's high-water
mark over into a child started by fork or vfork and exec (``spawn``). **Main peak**:
``RUSAGE_SELF``. Last line: worker peak at the largest size over the smallest (flat is
1.0). Nothing is asserted. Linux only. bench/README.md has the details and numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import OUT, ROOT, prose
from bench.machine import describe, machine_info, usable_cores
from bench.throughput import TEXT_SKILLSET, ensure_corpus

SEED = 20261206
SAMPLE_SECONDS = 0.2


def text_corpus(work: Path, docs: int) -> Path:
    """``docs`` one-page prose ``.txt`` files in ``work/corpus`` (its own seed per document)."""
    corpus, manifest = work / "corpus", work / "corpus.json"
    params = {"docs": docs, "seed": SEED, "kind": "text"}
    if manifest.exists() and json.loads(manifest.read_text()) == params:
        return corpus
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for i in range(docs):
        rng = random.Random(f"{SEED}-{i}")
        (corpus / f"doc-{i:05d}.txt").write_text("\n\n".join(prose.page_paragraphs(rng)) + "\n")
    manifest.write_text(json.dumps(params))
    return corpus


def make_corpus(out: Path, kind: str, docs: int) -> Path:
    work = out / "memory" / f"{kind}-{docs}"
    if kind == "text":
        return text_corpus(work, docs)
    return ensure_corpus(work, docs, 1, max(1, min(8, usable_cores())))[0]


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:  # the process exited meanwhile
        return ""


def worker_hwm() -> dict[int, int]:
    """``{pid: VmHWM in kB}`` of this process's pool workers (children running ``spawn_main``)."""
    found = {}
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in _read(children).split():
            if "spawn_main" in _read(f"/proc/{pid}/cmdline"):
                found.update((int(pid), int(line.split()[1])) for line in
                             _read(f"/proc/{pid}/status").splitlines() if line.startswith("VmHWM:"))
    return found


def sample_workers(peaks: dict[int, int], done: threading.Event) -> None:
    """Keep each worker's last ``VmHWM`` (it only grows) in ``peaks`` until ``done``."""
    while not done.wait(SAMPLE_SECONDS):
        for pid, kb in worker_hwm().items():
            peaks[pid] = max(peaks.get(pid, 0), kb)


def measure_one(corpus: Path, workers: int, skillset: Path | None) -> dict:
    """Index ``corpus`` in this process (a fresh one): seconds, documents, peaks in MB."""
    from enrich.indexer import IndexOptions, run_index

    peaks: dict[int, int] = {}
    done = threading.Event()
    sampler = threading.Thread(target=sample_workers, args=(peaks, done), daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory(prefix="enrich-memory-") as data:
        options = IndexOptions(data_dir=Path(data), workers=workers,
                               skillset=str(skillset) if skillset else TEXT_SKILLSET)
        started = time.perf_counter()
        summary = run_index(str(corpus), options)
        seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    mb = 1024.0  # ru_maxrss and VmHWM are in kB on Linux
    return {"docs": summary.documents["seen"], "documents": summary.documents,
            "seconds": seconds, "worker_processes": len(peaks),
            "worker_peak_mb": max(peaks.values(), default=0) / mb,
            "children_rusage_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / mb,
            "main_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / mb}


def run_size(corpus: Path, args: argparse.Namespace) -> dict:
    """:func:`measure_one` in a fresh interpreter; its JSON is the last line of its output."""
    argv = [sys.executable, "-m", "bench.memory", "--one", str(corpus), "--workers", str(args.workers)]
    if args.skillset:
        argv += ["--skillset", str(args.skillset.resolve())]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    print(f"\n{'docs':>7}{'seconds':>9}{'docs/s':>8}{'worker peak MB':>16}"
          f"{'(rusage MB)':>13}{'main peak MB':>14}  workers seen")
    for r in rows:
        print(f"{r['docs']:>7,}{r['seconds']:>9.1f}{r['docs'] / r['seconds']:>8.1f}"
              f"{r['worker_peak_mb']:>16.0f}{r['children_rusage_mb']:>13.0f}"
              f"{r['main_peak_mb']:>14.0f}  {r['worker_processes']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.memory",
                                description="Peak memory of `enrich index` workers and main process "
                                            "as the corpus grows.")
    p.add_argument("--docs", default="1000,3000,10000",
                   help="corpus sizes, comma-separated (default 1000,3000,10000)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--kind", choices=("text", "pdf"), default="text",
                   help="generated documents: one-page .txt (default) or one-page PDFs")
    p.add_argument("--skillset", type=Path, default=None,
                   help="skillset file (default: bench.throughput's text skillset)")
    p.add_argument("--out", type=Path, default=OUT, help="work folder (default bench/out)")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--one", type=Path, default=None, help=argparse.SUPPRESS)  # the subprocess
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one, args.workers, args.skillset)))
        return 0
    sizes = sorted(int(n) for n in args.docs.split(","))
    info = machine_info("spacy")
    rows = []
    for docs in sizes:
        corpus = make_corpus(args.out.resolve(), args.kind, docs)
        rows.append(run_size(corpus, args))
        if not args.json:
            print(f"{docs:,} {args.kind} documents: {rows[-1]['seconds']:.1f} s", flush=True)
    ratio = rows[-1]["worker_peak_mb"] / rows[0]["worker_peak_mb"] if rows[0]["worker_peak_mb"] else None
    if args.json:
        print(json.dumps({"machine": info, "kind": args.kind, "workers": args.workers,
                          "rows": rows, "worker_peak_ratio": ratio}, indent=2))
        return 0
    print(describe(info))
    print_table(rows)
    if ratio is not None:
        print(f"\nworker peak at {sizes[-1]:,} / at {sizes[0]:,} documents: {ratio:.2f} (flat is 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
