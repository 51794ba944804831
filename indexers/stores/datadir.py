"""The data directory: where one corpus's store, search index and cache live.

The layout is named here and nowhere else::

    enrich-data/
        enrich.sqlite      the store of record (``DataDir.store``)
        index/             the embedded search index (``DataDir.index``)
        cache/             the enrichment cache (``DataDir.cache``)

Everything that opens a corpus (the indexer, ``enrich search``, ``enrich status``,
the graph, the server, the benchmarks) takes a :class:`DataDir` or a path it turns
into one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enrich.errors import DataDirError

__all__ = ["DataDir"]


@dataclass(frozen=True)
class DataDir:
    """One corpus's data directory. ``DataDir("enrich-data").store`` is its store file."""

    root: Path

    STORE_FILE = "enrich.sqlite"
    INDEX_DIR = "index"
    CACHE_DIR = "cache"

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
