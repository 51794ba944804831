"""Run the load benchmark (``python -m bench.load --help``): steps a-f of :mod:`bench.load`."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.load import progress_to_stderr, say
from bench.load.client import MIX, Pools, run_load, summarize, warm_up
from bench.load.corpus import ensure_corpus
from bench.load.cpu import CpuSampler
from bench.load.processes import (SetupFailed, WriteWatcher, Writer, free_port, health, run_index,
                                  start_server, stop_group, store_rows, wait_first_write)
from bench.load.report import print_report, server_log_report
from bench.machine import describe, loadavg, machine_info
from bench.runs import tail
from enrich.server.security import is_loopback

MAX_CLIENTS = 200
MAX_SECONDS = 600


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options, checked: loopback only, bounded clients and seconds."""
    p = argparse.ArgumentParser(prog="python -m bench.load",
                                description="Load on `enrich serve` while an index run writes.")
    p.add_argument("--clients", type=int, default=50, help=f"concurrent clients (default 50, at most {MAX_CLIENTS})")
    p.add_argument("--seconds", type=float, default=30.0, help=f"load duration (default 30, at most {MAX_SECONDS})")
    p.add_argument("--docs", type=int, default=150, help="PDFs in each of the three corpus folders (default 150)")
    p.add_argument("--pages", type=int, default=2, help="pages per PDF (default 2)")
    p.add_argument("--index-workers", type=int, default=1, help="enrich index --workers (default 1)")
    p.add_argument("--write-batch-size", type=int, default=4,
                   help="the writer's enrich index --batch-size: documents per batch (default 4)")
    p.add_argument("--write-commit-seconds", type=float, default=None,
                   help="the writer's enrich index --commit-seconds (default: enrich's; 0: a commit "
                        "per batch)")
    p.add_argument("--server-workers", type=int, default=None,
                   help="enrich serve --workers (default: enrich's, the number of cores)")
    p.add_argument("--idle", action="store_true",
                   help="no index run during the load: the server alone (the idle goal)")
    p.add_argument("--think", type=float, default=0.0,
                   help="mean pause between a client's requests, seconds (default 0: back to back)")
    p.add_argument("--host", default="127.0.0.1", help="server address: loopback only (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument("--work", type=Path, default=None,
                   help="work folder, kept, corpus reused (default: a temporary folder, deleted)")
    p.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    p.add_argument("--startup-timeout", type=float, default=90.0, help="seconds to wait for the server and "
                   "for the writer's first document (default 90)")
    p.add_argument("--json", action="store_true", help="print the results as JSON (progress to stderr)")
    args = p.parse_args(argv)
    if not is_loopback(args.host):
        p.error(f"--host {args.host}: this benchmark only runs a server on loopback (127.0.0.1, ::1)")
    if not 1 <= args.clients <= MAX_CLIENTS:
        p.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 1 <= args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be 1..{MAX_SECONDS}")
    if min(args.docs, args.pages, args.write_batch_size, args.index_workers + 1) < 1:
        p.error("--docs, --pages and --write-batch-size must be at least 1, --index-workers at least 0")
    return args


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark in a work folder; whatever happens, stop the writer and the server."""
    args = parse_args(argv)
    progress_to_stderr(args.json)
    # Ctrl-C and kill both clean up (the finally below). A shell that started us in the
    # background may have set SIGINT to "ignore", which the index runs would inherit.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)
    res: dict[str, Any] = {"machine": machine_info("httpx"), "config": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    say(describe(res["machine"]) + " (shared by the server, the index runs and the clients)")
    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="enrich-load-")) if temporary else args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    status = 0
    try:
        status = bench(args, res, work)
    except SetupFailed as exc:
        say(f"FAILED: {exc}")
        status = 2
    except KeyboardInterrupt:
        say("interrupted: stopping the writer and the server")
        status = 130
    finally:
        clean_up(res, work, temporary and not args.keep)
        if temporary and args.keep:
            say(f"work folder kept: {work}")
    return status


def clean_up(res: dict[str, Any], work: Path, remove: bool) -> None:
    """Stop a writer and a server still running (after an error), remove a temporary folder."""
    server, writer = res.pop("_server", None), res.pop("_writer", None)
    if writer is not None and writer.thread.is_alive():
        writer.stop()
    if server is not None:
        stop_group(server, signal.SIGTERM, 15.0)
    if remove:
        shutil.rmtree(work, ignore_errors=True)


def bench(args: argparse.Namespace, res: dict[str, Any], work: Path) -> int:
    """Steps a-f; the results go into ``res`` and are printed (or dumped with ``--json``)."""
    logs, data = work / "logs", work / "data"
    logs.mkdir(exist_ok=True)
    shutil.rmtree(data, ignore_errors=True)
    folders = first_index(args, res, work, data, logs)
    server, base, pools = serve(args, res, data, logs)
    writer, before = (None, 0) if args.idle else start_writer(args, res, folders, data, logs)
    if args.idle:
        say("(d) no writer (--idle): the server alone")
    window = measure(args, res, server, base, pools, data)
    say("(f) stopping the writer (SIGINT) and the server (SIGTERM)")
    if writer is not None:
        writer.stop()
    res.pop("_writer", None)
    res["server"]["alive_after_load"] = server.poll() is None
    res["server"]["stopped_by"] = stop_group(server, signal.SIGTERM, 15.0)
    res.pop("_server", None)
    res["server"]["exit_status"] = server.returncode
    res["writes"] = writes(window, writer, before, data) if writer is not None else None
    if writer is None:
        window["watcher"].stop()
    res["server_log"] = server_log_report(logs / "server.log")
    res["logs"] = str(logs)
    if args.json:
        print(json.dumps(res, indent=2, default=str))
    else:
        print_report(res)
    return 0


def first_index(args: argparse.Namespace, res: dict[str, Any], work: Path, data: Path,
                logs: Path) -> dict[str, Path]:
    """(a) the corpus and (b) the first index run; :class:`SetupFailed` if it fails."""
    t0 = time.monotonic()
    folders, reused = ensure_corpus(work, args.docs, args.pages)
    say(f"(a) corpus: {work / 'corpus'}: 3 x {args.docs} PDFs of {args.pages} pages "
        f"({'reused' if reused else f'generated in {time.monotonic() - t0:.1f} s'})")
    say(f"(b) first index: enrich index {folders['first']} --workers {args.index_workers}")
    rc, summary, seconds = run_index(folders["first"], data, args.index_workers, logs / "index-first.log")
    if summary is None:
        raise SetupFailed(f"`enrich index` exited {rc} without a JSON summary:\n"
                          + tail(logs / "index-first.log", 10))
    d = summary.get("documents", {})
    res["first_index"] = {"seconds": seconds, "rc": rc, "documents": d}
    say(f"    {seconds:.1f} s, status {summary.get('status')}, {d.get('indexed')} indexed, "
        f"{d.get('failed')} failed")
    return folders


def serve(args: argparse.Namespace, res: dict[str, Any], data: Path, logs: Path) -> tuple:
    """(c) ``enrich serve`` on a free loopback port, and the warm-up that seeds the pools."""
    port = args.port or free_port(args.host)
    workers = [] if args.server_workers is None else ["--workers", str(args.server_workers)]
    say(f"(c) server: enrich serve --data {data} --host {args.host} --port {port} "
        + " ".join(workers))
    server, base, up_s, first_health = start_server(data, args.host, port, logs / "server.log",
                                                    args.startup_timeout, workers)
    res["_server"] = server
    res["server"] = {"url": base, "startup_s": up_s, "health": first_health}
    say(f"    {base} up in {up_s:.1f} s: {first_health}")
    pools = Pools()
    res["warm_up"] = warm_up(base, pools)
    say(f"    warm-up (not measured): {res['warm_up']}")
    return server, base, pools


def start_writer(args: argparse.Namespace, res: dict[str, Any], folders: dict[str, Path],
                 data: Path, logs: Path) -> tuple[Writer, int]:
    """(d) the writer's index runs; returns once its first document is in the store."""
    say(f"(d) writer: enrich index second, third, then --reindex of each, until the load ends "
        f"(--workers {args.index_workers} --batch-size {args.write_batch_size}"
        + (f" --commit-seconds {args.write_commit_seconds})" if args.write_commit_seconds
           is not None else ")"))
    before = len(store_rows(data))
    writer = Writer([folders["second"], folders["third"]], data, args.index_workers,
                    args.write_batch_size, logs, args.write_commit_seconds)
    res["_writer"] = writer
    writer_start = time.time()
    writer.start()
    first = wait_first_write(data, writer_start, writer, args.startup_timeout)
    if first is None:
        say("    WARNING: no document written by the writer yet; the load starts anyway")
    else:
        say(f"    first new document in the store after {first:.1f} s")
    res["writer_first_write_s"] = first
    return writer, before


def measure(args: argparse.Namespace, res: dict[str, Any], server: Any, base: str, pools: Pools,
            data: Path) -> dict[str, Any]:
    """(e) the load window: requests, CPU by role, health before and after, writes seen."""
    health_before = health(base)
    say(f"(e) load: {args.clients} clients for {args.seconds:g} s "
        f"(mix: {', '.join(f'{k} {v} %' for k, v in MIX.items())})")
    sampler, watcher = CpuSampler(server.pid), WriteWatcher(data)
    sampler.start()
    watcher.start()
    window0 = time.time()
    results, examples, elapsed, client_cpu, _ = run_load(base, args.clients, args.seconds, args.think, pools)
    window1 = time.time()
    cpu = sampler.stop()
    documents_at_end = len(store_rows(data))
    cpu["clients"] = client_cpu
    cpu["others"] = max(0.0, cpu["machine_busy"] - cpu["server"] - cpu["index"] - client_cpu)
    cpu["loadavg_after"] = loadavg()
    res["health"] = {"before": health_before, "after": health(base)}
    say(f"    {len(results):,} requests in {elapsed:.1f} s")
    res["load"] = {"clients": args.clients, "seconds": elapsed, "think_s": args.think,
                   "requests": len(results)}
    res["requests"] = summarize(results, elapsed)
    res["error_examples"] = examples
    res["error_kinds"] = dict(Counter(f"{kind}: {problem}" for kind, _, problem, _ in results
                                      if problem is not None).most_common())
    res["cpu"] = cpu
    return {"start": window0, "end": window1, "watcher": watcher, "documents_at_end": documents_at_end}


def writes(window: dict[str, Any], writer: Writer, before: int, data: Path) -> dict[str, Any]:
    """What the writer did in the window: overlap, document versions written, each run."""
    window0, window1, watcher = window["start"], window["end"], window["watcher"]
    watcher.stop()
    inside = watcher.between(window0, window1)
    intervals = [(max(r["start"], window0), min(r["end"], window1)) for r in writer.runs]
    overlap = sum(max(0.0, b - a) for a, b in intervals)  # runs never overlap each other
    return {
        "window_s": window1 - window0, "overlap_s": overlap,
        "overlap_pct": 100 * overlap / (window1 - window0),
        "documents_written": len(inside),
        "first_write_s": inside[0] - window0 if inside else None,
        "last_write_s": inside[-1] - window0 if inside else None,
        "documents_before": before, "documents_at_end": window["documents_at_end"],
        "documents_after_stop": len(store_rows(data)), "writer_stopped_by": writer.stop_how,
        "runs": [{**{k: v for k, v in r.items() if k not in ("start", "end")},
                  "start_s": r["start"] - window0, "end_s": r["end"] - window0} for r in writer.runs],
    }


if __name__ == "__main__":
    sys.exit(main())
