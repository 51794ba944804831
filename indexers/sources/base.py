"""The source protocol: where documents come from, named by a URI.

A source lists its items (URI, size, modification time) in a stable order and
reads an item's bytes. Sources are chosen by URI scheme (:func:`open_source`);
blob stores (``s3://``, ``az://``, ``gs://``) plug in behind the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

__all__ = ["SourceItem", "Source", "SourceError"]


class SourceError(Exception):
    """A source cannot be opened, listed or read; the message says why."""


@dataclass(frozen=True)
class SourceItem:
    uri: str
    name: str
    size: int
    mtime: float


class Source(Protocol):
    uri: str  # the root URI; every item's URI starts with it

    def list(self) -> Iterator[SourceItem]:
        """Every item, in a stable (sorted) order."""

    def read(self, item: SourceItem) -> bytes:
        """The item's bytes. Raises SourceError (or OSError) when it cannot be read."""
