"""``enrich models list|pull``: the models a skillset needs, for offline use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from enrich.cli.app import app
from enrich.cli.common import JsonOption, console, emit_json
from enrich.config import SETTINGS, get_setting
from enrich.models import model_status, pull_models
from enrich.skillset import Skillset

models_app = typer.Typer(help="The models a skillset needs: list them, or pull them for offline use.",
                         no_args_is_help=True)
app.add_typer(models_app, name="models")

SkillsetOption = Annotated[Path | None, typer.Option(help=SETTINGS["skillset"].help)]


def _skillset(path: Path | None) -> Skillset:
    return Skillset.load(get_setting("skillset", path))


@models_app.command("list")
def list_command(skillset: SkillsetOption = None, json_output: JsonOption = False) -> None:
    """Show each model the skillset needs and whether it is present here."""
    rows = [s.to_dict() for s in model_status(_skillset(skillset))]
    if json_output:
        emit_json(rows)
        return
    for row in rows:
        mark = "[green]present[/]" if row["present"] else "[red]missing[/]"
        console.print(escape(f"{row['skill']:<12} {row['name']:<45} {row['source']:<12} ") + mark
                      + "  " + escape(str(row["where"] or row["install"])), highlight=False,
                      soft_wrap=True)


@models_app.command("pull")
def pull_command(skillset: SkillsetOption = None, json_output: JsonOption = False) -> None:
    """Download the skillset's missing Hugging Face models into the Hugging Face cache
    (HF_HOME), for machines without internet access; spaCy models and programs are
    listed with the command that installs them. Exits 1 when a download fails."""
    results = pull_models(_skillset(skillset))
    if json_output:
        emit_json(results)
    else:
        for row in results:
            console.print(escape(f"{row['skill']:<12} {row['name']:<45} {row['action']}"),
                          highlight=False, soft_wrap=True)
    if any(r["action"].startswith("failed") for r in results):
        raise typer.Exit(1)
