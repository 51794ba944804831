"""What the command modules share: the --data option, JSON output, clean failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from indexers.crackers.limits import parse_size
from indexers.stores import DataDir

from enrich.config import SETTINGS, get_setting
from enrich.errors import EnrichError

__all__ = ["DataOption", "JsonOption", "data_dir", "emit_json", "human_size", "fail", "fail_with",
           "parse_size", "console", "err_console"]

console = Console()
err_console = Console(stderr=True)

DataOption = Annotated[Path | None, typer.Option(
    "--data", help=SETTINGS["data"].help + " [default: ./enrich-data, or $ENRICH_DATA]",
    show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def data_dir(flag: Path | None, must_exist: bool = True) -> Path:
    """The data directory the flag, environment or config file name; with ``must_exist``
    a :class:`~enrich.errors.DataDirError` when it holds no store."""
    path = DataDir(get_setting("data", flag))
    if must_exist:
        path.require()
    return path.root


def human_size(size: float) -> str:
    """``512 B``, ``1.5 MB``: bytes in powers of 1024, for tables and summaries."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError  # unreachable


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line, ``error: MESSAGE``, on stderr and exit (2: the input was wrong).

    The message is printed as it is: brackets in it (``pip install 'enrich[ray]'``,
    ``[stage]``, URIs) are text, never Rich markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def fail_with(exc: BaseException) -> NoReturn:
    """The one line for an expected failure: its code and message (an EnrichError), or
    the OS's reason (a file that cannot be read or written)."""
    if isinstance(exc, EnrichError):
        label, message = f"error {exc.code}:", str(exc)
    else:
        label, message = "error:", f"{type(exc).__name__}: {exc}"
    err_console.print(Text.assemble((label, "bold red"), " ", " ".join(message.split())),
                      soft_wrap=True)
    raise typer.Exit(2)
