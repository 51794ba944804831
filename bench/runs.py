"""``enrich`` as the benchmarks run it: a subprocess, logged, its ``--json`` summary parsed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT

ENRICH = [sys.executable, "-m", "enrich"]


def enrich_env(offline: bool = False) -> dict[str, str]:
    """This environment, unbuffered so logs are complete; ``offline`` keeps the model hub out."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if offline:
        env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def index_argv(folder: Path, data: Path, workers: int, *extra: str) -> list[str]:
    """``enrich index FOLDER --data DATA --workers N [extra] --json``."""
    return [*ENRICH, "index", str(folder), "--data", str(data), "--workers", str(workers),
            *extra, "--json"]


def parse_summary(stdout: str) -> dict[str, Any] | None:
    """The JSON summary: the whole output, or the last line-started JSON object in it."""
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        pass
    lines = stdout.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].lstrip().startswith("{"):
            try:
                return json.loads("\n".join(lines[i:]))
            except json.JSONDecodeError:
                continue
    return None


def run_logged(argv: list[str], log: Path, offline: bool = False
               ) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``argv`` from the repository root; write its command, status and output to ``log``.

    Returns the finished process and its wall-clock seconds (interpreter start included).
    """
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, env=enrich_env(offline), capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    log.write_text(f"$ {' '.join(argv)}\n# rc={proc.returncode}\n--- stdout\n{proc.stdout}"
                   f"\n--- stderr\n{proc.stderr}")
    return proc, seconds


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a log ('' when it cannot be read)."""
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""
