"""The JSON API: search, suggest, documents, runs (see ``API.md``; the graph's
routes are in ``graph_routes``, on their own router).

Handlers are plain ``def`` functions: FastAPI runs them in its thread pool, where
each thread reads through its own connections (:class:`~enrich.server.corpus.Corpus`).
Parameters are bounded here (``Query(le=...)``), and every error is an ``ApiError``.
"""

from __future__ import annotations

import math
import mimetypes
from typing import Annotated, Any, Callable, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import StringConstraints
from fastapi.responses import FileResponse, JSONResponse, Response

from indexers.stores import KEYWORD_FIELDS, SORT_FIELDS, QueryError, check_search
from indexers.stores.hybrid import MODES, NoVectorsError, SearchModeError
from indexers.stores.vectors import VectorDimensionError
from indexers.stores.query_syntax import SYNTAXES

from enrich.records import TYPE_FIELDS

from .corpus import Corpus
from .errors import ApiError

__all__ = ["router", "LIMITS"]

router = APIRouter(prefix="/api")

LIMITS = {"query": 1000, "top": 100, "skip": 10_000, "facets": 10, "facet_size": 100,
          "filters": 20, "filter_value": 500, "graph_limit": 200, "radius": 2, "ego_reach": 200,
          "matches": 500, "list_values": 10, "view_nodes": 2000, "view_edges": 25_000,
          "view_matches": 2000, "hops": 6}

DOC_ID = r"^[A-Za-z0-9_-]{1,128}$"
IMAGE_ID = r"^[A-Za-z0-9_.-]{1,64}$"
RUN_ID = r"^[A-Za-z0-9_.:-]{1,64}$"
INLINE = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp",
          "text/plain", "text/csv", "text/markdown")

FIELD = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
# A facet or sort names a keyword field or one of the index's user fields (a skillset's
# typed ``fields:``): the shape is checked here, the name against the index (_check).
FieldName = Annotated[str, StringConstraints(pattern=FIELD)]
Facets = Annotated[list[FieldName], Query(
    max_length=LIMITS["facets"],
    description=f"Count values of this field: {', '.join(KEYWORD_FIELDS)}, or a facetable "
                "field of the skillset's fields:; repeatable.")]
Sort = Annotated[str, Query(
    pattern=r"^(relevance|-?[A-Za-z_][A-Za-z0-9_]{0,63})$",
    description=f"relevance, or a sortable field ({', '.join(SORT_FIELDS)}, or one of the "
                "skillset's fields:); -FIELD descending.")]
DocId = Annotated[str, Path(pattern=DOC_ID, description="A document id.")]
ImageId = Annotated[str, Path(pattern=IMAGE_ID, description="An image id in the document.")]
SearchText = Annotated[str, Query(max_length=LIMITS["query"],
                                  description='The query: words, "phrases", AND/OR/NOT, '
                                              "field:value, prefix*; empty or * for all.")]
Syntax = Annotated[Literal[SYNTAXES], Query(  # type: ignore[valid-type]
    description="lenient (default): what is not valid syntax is searched as words; "
                "strict: such a query is a 400 bad_query saying where.")]
Mode = Annotated[Literal[("auto",) + MODES], Query(  # type: ignore[valid-type]
    description="keyword: the words (BM25); vector: the meaning (the query embedded like "
                "the chunks); hybrid: both fused by reciprocal rank; auto (default): "
                "hybrid when the index holds vectors and the query has words, else keyword. "
                "Vector and hybrid results carry their best `chunk` (page, text).")]
Filters = Annotated[list[str], Query(max_length=LIMITS["filters"],
                                     description="FIELD:VALUE; repeatable.")]
Kind = Annotated[str | None, Query(max_length=100,
                                   description="Entity types, comma-separated (PERSON,ORG).")]


def corpus(request: Request) -> Corpus:
    return request.app.state.corpus


Data = Annotated[Corpus, Depends(corpus)]


# --- search ------------------------------------------------------------------------

def _check(data: Corpus, facets: list[str], sort: str) -> None:
    """A facet or sort on a field the index does not have is a 400 saying which it has."""
    fields = data.user_fields()
    for parameter, check in (("facet", lambda: check_search(None, facets, None, fields)),
                             ("sort", lambda: check_search(None, (), sort, fields))):
        try:
            check()
        except QueryError as exc:
            raise ApiError(400, "invalid_parameter", str(exc), parameter=parameter,
                           reason="unknown field") from None


def _filters(values: list[str], data: Corpus | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    fields = data.user_fields() if data is not None and values else ()
    for value in values:
        name, sep, wanted = value.partition(":")
        if not sep or not wanted:
            raise ApiError(400, "invalid_parameter",
                           f"filter {value[:100]!r}: expected FIELD:VALUE with FIELD one of "
                           f"{', '.join(KEYWORD_FIELDS)}", parameter="filter",
                           reason="expected FIELD:VALUE")
        try:
            check_search(filters={name: []}, fields=fields)
        except QueryError as exc:
            raise ApiError(400, "invalid_parameter", f"filter {value[:100]!r}: {exc}",
                           parameter="filter", reason="expected FIELD:VALUE") from None
        if len(wanted) > LIMITS["filter_value"]:
            raise ApiError(400, "invalid_parameter", f"filter value longer than "
                           f"{LIMITS['filter_value']} characters", parameter="filter",
                           reason="too long")
        out.setdefault(name, []).append(wanted)
    return out


def _search(data: Corpus, q: str, filters: list[str], **options: Any):
    try:
        return data.search(q, filters=_filters(filters, data), **options)
    except SearchModeError as exc:
        raise ApiError(400, "invalid_parameter", str(exc), parameter="mode",
                       reason="not for this query") from None
    except NoVectorsError as exc:
        raise ApiError(400, "no_vectors", str(exc), parameter="mode") from None
    except (QueryError, VectorDimensionError) as exc:
        raise ApiError(400, "bad_query", str(exc), parameter="q",
                       position=getattr(exc, "position", None)) from None


def _thumbnail(doc_id: str, summary: dict[str, Any]) -> str | None:
    if summary.get("image"):
        return f"/api/documents/{doc_id}/images/{summary['image']}/thumbnail"
    if summary.get("content_type") == "application/pdf":
        return f"/api/documents/{doc_id}/pages/1/image?width=200"
    return None


@router.get("/search", summary="Full-text search with filters, facets, highlights and paging")
def search(data: Data, q: SearchText = "", filter: Filters = [],  # noqa: B006
           facet: Facets = [],  # noqa: B006
           facet_size: Annotated[int, Query(ge=1, le=LIMITS["facet_size"])] = 10,
           top: Annotated[int, Query(ge=0, le=LIMITS["top"])] = 10,
           skip: Annotated[int, Query(ge=0, le=LIMITS["skip"])] = 0,
           sort: Sort = "relevance", syntax: Syntax = "lenient",
           mode: Mode = "auto") -> Response:
    def answer() -> dict[str, Any]:
        _check(data, facet, sort)
        found = _search(data, q, filter, top=top, offset=skip,
                        facets=list(dict.fromkeys(facet)), facet_size=facet_size,
                        sort=None if sort == "relevance" else sort, syntax=syntax,
                        mode=None if mode == "auto" else mode)
        return _results(data, found, {"query": q, "skip": skip, "top": top, "sort": sort})
    return _remembered(data, ("search", q, filter, facet, facet_size, top, skip, sort, syntax,
                              mode), answer, index=True, clean=False)  # plain already


@router.get("/documents/{doc_id}/similar",
            summary="More like this: documents nearest in meaning (their chunk vectors)")
def similar(data: Data, doc_id: DocId, filter: Filters = [],  # noqa: B006
            facet: Facets = [],  # noqa: B006
            facet_size: Annotated[int, Query(ge=1, le=LIMITS["facet_size"])] = 10,
            top: Annotated[int, Query(ge=0, le=LIMITS["top"])] = 10,
            skip: Annotated[int, Query(ge=0, le=LIMITS["skip"])] = 0) -> Response:
    def answer() -> dict[str, Any]:
        _check(data, facet, "relevance")
        try:
            found = data.similar(doc_id, filters=_filters(filter, data), top=top, offset=skip,
                                 facets=list(dict.fromkeys(facet)), facet_size=facet_size)
        except NoVectorsError as exc:
            raise ApiError(404, "no_vectors", str(exc)) from None
        return _results(data, found, {"document": doc_id, "skip": skip, "top": top})
    return _remembered(data, ("similar", doc_id, filter, facet, facet_size, top, skip), answer,
                       index=True, clean=False)  # plain already


def _results(data: Corpus, found: Any, head: dict[str, Any]) -> dict[str, Any]:
    """A page of search results with what the result list shows of each document."""
    store = data.store()
    with store.snapshot():
        summaries = store.summaries([hit["id"] for hit in found.results])
    cap = LIMITS["list_values"]
    results = []
    for hit in found.results:
        summary = summaries.get(hit["id"], {})
        fields = summary.get("fields", {})
        results.append({
            **hit, "content_type": summary.get("content_type"),
            "file_type": fields.get("file_type"),
            **{name: _as_list(fields.get(name))[:cap] for name in
               ("language", "people", "organizations", "locations", "keyphrases", "tags",
                "labels")},
            "thumbnail": _thumbnail(hit["id"], summary)})
    return {**head, "count": found.count, "mode": found.mode, "vectors": data.has_vectors(),
            "results": results, "facets": found.facets}


def _as_list(value: Any) -> list:
    return [] if value in (None, "") else list(value) if isinstance(value, (list, tuple)) \
        else [value]


@router.get("/suggest", summary="Entity names for autocomplete")
def suggest(data: Data, q: Annotated[str, Query(max_length=200)] = "", kind: Kind = None,
            limit: Annotated[int, Query(ge=1, le=50)] = 8) -> Response:
    if not q.strip():
        return _json({"query": q, "suggestions": []})

    def answer() -> dict[str, Any]:
        frame = data.graph().entities(q, kind=kind, limit=limit)
        return {"query": q, "suggestions": [
            {**row, "field": TYPE_FIELDS.get(row["type"], "entities")}
            for row in frame.to_dict("records")]}
    return _remembered(data, ("suggest", q, kind, limit), answer)


# --- documents ---------------------------------------------------------------------

def _image_view(doc_id: str, image: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    caption = node.get("caption")
    ocr = node.get("ocr")
    base = f"/api/documents/{doc_id}/images/{image['id']}"
    return {**{k: image[k] for k in ("id", "page", "kind", "width", "height", "format",
                                     "bbox")},
            "caption": caption.get("text") if isinstance(caption, dict) else caption,
            "tags": node.get("tags") or [], "labels": node.get("labels") or [],
            "text": ocr.get("text") if isinstance(ocr, dict) else ocr,
            "url": base if image.get("size") else None,
            "thumbnail": f"{base}/thumbnail" if image.get("size") else None}


@router.get("/documents/{doc_id}", summary="A document's enriched tree")
def document(data: Data, doc_id: DocId,
             tree: Annotated[bool, Query(description="Include the whole enrichment tree.")] = False
             ) -> Response:
    return _remembered(data, ("document", doc_id, tree), lambda: _document(data, doc_id, tree))


def _document(data: Corpus, doc_id: str, tree: bool) -> dict[str, Any]:
    doc = data.document(doc_id)
    nodes = {node.get("id"): node for node in doc["tree"].get("images", [])}
    is_pdf = doc.get("content_type") == "application/pdf"
    fields = {k: v for k, v in doc["fields"].items() if k not in ("title", "content", "uri")}
    out = {k: doc[k] for k in ("id", "uri", "source_uri", "title", "status", "content_type",
                               "metadata", "warnings")}
    out.update(
        file_type=fields.get("file_type"), fields=fields, file=f"/api/documents/{doc_id}/file",
        pages=[{**page, "image": f"/api/documents/{doc_id}/pages/{page['number']}/image"
                if is_pdf else None} for page in doc["pages"]],
        entities=[{k: m[k] for k in ("key", "type", "name", "text", "page", "start", "end",
                                     "image", "confidence", "skill")} for m in doc["entities"]],
        images=[_image_view(doc_id, image, nodes.get(image["id"], {}))
                for image in doc["images"]])
    if tree:
        out["tree"] = doc["tree"]
    return out


@router.get("/documents/{doc_id}/thread", summary="The mail thread of a message document")
def document_thread(data: Data, doc_id: DocId) -> JSONResponse:
    thread = data.graph().thread(doc_id)
    if thread is None:
        data.document(doc_id)  # 404 when there is no such document
        raise ApiError(404, "not_a_message", f"document {doc_id!r} is not an e-mail message "
                       "(it has no Message-ID, In-Reply-To or References)")
    return _json(thread)


@router.get("/documents/{doc_id}/file", summary="The original file of a document",
            response_class=FileResponse)
def document_file(data: Data, doc_id: DocId,
                  download: Annotated[bool, Query(description="As an attachment.")] = False):
    doc = data.document(doc_id)
    original = data.original(doc)
    media = doc.get("content_type") or mimetypes.guess_type(original.name)[0] \
        or "application/octet-stream"
    inline = media in INLINE and not download
    headers = {"Cache-Control": "private, no-cache"}
    if media == "application/pdf":
        # Browsers refuse to show a PDF in a sandboxed document, and their viewers run
        # a PDF's scripts apart from this origin: no sandbox, but never framed.
        headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    if media.startswith("text/"):
        media += "; charset=utf-8"
    disposition = "inline" if inline else "attachment"
    if original.path is not None:
        return FileResponse(original.path, media_type=media, filename=original.name,
                            content_disposition_type=disposition, headers=headers)
    headers["Content-Disposition"] = (f"{disposition}; filename*=utf-8''"
                                      f"{quote(original.name, safe='')}")
    return Response(original.read(), media_type=media, headers=headers)


@router.get("/documents/{doc_id}/images/{image_id}", summary="An image of a document",
            response_class=Response)
def image(data: Data, doc_id: DocId, image_id: ImageId) -> Response:
    body, media = data.image(doc_id, image_id)
    return Response(body, media_type=media, headers={"Cache-Control": "private, max-age=60"})


@router.get("/documents/{doc_id}/images/{image_id}/thumbnail", response_class=Response,
            summary="A small copy of an image")
def thumbnail(data: Data, doc_id: DocId, image_id: ImageId,
              size: Annotated[int, Query(ge=16, le=512)] = 256) -> Response:
    body, media = data.thumbnail(doc_id, image_id, size)
    return Response(body, media_type=media, headers={"Cache-Control": "private, max-age=60"})


@router.get("/documents/{doc_id}/pages/{number}/image", response_class=Response,
            summary="A PDF page rendered as PNG")
def page_image(data: Data, doc_id: DocId, number: Annotated[int, Path(ge=1, le=100_000)],
               width: Annotated[int, Query(ge=100, le=2000)] = 1000) -> Response:
    return Response(data.page_image(doc_id, number, width), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=60"})


# --- runs --------------------------------------------------------------------------

@router.get("/status", summary="Counts, graph size and the latest runs")
def status(data: Data) -> Response:
    def answer() -> dict[str, Any]:
        store = data.store()
        with store.snapshot():
            out = {"stats": store.stats(), "runs": store.runs(5)}
        out["graph"] = data.graph().stats()
        return out
    return _remembered(data, ("status",), answer)


@router.get("/runs", summary="Run history, newest first")
def runs(data: Data, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    return _remembered(data, ("runs", limit), lambda: {"runs": data.store().runs(limit)})


@router.get("/runs/{run_id}", summary="One run with every per-document error and warning")
def run(data: Data, run_id: Annotated[str, Path(pattern=RUN_ID)]) -> JSONResponse:
    store = data.store()
    with store.snapshot():
        row = store.run(run_id)
        if row is None:
            raise ApiError(404, "not_found", f"no run {run_id!r}")
        row["errors"] = store.errors(run_id)
    return _json(row)


def _remembered(data: Corpus, key: tuple, make: Callable[[], Any], *, index: bool = False,
                clean: bool = True) -> Response:
    """``make()``'s JSON answer (see ``_json``), or its bytes remembered for ``key`` while
    the data has not changed (``Corpus.remember``; ``index``: the answer reads the search
    index too)."""
    return Response(data.remember(key, lambda: _json(make(), clean).body, index=index),
                    media_type="application/json")


def _json(value: Any, clean: bool = True) -> JSONResponse:
    """``value`` as a JSON answer, as it is: without a response model, whose encoding
    and validation would cost more than the query behind most answers. ``clean=False``
    for values known to hold only JSON types (no numpy numbers, no NaN)."""
    return JSONResponse(_clean(value) if clean else value)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None; numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
