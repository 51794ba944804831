"""Records as documents: a CSV row, a JSON object or a SQL row that a record source
(``indexers.sources.records``, ``indexers.sources.sql``) made an item of its own.

The bytes are the record JSON of :func:`~indexers.sources.records.encode_payload`
(content type ``application/x-enrich-record+json``; it always starts with
``{"enrich_record":1,``, which is how it is recognised when no content type came
with it). One document, one page:

* ``content``: the ``text_columns`` the source was given, values in that order,
  separated by blank lines; without them, every text column as ``column: value``
  lines (as the CSV cracker writes a row);
* title: a ``title`` or ``name`` column (any case) with text in it, else the item's
  name (``notes.csv#id=7``);
* ``metadata``: ``key`` (the key value, or the position without a key column),
  ``key_column``, ``origin`` (the file or table), ``format`` (csv, jsonl, json,
  sql), ``content_type`` of that format (the ``file_type`` facet says csv, jsonl,
  json or sql), and ``record``: the columns whose values are not the content as
  they are - all of them without ``text_columns``, the others with them - so that a
  skillset can map any column: ``/document/metadata/record/team``.
"""

from __future__ import annotations

import json
from typing import Any

from indexers.sources.records import RECORD_MAGIC, RECORD_TYPE

from .base import Blob, Cracker, CrackError, new_document

__all__ = ["RecordCracker", "FORMAT_TYPES"]

FORMAT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson",
                "json": "application/json", "sql": "application/sql"}
_TITLE_COLUMNS = ("title", "name")


class RecordCracker(Cracker):
    """application/x-enrich-record+json: one document per record."""

    name = "record"
    mime_types = (RECORD_TYPE,)

    def score(self, blob: Blob) -> int:
        if blob.mime_type in self.mime_types:
            return 10
        return 11 if blob.data.startswith(RECORD_MAGIC) else 0  # beats a sniffed NDJSON

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        payload = _payload(blob.data)
        record, chosen = payload["record"], payload.get("text_columns") or None
        key = payload.get("key") or {}
        fmt = payload.get("format")
        text, used = _content(record, chosen)
        doc = new_document(blob, content_type=FORMAT_TYPES.get(fmt, RECORD_TYPE),
                           key=key.get("value"), key_column=key.get("column"),
                           origin=payload.get("origin"), format=fmt,
                           record={k: v for k, v in record.items() if k not in used})
        title = _title(record)
        if title:
            doc["metadata"]["title"] = title
        doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
        return [doc]


def _payload(data: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise CrackError(f"not a record: invalid JSON ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("record"), dict):
        raise CrackError("not a record: expected an object with a 'record' object")
    return payload


def _content(record: dict[str, Any], chosen: list[str] | None) -> tuple[str, set[str]]:
    """The document's text, and the columns whose values it holds as they are."""
    if chosen:
        values = [_text(record.get(name)) for name in chosen]
        return "\n\n".join(v for v in values if v), set(chosen)
    lines = [f"{name}: {value.strip()}" for name, value in record.items()
             if isinstance(value, str) and value.strip()]
    return "\n".join(lines), set()


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return "" if value is None else json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _title(record: dict[str, Any]) -> str | None:
    by_name = {name.lower(): value for name, value in reversed(record.items())}
    for name in _TITLE_COLUMNS:
        value = by_name.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
