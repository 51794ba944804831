"""The HTTP API and web page of ``enrich serve`` (FastAPI; see ``API.md``)."""

from __future__ import annotations

from .app import create_app
from .errors import ApiError
from .security import allowed_hosts, check_exposure, is_loopback

__all__ = ["create_app", "ApiError", "allowed_hosts", "check_exposure", "is_loopback"]
