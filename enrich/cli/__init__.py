"""The ``enrich`` command line: one Typer app (:mod:`enrich.cli.app`), one module per
command. Importing this package registers every command."""

from __future__ import annotations

from enrich.cli import (cache, corrections, entities, eval, export, graph, index, models,  # noqa: F401
                        review, search, serve, skills, status, train)  # (register commands)
from enrich.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
