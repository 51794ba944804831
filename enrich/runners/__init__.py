"""Batch runners: where the worker's steps run over the batches of a run.

A runner is opened by name (``enrich index --engine local|ray``) with the skillset and
the :class:`~enrich.worker.WorkerConfig` its processes need, and given the run's
batches. It submits them to its processes as it has room (so memory stays bounded by
the batches in flight, never by the corpus) and yields one
:class:`~enrich.worker.BatchResult` per batch **in submission order**, so the indexer
commits batch by batch and a killed run resumes at a batch boundary. Every process
runs the same :class:`~enrich.worker.Worker` steps (crack, enrich, finish); a batch
whose process dies or times out comes back with its items failed at stage ``worker``,
never lost. Closing a runner abandons the batches still in flight: a run that stops
early (``--max-failed``) does not wait for them.

Implementations: ``local`` (:mod:`enrich.runners.local`, a process pool on this
machine) and ``ray`` (:mod:`enrich.runners.ray`, Ray Data actor pools). One contract
test suite runs against both.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from enrich.errors import EnrichError
from enrich.skillset import Skillset
from enrich.worker import Batch, BatchResult, WorkerConfig

__all__ = ["RUNNERS", "Runner", "RunnerError", "check_runner", "open_runner"]

RUNNERS = ("local", "ray")


class RunnerError(EnrichError):
    """A runner cannot be used as asked (unknown name), or broke its contract."""

    code = "E110"


class Runner(Protocol):
    """Runs batches and yields their results in order; a context manager."""

    def run(self, batches: Iterable[Batch]) -> Iterator[BatchResult]:
        """Submit ``batches`` (taken as there is room) and yield one result per batch,
        in submission order."""
        ...

    def close(self) -> None:
        """Stop: batches still in flight are abandoned, processes are released."""
        ...

    def __enter__(self) -> "Runner": ...

    def __exit__(self, *exc: object) -> None: ...


def check_runner(name: str) -> None:
    """Refuse an unknown runner name (before a run opens anything)."""
    if name not in RUNNERS:
        raise RunnerError(f"unknown engine {name!r}; choose one of {', '.join(RUNNERS)}")


def open_runner(name: str, skillset: Skillset, config: WorkerConfig, *, workers: int,
                doc_timeout: float, address: str | None = None) -> Runner:
    """The runner called ``name``: ``local`` (``workers`` processes, 0 runs inline, a
    batch gets ``doc_timeout`` seconds per item) or ``ray`` (``address``: a cluster, or
    None for a local Ray; ``workers`` caps the actors per stage)."""
    check_runner(name)
    if name == "local":
        from enrich.runners.local import LocalRunner
        return LocalRunner(skillset, config, workers=workers, doc_timeout=doc_timeout)
    from enrich.runners.ray import RayRunner
    return RayRunner(skillset, config, workers=workers, address=address)
