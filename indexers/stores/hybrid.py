"""Keyword, vector and hybrid search over any ``SearchIndex``, and "more like this".

``search(index, query, mode=...)``:

* ``keyword``: the index's own BM25 search (``SearchIndex.search``);
* ``vector``: the query is embedded once per vector space the index holds (with the
  model that made those vectors, ``skills.query_encoders``), each space gives its
  best documents by their best chunk (``SearchIndex.vector_search``), and the lists
  are fused;
* ``hybrid``: the keyword list and the vector lists fused by reciprocal-rank fusion
  (RRF, Cormack et al. 2009): a document's score is the sum over the lists of
  ``1 / (RRF_K + rank)``, ranks from 1. RRF needs no score calibration (BM25 and
  cosine live on different scales) and is what Azure AI Search and Elasticsearch use
  for hybrid queries. Fusion runs here, in the same code for every backend, so the
  embedded index and Elasticsearch rank alike (and no Elasticsearch licence tier is
  needed for its ``rrf`` retriever).

The keyword list of a hybrid search leaves out the English stop words of a plain-words
query (``content_words``): a sentence typed as a query matches nearly every document by
its "the" and "of", and fusion would count those matches as evidence.

A result's ``score`` is its fused RRF score, or the cosine of its best chunk when one
vector list alone ranked (a vector search of one space, "more like this").

Each list is fetched ``max(WINDOW, offset + top)`` deep, so any page can be reached.
Filters apply to every list (the vector search only scores documents the filters
keep); facets count the keyword matches (all of them) plus the documents only the
vectors found, and ``count`` is that union's size too (for ``vector``: the documents
fused). The default mode (``None`` or ``auto``) is hybrid when the index holds vectors
and the query is plain words, else keyword: a query that uses the syntax (a field, a
phrase, a wildcard, an operator: ``query_syntax.uses_syntax``) means exactly what it
says, which only the keyword search can honour, and a sort by a field is a keyword
search. In auto mode a vector space whose query model cannot be loaded here is left
out (logged); asked for by name, a vector mode fails instead.

``similar(index, doc_id)`` is "more like this": the document's chunk vectors, averaged
per space, searched like a query, the document itself left out.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from skills.base import SkillUnavailable

from .base import QueryError, SearchIndex, SearchResult
from .query_syntax import uses_syntax

__all__ = ["MODES", "RRF_K", "WINDOW", "SearchModeError", "NoVectorsError", "resolve_mode",
           "search", "similar", "fuse"]

log = logging.getLogger(__name__)

MODES = ("keyword", "vector", "hybrid")
RRF_K = 60  # the constant of the RRF paper, and Azure's and Elasticsearch's default
WINDOW = 50  # each list is fetched at least this deep before fusion

Encoder = Callable[[str, str], Sequence[float]]  # (model id, text) -> query vector
Texts = Callable[[list[str]], Mapping[str, str]]  # chunk ids -> their text


class SearchModeError(QueryError):
    """A search mode that is unknown, or that cannot apply to this query (a sort by a
    field, or no words to embed, with vectors)."""

    code = "E405"


class NoVectorsError(QueryError):
    """A vector search (a vector or hybrid mode, "more like this") where there are no
    vectors: the index was built without the ``chunks`` and ``embeddings`` skills, or
    the document has none."""

    code = "E406"


def resolve_mode(index: SearchIndex, mode: str | None, query: str,
                 sort: str | None = None) -> str:
    """The mode a search runs in (see the module docstring), or a SearchModeError."""
    words = query.strip() not in ("", "*")
    if mode in (None, "", "auto"):
        plain = words and not uses_syntax(query) and sort in (None, "", "relevance")
        return "hybrid" if plain and index.vector_models() else "keyword"
    if mode not in MODES:
        raise SearchModeError(f"unknown search mode {mode!r}: choose {', '.join(MODES)} "
                              "(or leave it out: hybrid when the index has vectors)")
    if mode == "keyword":
        return mode
    if sort not in (None, "", "relevance"):
        raise SearchModeError(f"a {mode} search ranks by similarity; sort by {sort!r} in "
                              "keyword mode (--mode keyword)")
    if not words:
        raise SearchModeError(f"a {mode} search needs words to embed, not {query!r}")
    if not index.vector_models():
        raise NoVectorsError(f"there are no vectors in this index for a {mode} search: "
                             "index with the chunks and embeddings skills (see the "
                             "README, Semantic search), or search with --mode keyword")
    return mode


# Lucene's English stop words (Elasticsearch's ``_english_``): in a sentence typed as a
# query they match nearly every document, so a keyword list of those matches is noise
# that fusion would rank as evidence.
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split())
_PLAIN = re.compile(r"[\w\s'’,.;!?-]+")


def content_words(query: str) -> str:
    """A plain-words query (no syntax) without its stop words, for the keyword list of a
    hybrid search; the query as it is when it uses syntax or has only stop words."""
    if uses_syntax(query) or not _PLAIN.fullmatch(query):
        return query
    words = re.findall(r"[\w'’-]+", query)
    kept = [w for w in words if w.lower() not in STOP_WORDS]
    return " ".join(kept) if kept and len(kept) < len(words) else query


def fuse(lists: Mapping[str, Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of ranked id lists: ``(id, score)``, best first (ties:
    the order in which the lists first gave them)."""
    scores: dict[str, float] = {}
    for ranked in lists.values():
        for rank, doc in enumerate(ranked, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def search(index: SearchIndex, query: str, *, mode: str | None = None,
           encode: Encoder | None = None, texts: Texts | None = None, top: int = 10,
           offset: int = 0, filters: dict[str, list[str]] | None = None,
           facets: Sequence[str] = (), facet_size: int = 10, sort: str | None = None,
           highlight: bool = True, syntax: str = "lenient") -> SearchResult:
    """Search ``index`` in ``mode`` (see the module docstring). ``encode`` embeds the
    query per vector space (default ``skills.query_encoders.encode_query``); ``texts``
    gives the best chunks their text (the store's ``chunk_texts``)."""
    auto = mode in (None, "", "auto")
    mode = resolve_mode(index, mode, query, sort)
    vectors = _query_vectors(index, query, encode or _default_encoder, auto) \
        if mode != "keyword" else {}
    if not vectors:  # keyword asked for, or no query model here (auto)
        found = index.search(query, top=top, offset=offset, filters=filters, facets=facets,
                             facet_size=facet_size, sort=sort, highlight=highlight,
                             syntax=syntax)
        found.mode = "keyword"
        return found
    window = max(WINDOW, offset + top)
    keyword = None
    lists: dict[str, list[dict[str, Any]]] = {}
    if mode == "hybrid":
        keyword = index.search(content_words(query), top=window, filters=filters,
                               facets=facets, facet_size=facet_size, highlight=False,
                               syntax=syntax)  # the page alone is highlighted, below
        lists["keyword"] = keyword.results
    for model, vector in vectors.items():
        lists[model] = index.vector_search(model, vector, k=window, filters=filters)
    return _fused(index, lists, keyword, mode, texts, top, offset, facets, facet_size,
                  words=content_words(query), syntax=syntax, filters=filters,
                  highlight=highlight and keyword is not None)


def _query_vectors(index: SearchIndex, query: str, encode: Encoder,
                   auto: bool) -> dict[str, Sequence[float]]:
    """The query embedded for each vector space; in auto mode a space whose model cannot
    be loaded here is left out (logged), asked for by name it is an error."""
    vectors = {}
    for model in index.vector_models():
        try:
            vectors[model] = encode(model, query)
        except SkillUnavailable as error:
            if not auto:
                raise
            log.warning("vectors of %s left out of the search: %s", model, error)
    return vectors


def similar(index: SearchIndex, doc_id: str, *, texts: Texts | None = None, top: int = 10,
            offset: int = 0, filters: dict[str, list[str]] | None = None,
            facets: Sequence[str] = (), facet_size: int = 10) -> SearchResult:
    """Documents like ``doc_id`` by their vectors (NoVectorsError when it has none)."""
    vectors = index.document_vectors(doc_id)
    if not vectors:
        raise NoVectorsError(f"document {doc_id!r} has no vectors to compare (it is not in "
                             "the index, or was indexed without the embeddings skill)")
    window = max(WINDOW, offset + top)
    lists = {}
    for model, rows in vectors.items():
        mean = np.asarray(rows, dtype=np.float32).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        lists[model] = index.vector_search(model, (mean / (norm or 1.0)).tolist(), k=window,
                                           filters=filters, exclude=[doc_id])
    return _fused(index, lists, None, "vector", texts, top, offset, facets, facet_size)


def _fused(index: SearchIndex, lists: dict[str, list[dict[str, Any]]],
           keyword: SearchResult | None, mode: str, texts: Texts | None, top: int,
           offset: int, facets: Sequence[str], facet_size: int, *, words: str | None = None,
           syntax: str = "lenient", filters: dict[str, list[str]] | None = None,
           highlight: bool = False) -> SearchResult:
    """The fused page, its count and facets. ``words``: the keyword list's query (hybrid),
    to highlight the page with and to tell which vector finds the words match too."""
    fused = fuse({name: [hit["id"] for hit in hits] for name, hits in lists.items()})
    known = {hit["id"]: hit for hit in keyword.results} if keyword else {}
    vector_only = [doc for doc, _ in fused if doc not in known]
    if keyword is not None and vector_only and keyword.count > len(keyword.results):
        # the keyword list was cut at the window: some vector finds match the words too
        also = index.matching(words or "", vector_only, syntax=syntax, filters=filters)
        vector_only = [doc for doc in vector_only if doc not in also]
    page = fused[offset:offset + top]
    ids = [doc for doc, _ in page]
    looked_up = index.lookup(ids, words if highlight else None, syntax) if ids else {}
    results = []
    for doc, score in page:
        hit = looked_up.get(doc)
        if hit is None:  # deleted since the lists answered
            continue
        ranks = {name: rank for name, hits in lists.items()
                 for rank, found in enumerate(hits, start=1) if found["id"] == doc}
        chunk = _best_chunk(lists, ranks, doc)
        if len(lists) == 1 and chunk:  # one vector list: its cosine says more than 1/(k+rank)
            score = chunk["score"]
        results.append({**hit, "score": round(score, 6), "ranks": ranks, "chunk": chunk})
    _add_texts([r["chunk"] for r in results if r["chunk"]], texts)
    if keyword is not None:
        count = keyword.count + len(vector_only)
        counts = _merge(keyword.facets, index.facet_counts(vector_only, facets, facet_size)
                        if vector_only and facets else {}, facet_size)
    else:
        count = len(fused)
        counts = index.facet_counts([doc for doc, _ in fused], facets, facet_size) \
            if facets else {}
    return SearchResult(count, results, {name: counts.get(name, []) for name in facets}, mode)


def _best_chunk(lists: Mapping[str, list[dict[str, Any]]], ranks: Mapping[str, int],
                doc: str) -> dict[str, Any] | None:
    """The chunk of the vector list that ranks ``doc`` highest (cosines of different
    models are not comparable; ranks are)."""
    vector_ranks = [(rank, name) for name, rank in ranks.items() if name != "keyword"]
    if not vector_ranks:
        return None
    _, name = min(vector_ranks)
    hit = lists[name][ranks[name] - 1]
    return {**hit["chunk"], "score": round(float(hit["score"]), 6), "model": name}


def _add_texts(chunks: list[dict[str, Any]], texts: Texts | None) -> None:
    found = texts([chunk["id"] for chunk in chunks]) if texts and chunks else {}
    for chunk in chunks:
        chunk["text"] = found.get(chunk["id"])


def _merge(first: Mapping[str, list[dict[str, Any]]], second: Mapping[str, list[dict[str, Any]]],
           size: int) -> dict[str, list[dict[str, Any]]]:
    """Facet counts of two disjoint document sets, added, most frequent first."""
    out = {}
    for name in set(first) | set(second):
        counts: dict[Any, int] = {}
        for bucket in list(first.get(name, [])) + list(second.get(name, [])):
            counts[bucket["value"]] = counts.get(bucket["value"], 0) + bucket["count"]
        out[name] = [{"value": value, "count": count} for value, count in
                     sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))][:size]
    return out


def _default_encoder(model: str, text: str) -> Sequence[float]:
    from skills.query_encoders import encode_query
    return encode_query(model, text)
