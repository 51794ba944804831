"""A local folder (or a single file) as a source: ``./docs``, ``file:///data/docs``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlparse

from indexers.sources.base import SourceError, SourceItem

__all__ = ["LocalSource"]


def _path_from_uri(uri: str) -> Path:
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    return Path(uri)


class LocalSource:
    """Every regular file below a folder, hidden files and folders skipped, sorted."""

    def __init__(self, location: str, exclude: tuple[str, ...] = ()) -> None:
        self.path = _path_from_uri(location).expanduser().resolve()
        if not self.path.exists():
            raise SourceError(f"source {location!r} does not exist ({self.path})")
        self.uri = self.path.as_uri()
        self.exclude = tuple(Path(p).resolve() for p in exclude)

    def list(self) -> Iterator[SourceItem]:
        if self.path.is_file():
            yield self._item(self.path)
            return
        for root, dirs, files in os.walk(self.path, onerror=None):
            here = Path(root)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and (here / d).resolve() not in self.exclude)
            for name in sorted(files):
                if not name.startswith(".") and (here / name).is_file():
                    yield self._item(here / name)

    def _item(self, path: Path) -> SourceItem:
        stat = path.stat()
        return SourceItem(uri=path.as_uri(), name=path.name, size=stat.st_size,
                          mtime=stat.st_mtime)

    def read(self, item: SourceItem) -> bytes:
        return _path_from_uri(item.uri).read_bytes()
