"""The review queue and corrections over HTTP (see ``API.md``, "Review and corrections").

``GET /api/review`` is the queue of ``enrich.review`` with who is asking and whether
they may write; ``POST /api/corrections`` (one correction or a list, all or nothing),
``GET /api/corrections`` and ``POST /api/corrections/{id}/undo`` write through
``enrich.review_apply.CorrectionWriter``, then tell the corpus to reload the search
index, so the next read of any endpoint shows the corrected entities (the store's
readers see every commit). Writes need a key of the ``write`` role and a JSON body.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from graph.corrections import CorrectionError
from indexers.stores import DataDirBusyError, StoreError

from enrich.errors import DataDirError
from enrich.review import review_queue, review_types
from enrich.review_apply import CorrectionWriter

from .errors import ApiError
from .graph_routes import _graph_call
from .routes import Data, _clean
from .security import Principal, require_json

__all__ = ["router", "MAX_CORRECTIONS"]

router = APIRouter(prefix="/api")

MAX_CORRECTIONS = 100  # in one POST


def _who(request: Request) -> Principal:
    return request.app.state.auth(request)


def _writer(request: Request) -> Principal:
    return request.app.state.auth.writer(request)


Who = Annotated[Principal, Depends(_who)]
Writer = Annotated[Principal, Depends(_writer)]


@router.get("/review", summary="The review queue: entities most worth a decision first")
def review(data: Data, who: Who,
           limit: Annotated[int, Query(ge=1, le=200)] = 50,
           evidence: Annotated[int, Query(ge=0, le=10)] = 3) -> JSONResponse:
    store = data.store()
    items = review_queue(store, limit=limit, evidence=evidence)
    return JSONResponse(_clean({
        "items": [item.to_dict() for item in items], "count": len(items),
        "types": review_types(store),
        "user": {"name": who.name, "role": who.role, "can_write": who.can_write}}))


@router.get("/corrections", summary="The corrections made, oldest first")
def corrections(data: Data,
                active: Annotated[bool | None, Query(description="Only active (true) or "
                                                     "undone (false) ones.")] = None
                ) -> JSONResponse:
    return JSONResponse(_clean({"corrections": data.store().corrections(active=active)}))


@router.post("/corrections", status_code=201, dependencies=[Depends(require_json)],
             summary="Make corrections (one, or a list: all or nothing) and apply them")
def correct(request: Request, who: Writer,
            body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()]) -> JSONResponse:
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > MAX_CORRECTIONS:
        raise ApiError(400, "invalid_parameter", f"send 1 to {MAX_CORRECTIONS} corrections "
                       f"at a time, not {len(items)}", parameter="body", reason="count")
    rows = _write(request, lambda writer: writer.correct(items, who.name))
    return JSONResponse(_clean({"corrections": rows}), status_code=201)


@router.post("/corrections/{correction_id}/undo", dependencies=[Depends(require_json)],
             summary="Undo an active correction")
def undo(request: Request, who: Writer,
         correction_id: Annotated[int, Path(ge=1, le=2 ** 62)]) -> JSONResponse:
    row = _write(request, lambda writer: writer.undo(correction_id, who.name))
    return JSONResponse(_clean({"correction": row}))


def _write(request: Request, action: Callable[[CorrectionWriter], Any]) -> Any:
    """Run a write, its errors as API errors; the corpus reloads the index after it."""
    state = request.app.state
    try:
        return _graph_call(_apply, state.writer, action)  # unknown, ambiguous entities
    finally:
        state.corpus.changed()


def _apply(writer: CorrectionWriter, action: Callable[[CorrectionWriter], Any]) -> Any:
    try:
        return action(writer)
    except CorrectionError as exc:
        status, code = (404, "not_found") if isinstance(exc, KeyError) else \
            (400, "invalid_correction")
        raise ApiError(status, code, str(exc), error=exc.code) from None
    except DataDirBusyError as exc:
        raise ApiError(409, "busy", f"{exc} (nothing was changed; try again when the run "
                       "has finished)") from None
    except DataDirError as exc:
        raise ApiError(503, "no_index", str(exc)) from None
    except StoreError as exc:
        raise ApiError(503, "index_unavailable", f"the store or search index cannot be "
                       f"written now: {exc}") from None
