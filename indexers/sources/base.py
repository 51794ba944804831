"""The source protocol: where documents come from, named by a URI.

A source lists its items (URI, size, modification time) in a stable order and
reads an item's bytes. Sources are chosen by URI scheme (:func:`open_source`);
blob stores (``s3://``, ``az://``, ``gs://``) plug in behind the same protocol.
"""

from __future__ import annotations

from enrich.errors import EnrichError

from dataclasses import dataclass
from typing import Iterator, Protocol

__all__ = ["SourceItem", "Source", "SourceError", "TransientSourceError", "TooLarge",
           "check_size", "close_source"]


class SourceError(EnrichError):
    """A source cannot be opened, listed or read; the message says why.

    Raised by ``read`` it fails that item for good (until the item changes)."""

    code = "E200"


class TransientSourceError(SourceError):
    """A read that may work later (network, throttling, a timeout), raised once the
    SDK's own retries are spent: the item keeps its previous documents and is tried
    again on the next run."""

    code = "E201"


class TooLarge(SourceError):
    """An item over the configured size limit (``max_bytes``); the message gives both."""

    code = "E202"


def close_source(source: object) -> None:
    """Release what a source holds (a SQL source's connection pool); most hold nothing
    and have no ``close``."""
    close = getattr(source, "close", None)
    if callable(close):
        close()


def check_size(name: str, size: int, max_bytes: int | None) -> None:
    """Raise TooLarge when ``size`` is over ``max_bytes`` (None: no limit)."""
    if max_bytes is not None and size > max_bytes:
        raise TooLarge(f"{name} has {size:,} bytes, over the limit of {max_bytes:,} "
                       "(--max-bytes)")


@dataclass(frozen=True)
class SourceItem:
    """One item of a source: a file, a blob, a record.

    ``version`` changes whenever the content does (an ETag, a GCS generation, a row's
    high-water mark or hash); when it is set, change detection compares it alone,
    else size and modification time. ``content_type`` is what the source says the
    bytes are (None: sniffed), e.g. ``application/x-enrich-record+json`` for records.
    """

    uri: str
    name: str
    size: int
    mtime: float
    version: str = ""
    content_type: str | None = None


class Source(Protocol):
    uri: str  # the root URI; every item's URI starts with it
    # Optional: URIs whose items could not be listed this time (a record file that
    # could not be read); the indexer keeps the items under them instead of deleting.
    unreadable: set[str]

    def list(self) -> Iterator[SourceItem]:
        """Every item, in a stable (sorted) order."""

    def read(self, item: SourceItem) -> bytes:
        """The item's bytes. Raises SourceError (permanent), TransientSourceError or
        OSError (tried again next run), TooLarge (over the size limit)."""

    # Optional: ``open(item) -> IO[bytes]``, the item as a binary file, rewound (the
    # caller closes it), with ``read``'s errors. Large items are then cracked from
    # the file (memory-mapped) instead of being read into memory.
