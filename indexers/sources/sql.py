"""A SQL table or query as a source: each row is an item (SQLAlchemy 2).

``SqlSource("sqlite:///notes.db", table="notes", key="id", high_water_mark="updated_at")``
or ``query="SELECT ... FROM ..."`` instead of ``table``. Any database SQLAlchemy
reaches works (install its driver: psycopg for PostgreSQL, pymysql, ...).

URIs
----
The source's ``uri`` is the URL without user name, password, driver and query
string - it is stored and shown, so it never carries a secret - and a SQLite file
path made absolute, plus ``#{table}`` or ``#query``: ``sqlite:////data/notes.db#notes``.
A row is ``{uri}/{key}={value}`` with the value URL-quoted
(``sqlite:////data/notes.db#notes/id=7``; the id rule of ``indexers.crackers.rows``).
One query per database and data directory: another query on the same database
replaces the first one's documents.

Change detection
----------------
With ``high_water_mark`` (a column that grows whenever a row changes: an update
time, a row version) listing reads only ``key`` and that column, and ``version``
is the mark (plus a tag of the options, so that other text columns enrich again):
only rows whose mark moved are read. ``mtime`` is the mark when it is a time or a
number, else 0. A row whose mark is NULL keeps its version forever. Without a
high-water mark, listing reads every whole row and ``version`` is the hash of
the record, as for :class:`~indexers.sources.records.RecordSource`. Rows gone from
the listing are deleted by the indexer.

:meth:`SqlSource.read` fetches ``SELECT * ... WHERE key = :value`` and returns the
same record JSON as a record file (:func:`~indexers.crackers.rows.encode_payload`);
a key that matches several rows fails that item (keys must be unique).

Errors: a database that cannot be reached, a missing table or column, bad SQL ->
:class:`SourceError` (the run stops before anything is deleted); a read that hits
a locked database or a dropped connection -> :class:`TransientSourceError`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import quote, unquote

from indexers.crackers.rows import (RECORD_TYPE, encode_payload, record_payload, row_name,
                                    row_uri)
from indexers.sources.base import SourceError, SourceItem, TransientSourceError, check_size
from indexers.sources.records import payload_version, text_columns_option

__all__ = ["SqlSource", "safe_url"]

log = logging.getLogger(__name__)

FETCH = 1000  # rows per fetch while listing


def _sqlalchemy() -> Any:
    try:
        import sqlalchemy
    except ImportError:
        raise SourceError("SQL sources need SQLAlchemy 2: pip install 'sqlalchemy>=2' "
                          "(and the database's driver, e.g. psycopg for PostgreSQL)") from None
    return sqlalchemy


def safe_url(url: Any) -> Any:
    """``url`` (a SQLAlchemy URL) without credentials, driver and query string, and a
    SQLite file path made absolute: what may be stored and shown."""
    database = url.database
    if _sqlite_file(url):
        database = str(Path(database).expanduser().resolve())
    return type(url).create(url.get_backend_name(), host=url.host, port=url.port,
                            database=database)


def _sqlite_file(url: Any) -> bool:
    return (url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            and not url.database.startswith("file:"))


class SqlSource:
    """The rows of a table or query (see the module docstring)."""

    def __init__(self, uri: str, *, table: str | None = None, query: str | None = None,
                 key: str | None = None, high_water_mark: str | None = None,
                 text_columns: Sequence[str] | str | None = None,
                 max_bytes: int | None = None) -> None:
        sa = _sqlalchemy()
        if bool(table) == bool(query):
            raise SourceError("a SQL source needs a table or a query (one of them): "
                              "--table notes, or --query 'SELECT ...'")
        if not key:
            raise SourceError("a SQL source needs a key column that names each row "
                              "uniquely (--key id)")
        self.table, self.query = table, (query or "").strip().rstrip(";").strip() or None
        self.key, self.high_water_mark = key, high_water_mark or None
        self.text_columns = text_columns_option(text_columns)
        self.max_bytes = max_bytes
        self.label = quote(table, safe=".") if table else "query"
        uri = uri.removesuffix(f"#{self.label}")  # a worker opens the source by its uri
        try:
            url = sa.engine.make_url(uri)
        except sa.exc.ArgumentError as exc:
            raise SourceError(f"not a SQLAlchemy URL: {exc}") from None
        self._url, self._password = url, url.password or ""
        if _sqlite_file(url):
            path = Path(url.database).expanduser().resolve()
            if not path.is_file():
                raise SourceError(f"SQLite database {path} does not exist")
            self._url = url.set(database=str(path))
        self.base = safe_url(url).render_as_string(hide_password=False)
        self.uri = f"{self.base}#{self.label}"
        # what else decides a row's document: a new query or other text columns re-read
        self._tag = hashlib.sha256(json.dumps(
            [key, self.text_columns, table, query], default=str).encode()).hexdigest()[:8]
        self._engine: Any = None
        self._key_type: Callable[[str], Any] | None = None

    # -- listing ----------------------------------------------------------------------

    def list(self) -> Iterator[SourceItem]:
        sa = _sqlalchemy()
        try:
            conn = self._connect()
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"cannot connect to {self.base}: {self._reason(exc)}") from None
        with conn:
            try:
                self._check_columns(conn)
                yield from self._rows(conn)
            except sa.exc.SQLAlchemyError as exc:
                raise SourceError(f"cannot list {self.uri}: {self._reason(exc)}") from None

    def _rows(self, conn: Any) -> Iterator[SourceItem]:
        sa = _sqlalchemy()
        if self.high_water_mark:  # the key and the mark only
            names = list(dict.fromkeys([self.key, self.high_water_mark]))
            source = self._from(names)
            stmt = sa.select(*[source.c[name] for name in names])
        else:  # whole rows, to hash them
            source = self._from([self.key])
            stmt = sa.select(sa.literal_column("*")).select_from(source)
        stmt = stmt.order_by(source.c[self.key])
        previous, nulls = object(), 0
        for row in conn.execution_options(yield_per=FETCH).execute(stmt):
            row = row._mapping
            value = row[self.key]
            if value is None:
                nulls += 1
            elif value != previous:  # ordered by key: a repeated key comes next
                yield self._item(value, row)
            previous = value
        if nulls:
            log.warning("%s: %d rows have no %r value and are left out", self.uri, nulls,
                        self.key)

    def _item(self, value: Any, row: Any) -> SourceItem:
        text = _key_text(value)
        uri = row_uri(self.uri, self.key, text, sep="/")
        name = row_name(self.table or "query", self.key, text)
        if self.high_water_mark:
            mark = row[self.high_water_mark]
            return SourceItem(uri=uri, name=name, size=0, mtime=_timestamp(mark),
                              version=f"{_key_text(mark)}|{self._tag}",
                              content_type=RECORD_TYPE)
        version, size = payload_version(self._payload(value, row))
        return SourceItem(uri=uri, name=name, size=size, mtime=0.0, version=version,
                          content_type=RECORD_TYPE)

    def _check_columns(self, conn: Any) -> None:
        sa = _sqlalchemy()
        stmt = sa.select(sa.literal_column("*")).select_from(self._from([])).limit(0)
        columns = list(conn.execute(stmt).keys())
        wanted = [self.key, self.high_water_mark] + (self.text_columns or [])
        missing = [c for c in wanted if c and c not in columns]
        if missing:
            there = ", ".join(map(repr, columns)) or "none"
            raise SourceError(f"{self.uri}: no column {' or '.join(map(repr, missing))}; "
                              f"its columns are {there} (check --key, --high-water-mark "
                              "and --text-column)")

    # -- reading ----------------------------------------------------------------------

    def read(self, item: SourceItem) -> bytes:
        sa = _sqlalchemy()
        prefix = f"{self.uri}/{quote(self.key, safe='')}="
        if not item.uri.startswith(prefix):
            raise SourceError(f"{item.uri} is not a row URI of {self.uri}")
        text = unquote(item.uri[len(prefix):])
        try:
            with self._connect() as conn:
                value = self._key_value(conn, text)
                source = self._from([self.key])
                stmt = (sa.select(sa.literal_column("*")).select_from(source)
                        .where(source.c[self.key] == value).limit(2))
                rows = [row._mapping for row in conn.execute(stmt)]
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError,
                sa.exc.TimeoutError) as exc:
            raise TransientSourceError(f"{item.name}: {self._reason(exc)}") from None
        except sa.exc.SQLAlchemyError as exc:
            if getattr(exc, "connection_invalidated", False):
                raise TransientSourceError(f"{item.name}: {self._reason(exc)}") from None
            raise SourceError(f"{item.name}: {self._reason(exc)}") from None
        if not rows:
            raise TransientSourceError(f"{item.name} is no longer there: the row went "
                                       "since it was listed")
        if len(rows) > 1:
            raise SourceError(f"{self.key}={text} matches several rows of "
                              f"{self.table or 'the query'}; keys must be unique")
        payload = encode_payload(self._payload(rows[0][self.key], rows[0]))
        check_size(item.name, len(payload), self.max_bytes)
        return payload

    def _payload(self, value: Any, row: Any) -> dict[str, Any]:
        record = {name: _jsonable(cell) for name, cell in row.items()}
        record = {name: cell for name, cell in record.items() if cell is not _LEFT_OUT}
        return record_payload("sql", self.uri, self.key, _jsonable(value), record,
                              self.text_columns)

    def _key_value(self, conn: Any, text: str) -> Any:
        """The key as the database has it: the URI holds text, the column may not."""
        if self._key_type is None:
            sa = _sqlalchemy()
            source = self._from([self.key])
            stmt = sa.select(source.c[self.key]).where(source.c[self.key].is_not(None)).limit(1)
            self._key_type = _parser(conn.execute(stmt).scalar())
        try:
            return self._key_type(text)
        except ValueError:
            return text

    # -- plumbing ---------------------------------------------------------------------

    def _from(self, columns: Sequence[str]) -> Any:
        """The table or the query as a FROM clause with ``columns`` declared (quoted
        as needed by SQLAlchemy)."""
        sa = _sqlalchemy()
        declared = [sa.column(name) for name in dict.fromkeys(columns)]
        if self.table:
            schema, _, name = self.table.rpartition(".")
            return sa.table(name, *declared, schema=schema or None)
        return sa.text(self.query).columns(*declared).subquery("q")

    def _connect(self) -> Any:
        if self._engine is None:
            try:
                self._engine = _sqlalchemy().create_engine(self._url)
            except ImportError as exc:  # the database's driver
                raise SourceError(f"cannot connect to {self.base}: {exc}; install the "
                                  "database's driver (psycopg for PostgreSQL, pymysql for "
                                  "MySQL, ...)") from None
        return self._engine.connect()

    def _reason(self, exc: Exception) -> str:
        """The database's own message, first line, never the password."""
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        text = reason[0] if reason else type(exc).__name__
        return text.replace(self._password, "***") if self._password else text

    def close(self) -> None:
        """Close the database connections (the source can still be used after)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


_LEFT_OUT = object()  # a cell that has no place in JSON (binary data)


def _jsonable(value: Any) -> Any:
    """A cell as JSON: times ISO 8601, decimals and UUIDs as text, binary data as UTF-8
    text when it is, else left out."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return _LEFT_OUT
    return value


def _key_text(value: Any) -> str:
    """A key or high-water mark as text that :func:`_parser` reads back."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def _parser(sample: Any) -> Callable[[str], Any]:
    """How to turn key text back into a value of the type ``sample`` has."""
    if isinstance(sample, bool):
        return lambda text: text == "True"
    for kind, parse in ((int, int), (float, float), (decimal.Decimal, decimal.Decimal),
                        (uuid.UUID, uuid.UUID), (dt.datetime, dt.datetime.fromisoformat),
                        (dt.date, dt.date.fromisoformat), (dt.time, dt.time.fromisoformat),
                        ((bytes, bytearray, memoryview), bytes.fromhex)):
        if isinstance(sample, kind):
            return parse
    return str


def _timestamp(mark: Any) -> float:
    """The high-water mark as seconds since the epoch when it is a time (naive times
    are UTC; SQLite keeps times as text) or a number; else 0."""
    if isinstance(mark, str):
        try:
            mark = dt.datetime.fromisoformat(mark.strip())
        except ValueError:
            return 0.0
    if isinstance(mark, dt.datetime):
        return (mark if mark.tzinfo else mark.replace(tzinfo=dt.timezone.utc)).timestamp()
    if isinstance(mark, dt.date):
        return dt.datetime(mark.year, mark.month, mark.day, tzinfo=dt.timezone.utc).timestamp()
    if isinstance(mark, (int, float, decimal.Decimal)) and not isinstance(mark, bool):
        return float(mark)
    return 0.0
