"""One writer per format: fed batches of columns, writing each batch as it comes.

Every writer writes to a hidden temporary file next to its target
(``.entities.jsonl.XXXX.tmp``) and renames it to the target only when
:meth:`TableWriter.commit` runs after the last batch, so an export that fails (or is
killed) never leaves a half file under the table's name; a failed export removes its
temporary file, and a file from an earlier export stays as it was.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from pathlib import Path
from typing import IO, Any, Callable

from enrich.errors import optional_import
from indexers.stores.sqlite_export import Column

__all__ = ["TableWriter", "JsonlWriter", "CsvWriter", "ParquetWriter", "WRITERS", "arrow_schema"]

Batch = list[list[Any]]  # one list of values per column


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class TableWriter:
    """Writes one table's file: ``write(batch)`` per batch, then ``commit()`` (or
    ``abort()``); a context manager that aborts on an exception."""

    binary = False

    def __init__(self, path: Path, columns: list[Column]) -> None:
        self.path, self.columns, self.rows = path, columns, 0
        self.temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        handle = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
        self.file: IO[Any] = (os.fdopen(handle, "wb") if self.binary else
                              os.fdopen(handle, "w", encoding="utf-8", newline=""))
        try:
            self.open()
        except BaseException:
            self.file.close()
            self.temp.unlink(missing_ok=True)
            raise

    def open(self) -> None:
        """Write what comes before the rows (a header)."""

    def write(self, batch: Batch) -> None:
        self.rows += len(batch[0]) if batch else 0
        self.write_batch(batch)

    def write_batch(self, batch: Batch) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Write what comes after the rows (a footer)."""

    def commit(self) -> Path:
        """Finish the file and give it its name (replacing an older one)."""
        self.finish()
        self.file.close()
        os.replace(self.temp, self.path)
        return self.path

    def abort(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:
            self.abort()


class JsonlWriter(TableWriter):
    """One JSON object a line; JSON columns nested, NULL as ``null``."""

    def write_batch(self, batch: Batch) -> None:
        names = [c.name for c in self.columns]
        self.file.writelines(_dumps(dict(zip(names, row))) + "\n" for row in zip(*batch))


def _csv_cell(column: Column) -> Callable[[Any], Any] | None:
    if column.type == "bool":
        return lambda v: "" if v is None else ("true" if v else "false")
    if column.decoded:
        return lambda v: "" if v is None else _dumps(v)
    return None


class CsvWriter(TableWriter):
    """RFC 4180 CSV with a header row; JSON columns as JSON text, flags as
    ``true``/``false``, NULL as an empty cell."""

    def open(self) -> None:
        self.csv = csv.writer(self.file)
        self.csv.writerow([c.name for c in self.columns])
        self.cells = [(i, cell) for i, c in enumerate(self.columns) if (cell := _csv_cell(c))]

    def write_batch(self, batch: Batch) -> None:
        batch = list(batch)
        for i, cell in self.cells:
            batch[i] = [cell(v) for v in batch[i]]
        self.csv.writerows(zip(*batch))


_ARROW_SCALARS = {"string": "string", "int64": "int64", "float64": "float64", "bool": "bool_",
                  "bytes": "binary"}


def _arrow_type(pa: Any, column: Column) -> Any:
    kind = column.type
    if kind.startswith("list<"):
        return pa.list_(_arrow_type(pa, Column("item", kind[5:-1], fields=column.fields)))
    if kind == "object" and column.fields:
        return pa.struct([pa.field(f.name, _arrow_type(pa, f)) for f in column.fields])
    if kind in ("object", "json"):  # no fixed shape: JSON text
        return pa.string()
    return getattr(pa, _ARROW_SCALARS[kind])()


def arrow_schema(columns: list[Column]) -> Any:
    """The Arrow schema of a projection's columns (``object`` columns typed first)."""
    pa = optional_import("pyarrow", "export", "enrich export --format parquet")
    return pa.schema([pa.field(c.name, _arrow_type(pa, c)) for c in columns])


def _arrow_value(column: Column) -> Callable[[Any], Any] | None:
    """How a decoded value becomes what its Arrow type takes (None: as it is)."""
    kind = column.type
    if kind == "object" and column.fields:
        keys = [(f.name, _arrow_value(f)) for f in column.fields]
        return lambda v: ({name: (v.get(name) if conv is None or v.get(name) is None
                                  else conv(v[name])) for name, conv in keys}
                          if isinstance(v, dict) else None)
    if kind in ("object", "json"):
        return _dumps
    if kind == "list<object>":
        item = _arrow_value(Column("item", "object", fields=column.fields))
        return lambda v: [item(x) for x in v]
    return None


class ParquetWriter(TableWriter):
    """Parquet (zstd) with one fixed schema per table: each batch is one row group."""

    binary = True

    def open(self) -> None:
        pq = optional_import("pyarrow.parquet", "export", "enrich export --format parquet")
        self.pa = optional_import("pyarrow", "export", "enrich export --format parquet")
        self.schema = arrow_schema(self.columns)
        self.converters = [_arrow_value(c) for c in self.columns]
        self.parquet = pq.ParquetWriter(self.file, self.schema, compression="zstd")

    def write_batch(self, batch: Batch) -> None:
        arrays = [self.pa.array(values if conv is None else
                                [None if v is None else conv(v) for v in values], type=f.type)
                  for values, conv, f in zip(batch, self.converters, self.schema)]
        self.parquet.write_batch(self.pa.RecordBatch.from_arrays(arrays, schema=self.schema))

    def finish(self) -> None:
        self.parquet.close()

    def abort(self) -> None:
        try:
            self.parquet.close()
        except Exception:  # a writer that failed mid-batch may not close cleanly
            pass
        super().abort()


WRITERS: dict[str, type[TableWriter]] = {"jsonl": JsonlWriter, "parquet": ParquetWriter,
                                         "csv": CsvWriter}
