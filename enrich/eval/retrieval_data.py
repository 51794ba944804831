"""The BEIR files of ``enrich eval retrieval``: ``corpus.jsonl``, ``queries.jsonl`` and
``qrels.tsv``.

* corpus: one JSON object a line, ``{"_id", "title" (optional), "text"}``;
* queries: one JSON object a line, ``{"_id", "text"}``; a query's group (reported
  apart) is ``metadata.group`` or a top-level ``group``, when it has one;
* qrels: tab-separated ``query-id``, ``corpus-id``, ``score`` (an integer) with a header
  line; a score above 0 marks a relevant document.

Ids are compared as strings. What cannot be read is one :class:`BeirFormatError` naming
the file and the line: a line that is not a JSON object, a missing ``_id`` or ``text``, a
repeated id, an empty query, a qrels row of the wrong shape, or a qrels id that the corpus or the
queries do not hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from enrich.eval.errors import BeirFormatError
from enrich.eval.readers import read_utf8

__all__ = ["BeirDoc", "BeirQuery", "BeirSet", "read_corpus", "read_queries", "read_qrels",
           "read_beir"]


@dataclass(frozen=True)
class BeirDoc:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class BeirQuery:
    id: str
    text: str
    group: str | None = None


@dataclass
class BeirSet:
    """A corpus, its queries and the judgements ``qrels[query id][corpus id] = score``."""

    corpus: list[BeirDoc]
    queries: list[BeirQuery]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)

    def judged_queries(self) -> list[BeirQuery]:
        """The queries with at least one relevant document (the ones scored)."""
        return [q for q in self.queries
                if any(s > 0 for s in self.qrels.get(q.id, {}).values())]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise BeirFormatError(f"no file {path}")
    text = read_utf8(path, BeirFormatError)
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield number, line.rstrip("\r")


def _objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` of each JSON Lines row, with an ``_id`` and a ``text``."""
    for number, line in _lines(path):
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BeirFormatError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise BeirFormatError(f"{where}: a JSON object was expected, not "
                                  f"{type(row).__name__}")
        if row.get("_id") in (None, ""):
            raise BeirFormatError(f'{where}: no "_id" (BEIR rows are {{"_id", "text", ...}})')
        if not isinstance(row.get("text"), str):
            raise BeirFormatError(f'{where}: no "text" string')
        yield where, row


def _unique(seen: set[str], row_id: str, where: str) -> str:
    if row_id in seen:
        raise BeirFormatError(f"{where}: _id {row_id!r} appears twice")
    seen.add(row_id)
    return row_id


def read_corpus(path: str | Path) -> list[BeirDoc]:
    path, seen, docs = Path(path), set(), []
    for where, row in _objects(path):
        title = row.get("title")
        docs.append(BeirDoc(_unique(seen, str(row["_id"]), where),
                            title if isinstance(title, str) else "", row["text"]))
    if not docs:
        raise BeirFormatError(f"{path}: no documents in it")
    return docs


def _group(row: dict[str, Any]) -> str | None:
    meta = row.get("metadata")
    group = meta.get("group") if isinstance(meta, dict) else None
    group = row.get("group") if group is None else group
    return None if group in (None, "") else str(group)


def read_queries(path: str | Path) -> list[BeirQuery]:
    path, seen, queries = Path(path), set(), []
    for where, row in _objects(path):
        if not row["text"].strip():
            raise BeirFormatError(f'{where}: the query "text" is empty')
        queries.append(BeirQuery(_unique(seen, str(row["_id"]), where), row["text"],
                                 _group(row)))
    if not queries:
        raise BeirFormatError(f"{path}: no queries in it")
    return queries


def read_qrels(path: str | Path) -> dict[str, dict[str, tuple[int, int]]]:
    """``{query id: {corpus id: (score, line)}}``; the first line is the header."""
    path, qrels = Path(path), {}
    for i, (number, line) in enumerate(_lines(path)):
        cols = line.split("\t") if "\t" in line else line.split()
        if i == 0 and not _is_int(cols[-1]):
            continue  # the header (query-id, corpus-id, score)
        where = f"{path}, line {number}"
        if len(cols) == 4 and _is_int(cols[3]):  # TREC's query-id, iteration, corpus-id, score
            cols = [cols[0], cols[2], cols[3]]
        if len(cols) != 3 or not _is_int(cols[2]):
            raise BeirFormatError(f"{where}: expected query-id, corpus-id and an integer "
                                  f"score separated by tabs, got {line!r}")
        query, doc = cols[0].strip(), cols[1].strip()
        if doc in qrels.setdefault(query, {}):
            raise BeirFormatError(f"{where}: query {query!r} judges {doc!r} twice")
        qrels[query][doc] = (int(cols[2]), number)
    if not qrels:
        raise BeirFormatError(f"{path}: no judgements in it")
    return qrels


def _is_int(value: str) -> bool:
    try:
        int(value.strip())
    except ValueError:
        return False
    return True


def read_beir(corpus: str | Path, queries: str | Path, qrels: str | Path) -> BeirSet:
    """The three files, checked against each other: every qrels id names a corpus
    document and a query."""
    docs, asked, judged = read_corpus(corpus), read_queries(queries), read_qrels(qrels)
    doc_ids, query_ids = {d.id for d in docs}, {q.id for q in asked}
    out: dict[str, dict[str, int]] = {}
    for query, rows in judged.items():
        for doc, (score, number) in rows.items():
            if query not in query_ids:
                raise BeirFormatError(f"{qrels}, line {number}: query {query!r} is not in "
                                      f"{queries}")
            if doc not in doc_ids:
                raise BeirFormatError(f"{qrels}, line {number}: document {doc!r} is not in "
                                      f"{corpus}")
            out.setdefault(query, {})[doc] = score
    return BeirSet(docs, asked, out)
