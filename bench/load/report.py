"""The load benchmark's printed report and its reading of the server's log."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def fmt_ms(v: float | None) -> str:
    """Milliseconds in a 9-wide column ('-' for none)."""
    return f"{v:>9,.1f}" if v is not None else f"{'-':>9}"


def print_report(res: dict[str, Any]) -> None:
    """The table of requests, then the writes, CPU use and the server's health."""
    print_requests(res)
    if res["writes"] is not None:
        print_writes(res["writes"], res["health"])
    else:
        print("\nwrites: none (--idle: no index run during the load)")
    print_server(res)


def print_requests(res: dict[str, Any]) -> None:
    """Requests, errors, rate and latency per request type; the error examples."""
    rows = res["requests"]
    print()
    print(f"{'request':<14}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'max ms':>9}")
    print("-" * 75)
    for kind, r in rows.items():
        if kind == "all":
            print("-" * 75)
        print(f"{kind:<14}{r['requests']:>9,}{r['errors']:>8,}{r['per_s']:>8.1f}{fmt_ms(r['p50_ms'])}"
              f"{fmt_ms(r['p95_ms'])}{fmt_ms(r['p99_ms'])}{fmt_ms(r['max_ms'])}")
    load = res["load"]
    errors = rows["all"]["errors"]
    print(f"\n{load['clients']} clients for {load['seconds']:.1f} s: {rows['all']['per_s']:.1f} requests/s; "
          f"errors {errors} (target 0: {'met' if errors == 0 else 'MISSED'})")
    if res["error_kinds"]:
        print("errors by problem: " + ", ".join(f"{k} x{n}" for k, n in res["error_kinds"].items()))
    for e in res["error_examples"]:
        body = re.sub(r"\s+", " ", e["body"] or "")[:300]
        print(f"  +{e['at_s']:.2f} s {e['type']} GET {e['url']}\n      -> {e['problem']}"
              + (f": {body}" if body else ""))


def print_writes(w: dict[str, Any], h: dict[str, Any]) -> None:
    """How long the index runs overlapped the window, what they wrote, each run's outcome."""
    print(f"\nwrites: index runs alive {w['overlap_s']:.1f} s of the {w['window_s']:.1f} s window "
          f"({w['overlap_pct']:.0f} %); {w['documents_written']} document versions written in the window"
          + (f" (from +{w['first_write_s']:.1f} s to +{w['last_write_s']:.1f} s)" if w["documents_written"] else "")
          + f"; store {w['documents_before']} -> {w['documents_at_end']} documents "
          f"({w['documents_after_stop']} once the writer stopped)")
    for run in w["runs"]:
        s = run.get("summary") or {}
        d = s.get("documents") or {}
        what = (f"{s.get('status')}: {d.get('indexed')} indexed, {d.get('unchanged')} unchanged, "
                f"{d.get('failed')} failed" if s else
                ("interrupted at the end" if run.get("interrupted") else f"no summary (rc {run.get('rc')})"))
        print(f"  run {run['n']}: {'--reindex ' if run['reindex'] else ''}{run['folder']}, "
              f"{run['start_s']:+.1f} s .. {run['end_s']:+.1f} s: {what}"
              + (f"\n      {' / '.join(run['stderr_tail'])}" if run.get("stderr_tail") else ""))
    print(f"  the server's /api/health: documents {h['before'].get('documents')} -> "
          f"{h['after'].get('documents')}, index_documents {h['before'].get('index_documents')} -> "
          f"{h['after'].get('index_documents')}")


def print_server(res: dict[str, Any]) -> None:
    """CPU seconds by role, the server's log problems and how it stopped."""
    c, load = res["cpu"], res["load"]
    print(f"\nCPU seconds in the window ({res['machine']['cores']} cores, "
          f"{res['machine']['cores'] * load['seconds']:.0f} s available): server {c['server']:.1f}, "
          f"index runs {c['index']:.1f}, clients {c['clients']:.1f}, anything else {c['others']:.1f}; "
          f"machine busy {c['machine_busy_pct']:.0f} %; load average {c['loadavg_after']}")
    if c["others"] > 0.1 * c["machine_busy"]:
        print("  (other processes used the CPU meanwhile: compare numbers only from an otherwise idle machine)")
    log = res["server_log"]
    print(f"server log: {log['lines']} lines, {log['tracebacks']} tracebacks, {log['5xx']} 5xx lines, "
          f"{log['warnings']} warning/error lines ({log['path']})")
    for line in log["examples"]:
        print(f"  | {line}")
    srv = res["server"]
    alive = "still running" if srv["alive_after_load"] else "DIED during the load"
    clean = "clean shutdown" if log["clean_shutdown"] else "NO clean shutdown in the log"
    print(f"server: {alive} after the load; stopped by {srv['stopped_by']} ({clean}), "
          f"exit status {srv['exit_status']}")


def server_log_report(path: Path) -> dict[str, Any]:
    """Lines, tracebacks, 5xx and warning lines of the server's log; a clean shutdown?"""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    bad = [line for line in lines if re.search(r"Traceback|\bERROR\b|\bWARNING\b|Exception|\" 5\d\d\b", line)]
    return {"path": str(path), "lines": len(lines), "tracebacks": text.count("Traceback"),
            "5xx": sum(1 for line in lines if re.search(r"\" 5\d\d\b", line)),
            "warnings": len(bad), "examples": bad[:10],
            "clean_shutdown": "Application shutdown complete" in text or "Finished server process" in text}
