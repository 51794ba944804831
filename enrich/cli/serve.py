"""``enrich serve``: the HTTP API and web page over a data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from enrich.cli.app import app
from enrich.cli.common import DataOption, console, data_dir
from enrich.config import SETTINGS, get_setting


@app.command("serve")
def serve_command(
    data: DataOption = None,
    host: Annotated[str | None, typer.Option(help=SETTINGS["host"].help + f" [default: {SETTINGS['host'].default}]", show_default=False)] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help=SETTINGS["port"].help + f" [default: {SETTINGS['port'].default}]", show_default=False)] = None,
    cors_origin: Annotated[list[str] | None, typer.Option(help=SETTINGS["cors_origins"].help + " Repeatable.")] = None,
    allowed_host: Annotated[list[str] | None, typer.Option(help=SETTINGS["allowed_hosts"].help + " Repeatable.")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")] = "info",
    index: Annotated[str | None, typer.Option("--index", help=SETTINGS["index"].help)] = None,
    keys: Annotated[Path | None, typer.Option("--keys", help=SETTINGS["api_keys_file"].help + " Also $ENRICH_API_KEYS_FILE.", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Server processes answering requests side by side, each with its own read-only store and index handles (default: the number of cores). A session cookie is good on all of them.", show_default=False)] = None,
) -> None:
    """Serve search, documents and the graph over HTTP, with a web page at /.

    The data directory is read, and written only by corrections (a key of the write
    role, or anyone on loopback without keys), so an `enrich index` run can update it
    meanwhile. --index serves a search index other than the data directory's (the one
    `enrich index --index` filled); documents and the graph come from the data directory.
    A malformed --index, one overlapping the data directory, or a backend whose package
    is not installed fails before serving. A key ($ENRICH_API_KEY) is required of
    clients when set (role write), as is a key of the --keys file (role read or write),
    and a key is needed when --host is beyond loopback. The API is described at /api/openapi.json.
    """
    import uvicorn

    from indexers.stores import DataDir, check_index

    from enrich.server import allowed_hosts, check_exposure, create_app, is_loopback
    from enrich.server.factory import spec_env
    from enrich.server.security_keys import load_keys

    host = get_setting("host", host)
    port = get_setting("port", port)
    key = get_setting("api_key") or None
    origins = cors_origin or _split(get_setting("cors_origins"))
    hosts = allowed_host or _split(get_setting("allowed_hosts"))
    keys_file = get_setting("api_keys_file", keys)
    named = load_keys(keys_file) if keys_file else []
    check_exposure(host, key, named)
    path = data_dir(data, must_exist=False)
    index_url = get_setting("index", index)
    check_index(path, index_url)  # a bad URL or a missing package: now, not per request
    if not DataDir(path).exists():
        console.print(f"[yellow]nothing is indexed in {path} yet[/]: searches answer 503 "
                      f"until `enrich index SOURCE --data {path}` has run", highlight=False)
    spec = {"data_dir": str(path), "cors_origins": list(origins),
            "secure_cookie": not is_loopback(host), "allowed_hosts": allowed_hosts(host, hosts),
            "index_url": index_url}
    workers = workers or os.cpu_count() or 1
    where = f"[{host}]" if ":" in host else host
    searching = f" (search index {index_url})" if index_url else ""
    console.print(f"serving [bold]{path}[/]{searching} at http://{where}:{port}/ with "
                  f"{workers} process{'es' if workers > 1 else ''} "
                  f"({_keys_line(key, named)}; Ctrl+C stops)",
                  highlight=False)
    options = {"host": host, "port": port, "log_level": log_level, "server_header": False,
               "proxy_headers": False}
    if workers == 1:
        uvicorn.run(create_app(path, api_key=key, keys=named, **{
            k: v for k, v in spec.items() if k != "data_dir"}), **options)
        return
    spec["keys_file"] = str(keys_file) if keys_file else None
    os.environ.update(spec_env(spec, secrets.token_bytes(32), workers))  # processes read it
    uvicorn.run("enrich.server.factory:app_from_env", factory=True, workers=workers,
                **options)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _keys_line(key: str | None, named: list) -> str:
    if not key and not named:
        return "no API key: corrections on loopback are by the local user"
    writers = sum(1 for k in named if k.role == "write") + (1 if key else 0)
    return (f"API key required: {len(named) + (1 if key else 0)} key(s), {writers} of the "
            "write role")
