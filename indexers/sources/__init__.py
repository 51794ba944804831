"""Sources: where documents come from, chosen by URI scheme."""

from __future__ import annotations

from indexers.sources.base import Source, SourceError, SourceItem
from indexers.sources.local import LocalSource

__all__ = ["Source", "SourceError", "SourceItem", "LocalSource", "open_source", "SCHEMES"]

SCHEMES = {"": LocalSource, "file": LocalSource}
_LATER = ("s3", "az", "gs", "gcs", "abfs")


def open_source(uri: str, **options) -> Source:
    """The source for ``uri``: a local path, or ``file://``; blob schemes come later."""
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme in SCHEMES:
        return SCHEMES[scheme](uri, **options)
    if scheme in _LATER:
        raise SourceError(f"{scheme}:// sources are not supported yet; index a local folder "
                          "or file (blob storage sources are planned)")
    raise SourceError(f"unknown source scheme {scheme!r} in {uri!r}; "
                      f"supported: a local path or file://")
