"""Batch runners: where the worker's steps run over the batches of a run.

A runner is opened by name (``enrich index --engine local|ray``) with the skillset and
the :class:`~enrich.worker.WorkerConfig` its processes need, and given the run's
batches. It submits them to its processes as it has room (so memory stays bounded by
the batches in flight, never by the corpus) and yields one
:class:`~enrich.worker.BatchResult` per batch **in submission order**, so the indexer
commits in order (the batches finished together in one commit) and a killed run
resumes at a commit boundary. Every process
runs the same :class:`~enrich.worker.Worker` steps (crack, enrich, finish); a batch
whose process dies or times out comes back with its items failed at stage ``worker``,
never lost. Closing a runner abandons the batches still in flight: a run that stops
early (``--max-failed``) does not wait for them.

Implementations: ``local`` (:mod:`enrich.runners.local`, a process pool on this
machine) and ``ray`` (:mod:`enrich.runners.ray`, Ray Data actor pools). One contract
test suite runs against both.
"""

from __future__ import annotations

from enrich.runners.base import Runner, RunnerError
from enrich.skillset import Skillset
from enrich.page_parts import SPLIT_PAGES
from enrich.worker import WorkerConfig

__all__ = ["RUNNERS", "Runner", "RunnerError", "check_runner", "open_runner"]

RUNNERS = ("local", "ray")


def check_runner(name: str) -> None:
    """Refuse an unknown runner name (before a run opens anything)."""
    if name not in RUNNERS:
        raise RunnerError(f"unknown engine {name!r}; choose one of {', '.join(RUNNERS)}")


def open_runner(name: str, skillset: Skillset, config: WorkerConfig, *, workers: int,
                doc_timeout: float, address: str | None = None,
                split_pages: int | None = SPLIT_PAGES) -> Runner:
    """The runner called ``name``: ``local`` (``workers`` processes, 0 runs inline, a
    batch gets ``doc_timeout`` seconds per item, a document of more than ``split_pages``
    pages is enriched in parts) or ``ray`` (``address``: a cluster, or None for a local
    Ray; ``workers`` caps the actors per stage; documents are not split)."""
    check_runner(name)
    if name == "local":
        from enrich.runners.local import LocalRunner
        return LocalRunner(skillset, config, workers=workers, doc_timeout=doc_timeout,
                           split_pages=split_pages)
    from enrich.runners.ray import RayRunner
    return RayRunner(skillset, config, workers=workers, address=address)
