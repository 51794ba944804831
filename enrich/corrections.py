"""People's corrections from the outside: the JSONL file, and correcting a data directory.

A corrections file has one JSON object a line: a header line ``{"format":
"enrich-corrections", "version": 1}`` (optional on import; a file written by an
enrich that speaks another version is refused), then one correction a line in the
shapes of :mod:`graph.corrections` (``{"op": "merge", "entity": "ORG:acme", "into":
"ORG:acme corp"}``), with ``who``, ``at``, ``reason`` and the context fields kept.
Entity keys move between corpora as they are; a name must denote exactly one entity
of the corpus it is imported into.

:func:`read_corrections` reads the whole file first: every bad line is reported (its
number and why) in one :class:`CorrectionsFileError`, and nothing is applied.
:func:`correcting` holds the data directory's write lock, opens its store, and after
the block pushes the documents whose entities changed to the search index; when that
fails, the corrections stay saved (a warning says so) and their documents stay
queued, so the index catches up at the next sync instead of a retry making them twice.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph.corrections import (FORMAT, FORMAT_VERSION, Correction, CorrectionError, parse,
                               to_line)
from indexers.stores import DataDir, Store, open_store, sync_index
from indexers.stores.files import write_atomic

from enrich.errors import EnrichError

__all__ = ["CorrectionsFileError", "read_corrections", "write_corrections", "correcting",
           "local_user",
           "MAX_REPORTED"]

MAX_REPORTED = 20  # bad lines listed in one error

log = logging.getLogger(__name__)


class CorrectionsFileError(EnrichError):
    """A corrections file that cannot be imported: every bad line, or a wrong version."""

    code = "E120"


def _header(item: Any) -> bool:
    return isinstance(item, dict) and "format" in item and "op" not in item


def read_corrections(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """The corrections of a JSONL file with their line numbers, each checked for shape
    (not yet for entities)."""
    path = Path(path)
    items: list[tuple[int, dict[str, Any]]] = []
    bad: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append(f"line {number}: not JSON ({exc.msg} at column {exc.colno})")
                continue
            if _header(item) or (isinstance(item, dict) and "version" in item):
                version = item.get("version")
                if item.get("format", FORMAT) != FORMAT or version != FORMAT_VERSION:
                    raise CorrectionsFileError(
                        f"{path} line {number}: a {item.get('format', FORMAT)!r} file of "
                        f"version {version!r}; this enrich reads {FORMAT!r} version "
                        f"{FORMAT_VERSION}: export it again with this version")
                if _header(item):
                    continue
                item = {k: v for k, v in item.items() if k != "version"}
            try:
                parse(item)
            except CorrectionError as exc:
                bad.append(f"line {number}: {exc}")
                continue
            items.append((number, item))
    if bad:
        more = f" (and {len(bad) - MAX_REPORTED} more)" if len(bad) > MAX_REPORTED else ""
        raise CorrectionsFileError(f"{path}: {len(bad)} bad line(s), nothing imported{more}: "
                                   + "; ".join(bad[:MAX_REPORTED]))
    return items


def write_corrections(path: str | Path, rows: Sequence[dict[str, Any]]) -> int:
    """Write stored corrections (``Store.corrections()`` rows) as a corrections file,
    atomically; returns the corrections written."""
    path = Path(path)
    lines = [json.dumps({"format": FORMAT, "version": FORMAT_VERSION})]
    lines += [json.dumps(to_line(Correction.from_row(row)), ensure_ascii=False)
              for row in rows]
    write_atomic(path, "\n".join(lines) + "\n")
    return len(lines) - 1


def local_user() -> str:
    """Who a correction made on this machine without an API key is by: the login name,
    else the numeric user id (a container may have no name for it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "local"


@contextmanager
def correcting(data_dir: str | Path, index_url: str | None = None) -> Iterator[Store]:
    """The data directory's store, to correct; the search index is brought up to it
    after the block (the documents whose entities changed are queued by then)."""
    with DataDir(data_dir).locked():
        store, index = open_store(data_dir, index_url)
        try:
            yield store
            try:
                sync_index(store, index)
            except (EnrichError, OSError) as exc:  # saved all the same: the queue keeps them
                log.warning("the corrections are saved, but the search index could not be "
                            "brought up to date (%s); it catches up at the next correction "
                            "or `enrich index` run", exc)
        finally:
            index.close()
            store.close()
