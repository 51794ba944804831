"""Tantivy documents and what searches give back: index fields to a tantivy document,
a stored document to a hit (with highlighted fragments), facet counts."""

from __future__ import annotations

import logging
from typing import Any, Sequence

import tantivy

from .base import INDEX_FIELDS, KEYWORD_FIELDS, TEXT_FIELDS, StoreError
from .fields import FieldSpec, facet_value
from .tantivy_fields import add_values

__all__ = ["to_document", "to_hit", "count_facets", "snippet_generator", "SNIPPET_CHARS"]

log = logging.getLogger(__name__)

SNIPPET_CHARS = 200  # the longest highlighted fragment


def snippet_generator(searcher: tantivy.Searcher, query: tantivy.Query,
                      schema: tantivy.Schema) -> tantivy.SnippetGenerator:
    """The highlighter of ``query``'s matches in ``content`` (``to_hit``'s fragments)."""
    snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "content")
    snippets.set_max_num_chars(SNIPPET_CHARS)
    return snippets

def to_document(fields: dict[str, Any], user: Sequence[FieldSpec] = ()) -> tantivy.Document:
    """A tantivy document from index fields (lists join or fan out; unknown keys skipped)."""
    if not fields.get("id"):
        raise StoreError(f"an index document needs an 'id'; got the fields {sorted(fields)}")
    doc = tantivy.Document()
    doc.add_text("id", str(fields["id"]))
    for name in TEXT_FIELDS:
        value = fields.get(name)
        if isinstance(value, (list, tuple)):
            value = "\n\n".join(str(v) for v in value if v)
        if value:
            doc.add_text(name, str(value))
    for name in KEYWORD_FIELDS:
        for value in _keywords(fields.get(name)):
            doc.add_text(name, value)
    for spec in user:
        if fields.get(spec.name) not in (None, "", []):
            add_values(doc, spec, fields[spec.name])
    extra = set(fields) - set(INDEX_FIELDS) - {spec.name for spec in user}
    if extra:
        log.debug("index fields %s of %s are not in the index schema", extra, fields["id"])
    return doc


def _keywords(value: Any) -> list[str]:
    values = value if isinstance(value, (list, tuple, set)) else [value]
    return list(dict.fromkeys(str(v) for v in values if v not in (None, "")))


def to_hit(doc: tantivy.Document, score: float | None,
         snippets: tantivy.SnippetGenerator | None) -> dict[str, Any]:
    return {"id": doc.get_first("id"), "uri": doc.get_first("uri"),
            "title": doc.get_first("title") or "", "score": score,
            "highlights": _highlights(doc.get_first("content") or "", snippets)
            if snippets else []}


def _highlights(content: str, snippets: tantivy.SnippetGenerator) -> list[str]:
    """The best matching fragment, and the best one in the rest of the text."""
    best = snippets.snippet_from_doc(tantivy.Document(content=content))
    if not best.highlighted():
        return []
    found = [best.to_html()]
    at = content.find(best.fragment())
    if at < 0:
        return found
    for rest in (content[at + len(best.fragment()):], content[:at]):
        second = snippets.snippet_from_doc(tantivy.Document(content=rest)) if rest else None
        if second is not None and second.highlighted():
            found.append(second.to_html())
            break
    return found


def count_facets(searcher: tantivy.Searcher, query: tantivy.Query, names: Sequence[str],
            size: int, user: Sequence[FieldSpec] = ()) -> dict[str, list[dict[str, Any]]]:
    """``{field: [{value, count}]}``, most frequent first, over all matches."""
    if not names or size <= 0:
        return {name: [] for name in names}
    request = {name: {"terms": {"field": name, "size": size}} for name in names}
    result = searcher.aggregate(query, request)
    specs = {spec.name: spec for spec in user}

    def value(name: str, bucket: dict[str, Any]) -> Any:
        return facet_value(specs[name], bucket) if name in specs else bucket["key"]
    return {name: sorted(({"value": value(name, b), "count": b["doc_count"]}
                          for b in result[name]["buckets"]),
                         key=lambda bucket: (-bucket["count"], bucket["value"]))
            for name in names}
