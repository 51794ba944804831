"""The files of a vector index folder (``vectors.VectorIndex``): a base and its journal.

A full save writes the HNSW graph (``vectors-<g>.usearch``) and the chunk ids, keys and
metadata (``keys-<g>.npz``); that is the *base* of generation ``g``. Rewriting a graph of
a million vectors for every batch of sixteen documents would make indexing quadratic, so
a commit that changes little appends a *journal* file instead (``journal-<g>.npz``: the
chunk ids removed, then the chunk ids, vectors and metadata added, in that order), and
the manifest lists the base and the journal files to replay on it, oldest first. When
the journal holds more than ``JOURNAL_FRACTION`` of the index (and at least
``JOURNAL_MIN`` entries), the next commit saves a new base instead.

Every file is written to a temporary name, fsynced and renamed before the manifest that
names it, so a crash leaves the previous manifest and its files whole; files no manifest
names are removed by the next commit (the previous manifest's stay one more commit,
for a reader loading at that moment).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .files import replace_atomic

__all__ = ["JOURNAL_FRACTION", "JOURNAL_MIN", "FILES", "save_keys", "read_keys",
           "save_journal", "read_journal", "remove_unlisted", "listed"]

JOURNAL_FRACTION = 0.25
JOURNAL_MIN = 20_000
# Our file names (and the temporary names of files.replace_atomic a killed writer left).
FILES = re.compile(r"^\.?(vectors|keys|journal)-(\d+)\.(usearch|npz)((?:\.\d+)?\.tmp)?$")


def _json_bytes(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value).encode("utf-8"), dtype=np.uint8)


def _json_of(array: np.ndarray) -> Any:
    return json.loads(array.tobytes().decode("utf-8"))


def save_keys(path: Path, keys: np.ndarray, ids: list[str], next_key: int,
              meta: dict[str, dict[str, Any]]) -> None:
    """The base's keys, chunk ids, next key and metadata (metadata as UTF-8 JSON)."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, keys=keys, ids=np.array(ids, dtype=str),
                     next_key=np.int64(next_key), meta=_json_bytes(meta))
    replace_atomic(path, write, sync=True)


def read_keys(path: Path) -> tuple[list[int], list[str], int, dict[str, dict[str, Any]]]:
    with np.load(path, allow_pickle=False) as saved:
        return (saved["keys"].tolist(), saved["ids"].tolist(), int(saved["next_key"]),
                _json_of(saved["meta"]))


def save_journal(path: Path, removed: list[str], added: list[str], vectors: np.ndarray,
                 meta: list[dict[str, Any]]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, removed=np.array(removed, dtype=str),
                     added=np.array(added, dtype=str), vectors=vectors.astype(np.float32),
                     meta=_json_bytes(meta))
    replace_atomic(path, write, sync=True)


def read_journal(path: Path) -> tuple[list[str], list[str], np.ndarray, list[dict[str, Any]]]:
    with np.load(path, allow_pickle=False) as saved:
        return (saved["removed"].tolist(), saved["added"].tolist(), saved["vectors"],
                _json_of(saved["meta"]))


def listed(manifest: dict[str, Any] | None) -> set[str]:
    """The files a manifest names (its base and journal)."""
    if not manifest:
        return set()
    return set((manifest.get("files") or {}).values()) | set(manifest.get("journal") or ())


def remove_unlisted(path: Path, keep: Iterable[str]) -> None:
    """Remove our files (and temporary files) that are not in ``keep``."""
    keep = set(keep)
    for child in path.iterdir():
        match = FILES.match(child.name)
        if match and (child.name not in keep or match.group(4)):
            child.unlink(missing_ok=True)
