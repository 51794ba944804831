"""The graph's JSON API: entities, neighbours, evidence, ego graphs, the graph of a
search, the page's graph view and paths (see ``API.md``, "Graph").

Registered on its own router under ``/api`` (``app.py`` includes it next to
``routes.router``); parameters are bounded here (``Query(le=...)``, ``LIMITS``), and
every graph error becomes an ``ApiError`` (``_graph_call``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from graph import AmbiguousEntity, EntityNotFound, GraphError, NoPath
from graph.cooccurrence import RANKS, SCOPES

from .errors import ApiError
from .routes import (LIMITS, Data, Filters, Kind, SearchText, Syntax, _clean, _remembered,
                     _search)

__all__ = ["router"]

MAX_COUNT = 2**31 - 1  # a min_count beyond SQLite's integers is refused in the one error shape

router = APIRouter(prefix="/api")

Scope = Literal[SCOPES]  # type: ignore[valid-type]
Rank = Literal[RANKS]  # type: ignore[valid-type]
Entity = Annotated[str, Query(min_length=1, max_length=300,
                              description="An entity's name or key (TYPE:name).")]
NODE = ("name", "type", "documents", "mentions")  # what a view node carries of a card
EDGE = ("count", "documents", "npmi", "llr")


def _graph_call(method, *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except EntityNotFound as exc:
        raise ApiError(404, "entity_not_found", str(exc),
                       suggestions=[_clean(s) for s in exc.suggestions]) from None
    except AmbiguousEntity as exc:
        names = ", ".join(f"{c['key']!r} ({c['documents']} documents)" for c in exc.candidates)
        raise ApiError(400, "ambiguous_entity",
                       f"{exc.name!r} names {len(exc.candidates)} entities: {names}; pass one's "
                       "key instead of the name", candidates=[_clean(c) for c in exc.candidates]
                       ) from None
    except NoPath as exc:
        raise ApiError(404, "no_path", str(exc)) from None
    except (GraphError, ValueError) as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from None


def _nodes_edges(graph) -> dict[str, Any]:
    return {"nodes": [{"id": key, **attrs} for key, attrs in graph.nodes(data=True)],
            "edges": [{"source": a, "target": b,
                       **{k: v for k, v in attrs.items() if k not in ("weight", "scope")}}
                      for a, b, attrs in graph.edges(data=True)]}


@router.get("/graph/entity", summary="An entity's card: names, aliases, acronyms, labels")
def entity(data: Data, name: Entity, kind: Kind = None) -> Response:
    return _remembered(data, ("entity", name, kind),
                       lambda: _graph_call(data.graph().entity, name, kind))


@router.get("/graph/neighbors", summary="The entities co-occurring with one, strongest first")
def neighbors(data: Data, entity: Entity, kind: Kind = None, scope: Scope = "document",
              rank: Rank = "count",
              limit: Annotated[int, Query(ge=1, le=LIMITS["graph_limit"])] = 20,
              min_count: Annotated[int, Query(ge=1, le=MAX_COUNT)] = 1) -> Response:
    def answer() -> dict[str, Any]:
        kg = data.graph()
        card = _graph_call(kg.entity, entity)
        frame = _graph_call(kg.neighbors, card["key"], kind=kind, scope=scope, rank=rank,
                            limit=limit, min_count=min_count)
        return {"entity": card, "scope": scope, "rank": rank,
                "neighbors": frame.to_dict("records")}
    return _remembered(data, ("neighbors", entity, kind, scope, rank, limit, min_count), answer)


@router.get("/graph/evidence", summary="Where two entities meet: counts, scores, snippets")
def evidence(data: Data, a: Entity, b: Entity,
             limit: Annotated[int, Query(ge=1, le=LIMITS["graph_limit"])] = 10) -> Response:
    def answer() -> dict[str, Any]:
        found = _graph_call(data.graph().cooccurrence, a, b, limit=limit)
        found["evidence"] = [{"id": e.pop("doc_id"), **e} for e in found["evidence"]]
        return found
    return _remembered(data, ("evidence", a, b, limit), answer)


@router.get("/graph/ego", summary="An entity and its strongest neighbours, as nodes and edges")
def ego(data: Data, entity: Entity,
        radius: Annotated[int, Query(ge=1, le=LIMITS["radius"])] = 1,
        scope: Scope = "document", rank: Rank = "npmi",
        limit: Annotated[int, Query(ge=1, le=LIMITS["graph_limit"])] = 25,
        min_count: Annotated[int, Query(ge=1, le=MAX_COUNT)] = 1) -> Response:
    if limit ** radius > LIMITS["ego_reach"]:
        raise ApiError(400, "invalid_parameter",
                       f"radius {radius} with limit {limit} could reach {limit ** radius} "
                       f"entities at the last hop; keep limit ** radius at most "
                       f"{LIMITS['ego_reach']} (radius 2: limit up to "
                       f"{math.isqrt(LIMITS['ego_reach'])})", parameter="limit",
                       reason="too large for this radius")

    def answer() -> dict[str, Any]:
        kg = data.graph()
        center = _graph_call(kg.resolve, entity)
        graph = _graph_call(kg.ego_graph, center, radius=radius, scope=scope, rank=rank,
                            limit=limit, min_count=min_count)
        return {"center": center, "scope": scope, **_nodes_edges(graph)}
    return _remembered(data, ("ego", entity, radius, scope, rank, limit, min_count), answer)


@router.get("/graph/search", summary="The entities of a search's best matches, and their edges")
def graph_search(data: Data, q: SearchText = "", filter: Filters = [],  # noqa: B006
                 limit: Annotated[int, Query(ge=1, le=LIMITS["graph_limit"])] = 25,
                 scope: Scope = "document", kind: Kind = None,
                 syntax: Syntax = "lenient") -> Response:
    def answer() -> dict[str, Any]:
        found = _search(data, q, filter, top=LIMITS["matches"], highlight=False,
                        syntax=syntax, mode="keyword")
        ids = [hit["id"] for hit in found.results]
        graph = _graph_call(data.graph().documents_graph, ids, limit=limit, scope=scope,
                            kind=kind)
        return {"query": q, "matches": len(ids), "count": found.count, "scope": scope,
                **_nodes_edges(graph)}
    return _remembered(data, ("graph_search", q, filter, limit, scope, kind, syntax), answer,
                       index=True)


@router.get("/graph/view", summary="The graph the page draws: top entities and their edges, "
            "bounded, in one request")
def graph_view(data: Data, q: SearchText = "", filter: Filters = [],  # noqa: B006
               syntax: Syntax = "lenient", scope: Scope = "document", kind: Kind = None,
               limit: Annotated[int, Query(ge=1, le=LIMITS["view_nodes"], description=(
                   "Entities (nodes), those in most documents."))] = 50,
               min_count: Annotated[int, Query(ge=1, le=MAX_COUNT, description=(
                   "Edges sharing at least this many units of scope."))] = 1,
               min_npmi: Annotated[float | None, Query(ge=-1, le=1, description=(
                   "Edges with at least this NPMI."))] = None,
               max_edges: Annotated[int, Query(ge=1, le=LIMITS["view_edges"], description=(
                   "At most this many edges, the strongest (count, then NPMI)."))
                                    ] = LIMITS["view_edges"],
               communities: Annotated[bool, Query(description=(
                   "Number each node's Louvain community (0 = the largest)."))] = False
               ) -> Response:
    whole = q.strip() in ("", "*") and not filter

    def answer() -> dict[str, Any]:
        ids, count = None, None
        if whole:
            count = data.store().document_count()
        else:
            found = _search(data, q, filter, top=LIMITS["view_matches"], highlight=False,
                            syntax=syntax, mode="keyword")
            ids, count = [hit["id"] for hit in found.results], found.count
        graph = _graph_call(data.graph().view_graph, ids, limit=limit, scope=scope, kind=kind,
                            min_count=min_count, min_npmi=min_npmi, max_edges=max_edges,
                            communities=communities)
        return {"query": q, "matches": None if whole else len(ids), "count": count,
                "scope": scope, **_view_lists(graph), "more": graph.graph["more"],
                "dropped_edges": graph.graph["dropped_edges"],
                "limits": {"nodes": LIMITS["view_nodes"], "edges": LIMITS["view_edges"]}}
    return _remembered(data, ("view", q, filter, syntax, scope, kind, limit, min_count,
                              min_npmi, max_edges, communities), answer, index=not whole)


def _view_lists(graph) -> dict[str, list]:
    """The nodes of a ``view_graph`` in its order, its edges strongest first."""
    extra = ("degree", "community", "hits")
    return {"nodes": [{"id": key, **{k: attrs[k] for k in NODE + extra if k in attrs}}
                      for key, attrs in graph.nodes(data=True)],
            "edges": [{"source": a, "target": b,
                       **{k: attrs[k] for k in EDGE + ("hits",) if k in attrs}}
                      for a, b, attrs in sorted(graph.edges(data=True),
                                                key=lambda edge: edge[2]["rank"])]}


@router.get("/graph/path", summary="A shortest chain of co-occurrences between two entities")
def graph_path(data: Data, a: Entity, b: Entity, scope: Scope = "document",
               min_count: Annotated[int, Query(ge=1, le=MAX_COUNT)] = 1,
               max_hops: Annotated[int, Query(ge=1, le=LIMITS["hops"])] = 4) -> Response:
    def answer() -> dict[str, Any]:
        kg = data.graph()
        with kg.reader.snapshot():  # the cards are those of the path's entities
            ka, kb = _graph_call(kg.resolve, a), _graph_call(kg.resolve, b)
            hops = _graph_call(kg.path, ka, kb, scope=scope, min_count=min_count,
                               max_hops=max_hops)
            chain = [ka] + [hop["b"] for hop in hops]
            cards = kg.reader.cards(chain)
        for hop in hops:
            hop["evidence"] = [{"id": e.pop("doc_id"), **e} for e in hop["evidence"]]
        return {"a": ka, "b": kb, "hops": hops,
                "nodes": [{"id": key, **{k: cards[key][k] for k in NODE}} for key in chain],
                "edges": [{"source": hop["a"], "target": hop["b"],
                           **{k: hop[k] for k in EDGE}} for hop in hops]}
    return _remembered(data, ("path", a, b, scope, min_count, max_hops), answer)
