"""What the command modules share: the --data option, JSON output, clean failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from indexers.stores import DataDir

from enrich.config import SETTINGS, get_setting

__all__ = ["DataOption", "JsonOption", "data_dir", "emit_json", "fail", "console", "err_console"]

console = Console()
err_console = Console(stderr=True)

DataOption = Annotated[Path | None, typer.Option(
    "--data", help=SETTINGS["data"].help + " [default: ./enrich-data, or $ENRICH_DATA]",
    show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def data_dir(flag: Path | None, must_exist: bool = True) -> Path:
    path = Path(get_setting("data", flag))
    if must_exist and not DataDir(path).exists():
        fail(f"no index in {path}: run `enrich index SOURCE --data {path}` first")
    return path


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
