"""``export_store``: the store's tables to one file each, streamed in batches."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from enrich.errors import optional_import
from indexers.stores import DataDir, SqliteStore
from indexers.stores.files import write_atomic
from indexers.stores.sqlite_export import TABLES, Projection, projection

from .errors import ExportTargetError, UnknownFormatError, UnknownTableError
from .writers import WRITERS, TableWriter

__all__ = ["export_store", "check_tables", "check_format", "FORMATS", "TABLES"]

FORMATS = tuple(WRITERS)
IMAGES_DIR = "images"  # under --out, with --image-files
Progress = Callable[[str, int, int], None]  # (table, rows written so far, rows in all)


def check_tables(tables: str | Iterable[str] | None) -> list[str]:
    """The tables named (a comma-separated string or a list; None: all), in
    ``TABLES`` order, or an :class:`UnknownTableError` naming the unknown ones."""
    if tables is None:
        return list(TABLES)
    names = tables.split(",") if isinstance(tables, str) else list(tables)
    names = [name.strip() for name in names if name.strip()]
    unknown = [name for name in names if name not in TABLES]
    if unknown or not names:
        raise UnknownTableError(
            f"--tables {','.join(unknown) or repr('')}: "
            f"{'no such table' if unknown else 'no table named'}; "
            f"the tables are {','.join(TABLES)}")
    return [table for table in TABLES if table in names]


def check_format(name: str) -> str:
    """``name`` if it is one of ``FORMATS``, else an :class:`UnknownFormatError`."""
    if name not in FORMATS:
        raise UnknownFormatError(f"--format {name!r} is not one of {', '.join(FORMATS)}")
    if name == "parquet":
        optional_import("pyarrow", "export", "enrich export --format parquet")
    return name


def check_out(out: str | Path | None) -> Path:
    """The folder ``out`` (created), or an :class:`ExportTargetError` when it is not one."""
    if out is None:
        raise ExportTargetError("missing --out DIR: the folder to write the files to")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ExportTargetError(f"--out {path} is a file; name a folder (it is created if "
                                "missing, and files of the same names in it are replaced)")
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_store(data_dir: str | Path, out: str | Path | None, *, tables: str | Iterable[str] | None = None,
                 format: str = "jsonl", tree: bool = False, image_files: bool = False,
                 batch_rows: int | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Write each of ``tables`` of ``data_dir``'s store to ``out/TABLE.FORMAT``.

    The store is opened read-only and read in one snapshot (an index run may write
    meanwhile; the files agree with each other). ``tree`` adds the documents'
    enrichment trees, ``image_files`` writes every image's bytes to
    ``out/images/DOC/IMAGE.FORMAT``. Returns the summary ``{data_dir, out, format,
    tables: [{table, file, rows, bytes}], images, seconds}``.
    """
    names, format = check_tables(tables), check_format(format)
    data = DataDir(data_dir).require()
    folder = check_out(out)
    started = time.perf_counter()
    with SqliteStore(data.store, read_only=True) as store, store.snapshot():
        found = [projection(store, table, tree=tree, batch_rows=batch_rows,
                            image_data=image_files and table == "images") for table in names]
        if format == "parquet":
            found = [p.typed() for p in found]
        total = sum(p.count() for p in found)
        done, results, images = 0, [], 0
        for p in found:
            path = folder / f"{p.table}.{format}"
            rows, written = _export_table(p, path, WRITERS[format], folder,
                                          lambda n: progress and progress(p.table, done + n, total))
            done += rows
            images += written
            results.append({"table": p.table, "file": str(path), "rows": rows,
                            "bytes": path.stat().st_size})
    return {"data_dir": str(data.root), "out": str(folder), "format": format, "tables": results,
            "images": images, "seconds": round(time.perf_counter() - started, 3)}


def _export_table(p: Projection, path: Path, writer: type[TableWriter], folder: Path,
                  advance: Callable[[int], Any]) -> tuple[int, int]:
    """Stream one projection into ``path``; returns (rows, image files written)."""
    names = [c.name for c in p.columns]
    data = names.index("data") if "data" in names else None
    columns = [c for c in p.columns if c.name != "data"]
    images = 0
    with writer(path, columns) as out:
        for batch in p.batches():
            if data is not None:
                images += _image_files(batch, names, data, folder)
            out.write(batch)
            advance(out.rows)
        out.commit()
        return out.rows, images


def _image_files(batch: list[list[Any]], names: list[str], data: int, folder: Path) -> int:
    """Write the batch's image bytes to files, fill its ``file`` column and take the
    bytes out of it; returns how many files were written."""
    doc_ids, image_ids = batch[names.index("doc_id")], batch[names.index("image_id")]
    formats, files = batch[names.index("format")], batch[names.index("file")]
    written = 0
    for i, blob in enumerate(batch.pop(data)):
        if blob is None:
            continue
        relative = f"{IMAGES_DIR}/{_safe(doc_ids[i])}/{_safe(image_ids[i])}.{_safe(formats[i] or 'bin')}"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, blob)
        files[i], written = relative, written + 1
    return written


def _safe(name: str) -> str:
    """``name`` as one path component: kept when it is plain (letters, digits, ``.-_``,
    not starting with a dot), else its plain characters and a short hash of it."""
    if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}", name):
        return name
    plain = re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:60]
    return f"{plain}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
