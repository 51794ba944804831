"""The app of one of several server processes (``enrich serve --workers N``).

uvicorn starts each worker process by importing an app factory, so what ``enrich
serve`` decided (data directory, index, keys file, hosts, origins, the cookie flag) goes
to the processes as JSON in ``ENRICH_SERVE_SPEC``, with the session secret they share
in ``ENRICH_SERVE_SECRET`` (hex: a session cookie made by one process is good on every
other). ``ENRICH_API_KEY`` reaches them as the environment it is. Each process opens its
own read-only store connections and search index, and notices new commits as a single
server does (``Corpus``); failed sign-ins are limited per process.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fastapi import FastAPI

__all__ = ["SPEC", "SECRET", "app_from_env", "spec_env"]

SPEC = "ENRICH_SERVE_SPEC"
SECRET = "ENRICH_SERVE_SECRET"


def spec_env(spec: dict[str, Any], secret: bytes, workers: int) -> dict[str, str]:
    """The environment that hands ``spec`` (create_app's arguments, a keys file's path
    instead of its keys) and the shared secret to the worker processes, and gives each
    its share of the cores for embedding queries."""
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    return {SPEC: json.dumps(spec), SECRET: secret.hex(), "ENRICH_QUERY_THREADS": str(threads)}


def app_from_env() -> FastAPI:
    """uvicorn's factory (``enrich.server.factory:app_from_env``)."""
    from enrich.config import get_setting
    from enrich.server import create_app
    from enrich.server.security_keys import load_keys

    spec = json.loads(os.environ[SPEC])
    keys_file = spec.pop("keys_file", None)
    return create_app(spec.pop("data_dir"), api_key=get_setting("api_key") or None,
                      keys=load_keys(keys_file) if keys_file else [],
                      session_secret=bytes.fromhex(os.environ[SECRET]), **spec)
