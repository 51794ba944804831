"""The ``enrich`` command line: one Typer app (:mod:`enrich.cli.app`), one module per
command. Importing this package registers every command."""

from __future__ import annotations

import gc
import sys

from enrich.cli import (cache, corrections, entities, eval, eval_ocr, export,  # noqa: F401
                        graph, graph_thread, index, models, review, search, serve, skills, status,
                        train)  # (register commands)
from enrich.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    finally:
        reap_helpers()


def reap_helpers() -> None:
    """Stop multiprocessing's resource tracker, the one child a worker pool leaves
    behind (the pool's processes are joined when it closes), and wait for it: the
    command returns with no process of its own still exiting. Python would stop it
    at exit anyway; this makes it happen before the shell gets its prompt back."""
    tracker_module = sys.modules.get("multiprocessing.resource_tracker")
    tracker = getattr(tracker_module, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)  # CPython 3.11+; a private but stable hook
    if stop is None or getattr(tracker, "_fd", None) is None:
        return
    gc.collect()  # finalise the pool's semaphores first, so none is reported leaked
    stop()
