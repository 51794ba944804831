"""What the blob-store sources share: URIs, which names are items, bounded downloads.

A blob source is named ``scheme://bucket/prefix``. The prefix is a folder: it holds
the blobs named ``prefix/...`` (or the one blob named ``prefix``), not ``prefix-old/...``,
so that every item's URI starts with the source's URI plus ``/`` and the indexer can
tell which stored items are gone. Item URIs quote what a URI cannot hold as is
(``%``, ``#``, ``?``, spaces), so they are stable and ``#row=N`` stays a fragment.
"""

from __future__ import annotations

import tempfile
from typing import IO, Iterable, Iterator
from urllib.parse import quote, unquote

from indexers.sources.base import SourceError, SourceItem, TooLarge, check_size

__all__ = ["RETRIES", "CHUNK_BYTES", "SPOOL_BYTES", "split_uri", "blob_uri", "blob_name",
           "is_item", "content_type", "by_uri", "check_size", "spool",
           "retried"]

RETRIES = 4  # retries after the first attempt, with the SDK's exponential backoff
CHUNK_BYTES = 4 * 1024 * 1024  # the most one network read or SDK buffer holds
SPOOL_BYTES = 8 * 1024 * 1024  # a download larger than this goes to a temporary file
_SAFE = "/!$&'()*+,;=:@"  # kept as is in item URIs (RFC 3986 path characters)


def split_uri(uri: str, scheme: str) -> tuple[str, str]:
    """``scheme://bucket/some/prefix/`` -> ``("bucket", "some/prefix")``."""
    head, sep, rest = uri.partition("://")
    if not sep or head.lower() != scheme:
        raise SourceError(f"{uri!r} is not a {scheme}:// URI; expected {scheme}://BUCKET/PREFIX")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise SourceError(f"{uri!r} names no bucket or container; "
                          f"expected {scheme}://BUCKET/PREFIX")
    return bucket, unquote(prefix).strip("/")


def blob_uri(scheme: str, bucket: str, name: str) -> str:
    """The URI of the blob ``name`` (or of the prefix ``name``; ``""``: the bucket)."""
    return f"{scheme}://{bucket}/{quote(name, safe=_SAFE)}".rstrip("/")


def blob_name(uri: str, scheme: str, bucket: str) -> str:
    """The blob name inside ``uri``, which must be in ``bucket``."""
    start = f"{scheme}://{bucket}/"
    if not uri.startswith(start):
        raise SourceError(f"{uri!r} is not in {scheme}://{bucket}")
    return unquote(uri[len(start):])


def is_item(name: str, prefix: str) -> bool:
    """Whether the blob ``name`` is an item of ``prefix``: inside it, not a folder
    marker (``docs/``, what consoles create for an empty folder), not hidden (a part
    starting with ``.``, as local sources skip hidden files and folders)."""
    if prefix and name != prefix and not name.startswith(prefix + "/"):
        return False
    return not name.endswith("/") and not any(part.startswith(".") for part in name.split("/"))


def content_type(value: str | None) -> str | None:
    """A stored content type worth passing on: None for none and for the generic
    ``application/octet-stream`` the SDKs set by default (the bytes are sniffed)."""
    base = (value or "").split(";")[0].strip().lower()
    return None if base in ("", "application/octet-stream", "binary/octet-stream") else value


def by_uri(items: Iterable[SourceItem]) -> Iterator[SourceItem]:
    """Items sorted by URI (stores list by name; quoting can change the order)."""
    return iter(sorted(items, key=lambda item: item.uri))


def spool(chunks: Iterable[bytes], name: str, size: int, max_bytes: int | None) -> IO[bytes]:
    """Write ``chunks`` to a temporary file (in memory up to SPOOL_BYTES), rewound.

    Raises TooLarge as soon as the bytes received go over ``max_bytes`` (a blob that
    grew since it was listed; callers check the listed ``size`` with ``check_size``
    before they request anything).
    """
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    received = 0
    try:
        for chunk in chunks:
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                raise TooLarge(f"{name} was listed with {size:,} bytes but sent more than "
                               f"{max_bytes:,}, the limit (--max-bytes); stopped reading")
            out.write(chunk)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def retried(retries: int) -> str:
    """``after 3 retries``, for the message of an error the SDK kept getting."""
    return f"after {retries} {'retry' if retries == 1 else 'retries'}"
