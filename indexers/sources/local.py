"""A local folder (or a single file) as a source: ``./docs``, ``file:///data/docs``."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from stat import S_ISREG
from typing import IO, Iterator
from urllib.parse import unquote, urlparse

from indexers.sources.base import SourceError, SourceItem, check_size

__all__ = ["LocalSource"]

log = logging.getLogger(__name__)


def _unreadable(error: OSError) -> None:
    log.warning("skipping folder %s: %s", error.filename, error.strerror)


def _path_from_uri(uri: str) -> Path:
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    return Path(uri)


class LocalSource:
    """Every regular file below a folder, hidden files and folders skipped, sorted."""

    def __init__(self, location: str, exclude: tuple[str, ...] = (),
                 max_bytes: int | None = None) -> None:
        self.path = _path_from_uri(location).expanduser().resolve()
        if not self.path.exists():
            raise SourceError(f"source {location!r} does not exist ({self.path})")
        self.uri = self.path.as_uri()
        self.exclude = tuple(Path(p).resolve() for p in exclude)
        self.max_bytes = max_bytes
        if self.path.is_dir() and any(self.path == e or self.path.is_relative_to(e)
                                      for e in self.exclude):
            raise SourceError(f"source {location!r} is the data directory, or inside it; "
                              "index into a data directory outside the source")

    def list(self) -> Iterator[SourceItem]:
        if self.path.is_file():
            item = self._item(self.path)
            yield from [item] if item else []
            return
        for root, dirs, files in os.walk(self.path, onerror=_unreadable):
            here = Path(root)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and (here / d).resolve() not in self.exclude)
            for name in sorted(files):
                if not name.startswith("."):
                    item = self._item(here / name)
                    if item is not None:
                        yield item

    def _item(self, path: Path) -> SourceItem | None:
        """The item for a regular file; None for anything else or a file gone meanwhile."""
        try:
            stat = path.stat()
        except OSError as exc:
            log.warning("skipping %s: %s", path, exc.strerror)
            return None
        if not S_ISREG(stat.st_mode):
            return None
        return SourceItem(uri=path.as_uri(), name=path.name, size=stat.st_size,
                          mtime=stat.st_mtime)

    def read(self, item: SourceItem) -> bytes:
        with self.open(item) as file:
            return file.read()

    def open(self, item: SourceItem) -> IO[bytes]:
        """The file, open for reading (large files are cracked from disk, not memory)."""
        path = _path_from_uri(item.uri)
        check_size(path.name, path.stat().st_size, self.max_bytes)
        return path.open("rb")
