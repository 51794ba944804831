"""``enrich cache prune``: keep the enrichment cache (``DATA/cache``) within bounds."""

from __future__ import annotations

from typing import Annotated

import typer

from indexers.stores import DataDir

from enrich.cache import prune_cache
from enrich.cli.app import app
from enrich.cli.common import (DataOption, JsonOption, console, data_dir, emit_json, human_size,
                               parse_size)

__all__ = ["cache_app"]

cache_app = typer.Typer(
    help="The enrichment cache in DATA/cache: the cracked documents and skill outputs "
         "`enrich index` reuses when the same bytes come again. It grows with the corpus; "
         "prune it here (deleting DATA/cache is always safe too).",
    no_args_is_help=True)
app.add_typer(cache_app, name="cache")

@cache_app.command("prune")
def prune_command(
    data: DataOption = None,
    max_size: Annotated[str | None, typer.Option(help="Evict the least recently used entries until the cached values take at most this much: bytes, or with a unit (500MB, 2GB).", show_default=False)] = None,
    older_than: Annotated[float | None, typer.Option(min=0, help="Evict the entries no run has used for this many days (before --max-size applies).", show_default=False)] = None,
    json_output: JsonOption = False,
) -> None:
    """Evict entries from the enrichment cache and give their space back.

    What goes is computed again when a run needs it. Say what to keep with --max-size,
    --older-than or both."""
    folder = DataDir(data_dir(data)).cache
    if max_size is None and older_than is None:
        raise typer.BadParameter("say what to keep: --max-size SIZE, --older-than DAYS, "
                                 "or both", param_hint="--max-size/--older-than")
    try:
        max_bytes = None if max_size is None else parse_size(max_size)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max-size") from None
    result = prune_cache(folder, max_bytes=max_bytes,
                         older_than=None if older_than is None else older_than * 86400)
    if json_output:
        emit_json(result)
        return
    removed, left = result["removed"], result["left"]
    console.print(f"removed {removed['entries']} entries ({human_size(removed['bytes'])}) from "
                  f"{result['path']}; {left['entries']} left ({human_size(left['bytes'])})",
                  highlight=False, soft_wrap=True)
