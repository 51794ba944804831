"""The runner protocol and its error (see :mod:`enrich.runners`), apart from the
package so that the runners import them without importing the package that opens them."""

from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from enrich.errors import EnrichError
from enrich.worker import Batch, BatchResult

__all__ = ["Runner", "RunnerError"]


class RunnerError(EnrichError):
    """A runner cannot be used as asked (unknown name), or broke its contract."""

    code = "E110"


class Runner(Protocol):
    """Runs batches and yields their results in order; a context manager."""

    def run(self, batches: Iterable[Batch], patience: float | None = None
            ) -> Iterator[BatchResult | None]:
        """Submit ``batches`` (taken as there is room) and yield one result per batch,
        in submission order. With ``patience``, a runner that can tell may also yield
        None each time the next result has kept it waiting that many seconds (so the
        caller commits what it holds); the local runner does, Ray does not."""
        ...

    def close(self) -> None:
        """Stop: batches still in flight are abandoned, processes are released."""
        ...

    def __enter__(self) -> "Runner": ...

    def __exit__(self, *exc: object) -> None: ...
