"""The data directory: where one corpus's store, search index and cache live.

The layout is named here and nowhere else::

    enrich-data/
        enrich.sqlite      the store of record (``DataDir.store``)
        index/             the embedded search index (``DataDir.index``), its chunk
                           vectors in index/vectors/ (``vector_spaces``)
        cache/             the enrichment cache (``DataDir.cache``)
        enrich.lock        held by the one process writing here (``DataDir.lock``)

Everything that opens a corpus (the indexer, ``enrich search``, ``enrich status``,
the graph, the server, the benchmarks) takes a :class:`DataDir` or a path it turns
into one.

One process at a time writes a data directory: an indexing run and
``enrich index --rebuild-index`` hold ``DataDir.locked()`` from start to end (an OS
lock, so a killed process never leaves it held). The lock file stays; it holds the
holder's pid while held, for the message a second writer gets.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from enrich.errors import DataDirError

__all__ = ["DataDir", "DataDirBusyError"]


class DataDirBusyError(DataDirError):
    """Another process is writing to the data directory (it holds ``DataDir.lock``)."""

    code = "E004"


@dataclass(frozen=True)
class DataDir:
    """One corpus's data directory. ``DataDir("enrich-data").store`` is its store file."""

    root: Path

    STORE_FILE = "enrich.sqlite"
    INDEX_DIR = "index"
    CACHE_DIR = "cache"
    LOCK_FILE = "enrich.lock"

    def __init__(self, root: str | Path | DataDir) -> None:
        object.__setattr__(self, "root", Path(root.root if isinstance(root, DataDir) else root))

    @property
    def store(self) -> Path:
        """The SQLite store of record."""
        return self.root / self.STORE_FILE

    @property
    def index(self) -> Path:
        """The folder of the embedded (tantivy) search index."""
        return self.root / self.INDEX_DIR

    @property
    def cache(self) -> Path:
        """The folder of the enrichment cache."""
        return self.root / self.CACHE_DIR

    @property
    def lock(self) -> Path:
        """The lock file the one writing process holds (see ``locked``)."""
        return self.root / self.LOCK_FILE

    @contextmanager
    def locked(self) -> Iterator[DataDir]:
        """Hold this data directory's write lock for the block (creating the folder):
        a :class:`DataDirBusyError` at once, naming the holder's pid, when another
        process holds it. ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows;
        released when the block ends or the process dies."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock, "a+", encoding="ascii")
        try:
            if not _try_lock(handle):
                handle.seek(0)
                pid = handle.read(20).strip()
                raise DataDirBusyError(
                    f"{self.root} is being written by another enrich process"
                    + (f" (pid {pid})" if pid.isdigit() else "") + ": one run at a time "
                    "writes a data directory; wait for it to finish, or use another --data")
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            try:
                yield self
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                _unlock(handle)
        finally:
            handle.close()

    def exists(self) -> bool:
        """Whether a store has been created here."""
        return self.store.is_file()

    def require(self) -> DataDir:
        """This data directory, or a :class:`DataDirError` when it holds no store."""
        if not self.exists():
            raise DataDirError(f"no index in {self.root}: run `enrich index SOURCE --data "
                               f"{self.root}` first")
        return self

    def __fspath__(self) -> str:
        return str(self.root)

    def __str__(self) -> str:
        return str(self.root)


def _try_lock(handle: IO[str]) -> bool:
    """Take the lock on ``handle``'s file without waiting; False if another holds it."""
    if sys.platform == "win32":
        import msvcrt
        handle.seek(0)
        try:  # the first byte; a pid written there is then unreadable to others
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
