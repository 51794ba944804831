"""The FastAPI application: the JSON API, the web page, health and metrics.

``create_app(data_dir)`` builds an app serving one data directory (read-only, but
for the corrections of ``review_routes``, which a key of the write role makes);
``enrich serve`` runs it under uvicorn. Middleware, outermost first: metrics
(every request timed by route), security headers and body limits, gzip (answers over
1 KB, when the client accepts it), CORS (only when origins are configured). The API key check is a dependency of the ``/api`` routes
(``/api/health``, ``/api/auth`` and ``/api/login`` excepted) and of ``/metrics``.
"""

from __future__ import annotations

import mimetypes
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Sequence

from fastapi import Body, Depends, FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from enrich.review_apply import CorrectionWriter

from .corpus import Corpus
from .errors import ApiError, install_handlers
from .metrics import Metrics, MetricsMiddleware
from .graph_routes import router as graph_router
from .review_routes import router as review_router
from .routes import router
from .security import SESSION_COOKIE, Auth, JsonCORSMiddleware, SecurityHeaders, require_json
from .security_keys import ApiKey

__all__ = ["create_app", "STATIC"]

STATIC = Path(__file__).with_name("static")

DESCRIPTION = """Search, documents and the knowledge graph of an enrich data directory.

Every error answer is `{"error": {"status", "code", "message", "details"}}`. When the
server requires a key, send `Authorization: Bearer KEY` or `X-API-Key: KEY`."""


def _version() -> str:
    try:
        return version("enrich")
    except PackageNotFoundError:
        return "0"


def create_app(data_dir: str | Path, *, api_key: str | None = None,
               cors_origins: Sequence[str] = (), secure_cookie: bool = False,
               allowed_hosts: Sequence[str] | None = None,
               index_url: str | None = None, keys: Sequence[ApiKey] = (),
               local_user: str | None = None, auth_failures: str | None = None,
               session_hours: float | None = None,
               session_secret: bytes | None = None) -> FastAPI:
    """An app serving ``data_dir`` (searching the index ``index_url`` names, if given,
    instead of the data directory's: see ``indexers.stores.open_index``); ``api_key``
    and ``keys`` (a keys file's, with roles; if any) are required of every client, and
    ``allowed_hosts`` (if given) are the only Host names it answers to. Without keys,
    corrections are by ``local_user`` (default: the user running the server).
    ``auth_failures`` (a rate, ``10/minute``) and ``session_hours`` default to
    ``ENRICH_AUTH_FAILURES`` and ``ENRICH_SESSION_HOURS`` (see ``sessions``);
    ``session_secret`` keys the session cookies (the server's processes share one; by
    default a new one per app)."""
    auth = Auth(api_key, keys, local_user, failures=auth_failures,
                session_hours=session_hours, secret=session_secret)
    corpus = Corpus(data_dir, index_url)
    metrics = Metrics()
    app = FastAPI(title="enrich", version=_version(), description=DESCRIPTION,
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.corpus, app.state.auth, app.state.metrics = corpus, auth, metrics
    app.state.writer = CorrectionWriter(data_dir, index_url)
    install_handlers(app)
    app.include_router(router, dependencies=[Depends(auth)])
    app.include_router(graph_router, dependencies=[Depends(auth)])
    app.include_router(review_router, dependencies=[Depends(auth)])
    app.router.add_event_handler("shutdown", corpus.close)
    # The query models load in the background at start: the first hybrid searches
    # would otherwise wait seconds for them (requests answer meanwhile).
    app.router.add_event_handler("startup", corpus.warm_up_queries)
    if cors_origins:
        app.add_middleware(JsonCORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"], allow_credentials=True,
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(SecurityHeaders, allowed_hosts=allowed_hosts)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/api/health", summary="Liveness and what is indexed")
    def health() -> dict[str, Any]:
        return {"status": "ok", "documents": corpus.store().document_count(),
                "index_documents": corpus.index_count(), "ready": corpus.ready.is_set()}

    @app.get("/api/auth", summary="Whether a key is required, and whether this client has it")
    def auth_state(request: Request) -> dict[str, bool]:
        return {"required": auth.required, "authenticated": auth.authenticated(request)}

    @app.post("/api/login", status_code=204, response_class=Response,
              dependencies=[Depends(require_json)],
              summary="Trade the API key for a session cookie (for the web page)")
    def login(request: Request, key: Annotated[str, Body(embed=True, max_length=1024)]
              ) -> Response:
        found = auth.login(request, key)
        if auth.required and found is None:
            raise ApiError(401, "unauthorized", "wrong API key")
        response = Response(status_code=204)
        if found is not None:
            set_session(response, found)
        return response

    def set_session(response: Response, key: ApiKey) -> None:
        response.set_cookie(SESSION_COOKIE, auth.session_for(key), httponly=True,
                            samesite="strict", secure=secure_cookie, path="/",
                            max_age=auth.sessions.seconds)

    @app.middleware("http")
    async def renew_sessions(request: Request, call_next: Any) -> Response:
        """A session due for rotation (``Auth.identify``) gets a new cookie."""
        response = await call_next(request)
        renewed = getattr(request.state, "renew_session", None)
        if renewed is not None and response.status_code < 400:
            set_session(response, renewed)
        return response

    @app.post("/api/logout", status_code=204, response_class=Response,
              summary="Forget the session cookie")
    def logout() -> Response:
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=secure_cookie)
        return response

    @app.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(auth)],
             summary="Prometheus metrics")
    def prometheus() -> PlainTextResponse:
        gauges: dict[str, tuple[str, float]] = {}
        try:
            store = corpus.store()
            with store.snapshot():
                stats = store.stats()
            for name in ("documents", "entities", "edges", "index_pending", "runs"):
                gauges[f"enrich_{name}"] = (f"{name.replace('_', ' ').capitalize()} in the store.",
                                            stats[name])
        except ApiError:
            pass  # nothing indexed yet: request metrics only
        return PlainTextResponse(metrics.render(gauges),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    # The page is ES modules, which browsers refuse under any other MIME type, and
    # some systems (Windows' registry, an old /etc/mime.types) map .js to text/plain.
    mimetypes.add_type("text/javascript", ".js")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
