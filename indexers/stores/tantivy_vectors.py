"""The embedded index's vector methods and document lookups (``SearchIndex``), mixed
into ``TantivyIndex``: the vectors are in its ``VectorSpaces``, the filters and stored
fields in tantivy."""

from __future__ import annotations

from typing import Any, Sequence

import tantivy

from .base import TEXT_FIELDS, check_search
from .tantivy_docs import count_facets, snippet_generator, to_hit
from .tantivy_query import parse_query

__all__ = ["TantivyVectorMethods", "FILTER_FETCH", "EXACT_FILTER_DOCUMENTS"]

FILTER_FETCH = 4096  # chunks a filtered vector search looks through before going exact
EXACT_FILTER_DOCUMENTS = 100_000  # a filter keeping at most this many is scored exactly


class TantivyVectorMethods:
    """``vector_models``, ``vector_search``, ``document_vectors``, ``facet_counts``,
    ``lookup`` and ``matching`` of ``TantivyIndex`` (which has ``_live``, ``_spaces``,
    ``fields`` and ``_filtered``)."""

    def vector_models(self) -> dict[str, int]:
        return self._spaces.models()

    def vector_search(self, model: str, vector: Sequence[float], *, k: int = 10,
                      filters: dict[str, list[str]] | None = None,
                      exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
        """See ``SearchIndex.vector_search``. A filter first post-filters the nearest
        chunks (the filter query on those documents alone: cheap whatever the corpus);
        when fewer than ``k`` pass within ``FILTER_FETCH`` chunks (a narrow filter), the
        documents it keeps are scored exactly instead."""
        check_search(filters, (), None, self.fields)
        if not any(filters.values() if filters else ()):
            return self._spaces.search(model, vector, k, exclude=exclude)
        kept = self._filtered(tantivy.Query.all_query(), filters)
        hits = self._spaces.search(
            model, vector, k, exclude=exclude, max_fetch=FILTER_FETCH,
            keep=lambda docs: set(self._ids(self._and_ids(kept, docs), len(docs))))
        if len(hits) >= k:
            return hits
        searcher = self._live.searcher()
        if searcher.search(kept, limit=1, count=True).count > EXACT_FILTER_DOCUMENTS:
            return hits
        allowed = set(self._ids(kept, searcher.num_docs))
        return self._spaces.search(model, vector, k, documents=allowed, exclude=exclude)

    def document_vectors(self, doc_id: str) -> dict[str, list[list[float]]]:
        return self._spaces.document_vectors(doc_id)

    def facet_counts(self, ids: Sequence[str], facets: Sequence[str],
                     facet_size: int = 10) -> dict[str, list[dict[str, Any]]]:
        check_search(None, facets, None, self.fields)
        return count_facets(self._live.searcher(), self._id_query(ids), facets, facet_size,
                            self.fields)

    def lookup(self, ids: Sequence[str], query: str | None = None,
               syntax: str = "lenient") -> dict[str, dict[str, Any]]:
        """The hits (no score) of the documents ``ids`` that are here; with a ``query``,
        each with the highlights of that query in it (none where it does not match)."""
        searcher = self._live.searcher()
        found = searcher.search(self._id_query(ids), limit=max(len(ids), 1))
        snippets = None
        if query and query.strip() not in ("", "*"):
            snippets = snippet_generator(searcher, self._parsed(query, syntax),
                                         self._live.schema)
        hits = (to_hit(searcher.doc(address), None, snippets) for _, address in found.hits)
        return {hit["id"]: hit for hit in hits}

    def matching(self, query: str, ids: Sequence[str], *, syntax: str = "lenient",
                 filters: dict[str, list[str]] | None = None) -> set[str]:
        """Which of the documents ``ids`` the query (and the filters) match."""
        if not ids:
            return set()
        matched = self._filtered(self._and_ids(self._parsed(query, syntax), ids),
                                 filters or {})
        return set(self._ids(matched, len(ids)))

    def _parsed(self, query: str, syntax: str) -> tantivy.Query:
        searched = TEXT_FIELDS + tuple(s.name for s in self.fields if s.searchable)
        return parse_query(self._live, query, syntax, searched, [s.name for s in self.fields])

    def _id_query(self, ids: Sequence[str]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self._live.schema, "id", [str(i) for i in ids])

    def _and_ids(self, query: tantivy.Query, ids: Sequence[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, query),
            (tantivy.Occur.Must, tantivy.Query.const_score_query(self._id_query(ids), 0.0))])

    def _ids(self, query: tantivy.Query, limit: int) -> list[str]:
        searcher = self._live.searcher()
        found = searcher.search(query, limit=max(limit, 1))
        return [searcher.doc(address).get_first("id") for _, address in found.hits]
