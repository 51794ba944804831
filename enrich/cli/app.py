"""The ``enrich`` Typer app and its root command group (kept apart from the package
``__init__``, which registers the commands, so no command module imports its importer).

Every expected failure is an :class:`~enrich.errors.EnrichError` (or an ``OSError``
from the file system, or SQLite's error for a damaged store file), and it is mapped here, once, for every command: one line on
stderr (``error E201: ...``) and exit code 2, never a traceback. The config file is
checked before any command runs, so a broken ``ENRICH_CONFIG`` fails every command
the same way, whatever flags it was given.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import typer
from typer.core import TyperGroup

from enrich.cli.common import fail_with
from enrich.config import config_file
from enrich.errors import EnrichError

__all__ = ["app"]


class _Commands(TyperGroup):
    """The root command group: maps every expected failure of a command to one line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            if not {"--help", "-h"} & set(ctx.args):  # (after the command's name)
                config_file()  # a broken config fails every command alike
            return super().invoke(ctx)
        except EnrichError as exc:
            fail_with(exc)
        except (OSError, sqlite3.DatabaseError) as exc:  # a file or a store that cannot be used
            fail_with(exc)


app = typer.Typer(
    name="enrich",
    cls=_Commands,
    help="Turn a pile of documents into a searchable index and a knowledge graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
