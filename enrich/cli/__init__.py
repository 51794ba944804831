"""The ``enrich`` command line: one Typer app, one module per command."""

from __future__ import annotations

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="enrich",
    help="Turn a pile of documents into a searchable index and a knowledge graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from enrich.cli import (entities, graph, index, models, search, serve,  # noqa: E402,F401
                        skills, status)  # (register commands)


def main() -> None:
    app()
