"""One JSON error shape for every 4xx and 5xx answer of the HTTP API.

``{"error": {"status": 400, "code": "bad_query", "message": "...", "details": {...}}}``;
``details`` is always present. Handlers turn FastAPI's own errors (unknown routes,
validation of parameters, wrong methods) into it, and ``SecurityHeaders`` does the
same for any unexpected exception (500), so a client parses one shape whatever went
wrong (tests/server/test_error_shape.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["ApiError", "error_body", "install_handlers", "CODES"]


# The code of an answer that only has a status (a route or method Starlette refused).
CODES = {400: "invalid_parameter", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 408: "request_timeout", 410: "file_gone",
         411: "length_required", 413: "payload_too_large",
         415: "unsupported_media_type", 500: "internal_error", 503: "no_index"}


class ApiError(Exception):
    """An error answer: ``raise ApiError(404, "not_found", "no document 'x'")``."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_body(status: int, code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message,
                      "details": details or {}}}


def _response(status: int, code: str, message: str, details: dict | None = None,
              headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, details), status_code=status,
                        headers=headers)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if exc.status == 429 and "retry_after" in exc.details:
        headers = {"Retry-After": str(exc.details["retry_after"])}
    return _response(exc.status, exc.code, exc.message, exc.details, headers)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return _response(exc.status_code, CODES.get(exc.status_code, "error"), message,
                     headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if not isinstance(part, int)]
        location = [str(part) for part in loc[1:]] or [str(p) for p in loc[:1]]
        problems.append({"parameter": ".".join(location) or None, "reason": error.get("msg", "")})
    first = problems[0] if problems else {"parameter": None, "reason": "invalid request"}
    message = (f"parameter {first['parameter']!r}: {first['reason']}" if first["parameter"]
               else first["reason"])
    return _response(400, "invalid_parameter", message, {**first, "problems": problems})


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
