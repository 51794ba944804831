"""Record items as documents: a CSV row, a JSON object or a SQL row that a record source
(``indexers.sources.records``, ``indexers.sources.sql``) made an item of its own.

The bytes are a record payload (:func:`~.rows.encode_payload`; content type
``application/x-enrich-record+json``; it always starts with ``{"enrich_record":1,``,
which is how it is recognised when no content type came with it). One document, made
by :func:`~.rows.row_document` as the rows of a cracked file are, so a row looks the
same by either route (see :mod:`.rows`); its URI is the item's.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Blob, Cracker, CrackError
from .rows import RECORD_MAGIC, RECORD_TYPE, row_document, row_name

__all__ = ["RecordCracker"]


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
        key = payload.get("key") or {}
        column, value = key.get("column"), key.get("value")
        return [row_document(blob, payload["record"], fmt=payload.get("format"),
                             origin=payload.get("origin"), key=(column, value),
                             text_columns=payload.get("text_columns") or None, uri=blob.uri,
                             file_name=_file_name(blob.name, column, value))]


def _payload(data: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise CrackError(f"not a record: invalid JSON ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("record"), dict):
        raise CrackError("not a record: expected an object with a 'record' object")
    return payload


def _file_name(item_name: str, column: Any, value: Any) -> str:
    """The file's (or table's) name in an item name made by :func:`~.rows.row_name`."""
    suffix = row_name("", column, value)
    return item_name[: -len(suffix)] if item_name.endswith(suffix) and \
        len(item_name) > len(suffix) else item_name
