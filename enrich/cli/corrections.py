"""``enrich corrections``: correct entities, list, undo, and move corrections between corpora."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from graph.corrections import OPS

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json
from enrich.config import SETTINGS, get_setting
from enrich.corrections import correcting, local_user, read_corrections, write_corrections

__all__ = ["corrections_app", "IndexOption"]

corrections_app = typer.Typer(
    help="People's corrections of the entities: reject, retype, rename, merge, split, alias, "
         "accept. They apply at once (entities, mentions, edges, facets and search fields, no "
         "skill runs again), apply again after every re-index, and can be undone. "
         "README \"Corrections\" says what each one does.",
    no_args_is_help=True)
app.add_typer(corrections_app, name="corrections")

IndexOption = Annotated[str | None, typer.Option(
    "--index", help=SETTINGS["index"].help + " The one the corrections bring up to date.",
    show_default=False)]


def _show(rows: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in ("id", "op", "entity", "value", "where", "who", "at", "state"):
        table.add_column(column, overflow="fold")
    for row in rows:
        where = "" if row["doc_id"] is None else (
            f"{row['doc_id']}" + (f" p{row['page']}" if row["page"] is not None else "")
            + (f" @{row['start']}" if row["start"] is not None else ""))
        state = "active" if row["undone_at"] is None else f"undone {row['undone_at']}"
        table.add_row(*(escape(str(v)) for v in (row["id"], row["op"], row["entity"],
                                                 row["value"] or "", where, row["who"],
                                                 row["at"], state)))
    console.print(table)


@corrections_app.command("add")
def add_command(
    op: Annotated[str, typer.Argument(help=f"One of: {', '.join(OPS)}.", show_default=False)],
    entity: Annotated[str, typer.Argument(help="The entity: its key (ORG:acme) or a name "
                                               "that denotes exactly one entity.",
                                          show_default=False)],
    type: Annotated[str | None, typer.Option("--type", help="retype: the new type (PERSON, ORG, GPE, ...).", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", help="rename: the new canonical name.", show_default=False)] = None,
    into: Annotated[str | None, typer.Option("--into", help="merge: the entity it joins; split: where the mention goes (default: its own key).", show_default=False)] = None,
    alias: Annotated[str | None, typer.Option("--alias", help="alias: another name of the entity; mentions with that name join it.", show_default=False)] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="reject: only in this document (its id); split: the mention's document.", show_default=False)] = None,
    page: Annotated[int | None, typer.Option("--page", min=0, help="split: the mention's page.", show_default=False)] = None,
    start: Annotated[int | None, typer.Option("--start", min=0, help="split: the mention's start offset.", show_default=False)] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the record.", show_default=False)] = None,
    data: DataOption = None,
    index: IndexOption = None,
    json_output: JsonOption = False,
) -> None:
    """Make one correction and apply it at once.

    Examples: `enrich corrections add merge "ORG:acme" --into "ORG:acme corp"`,
    `enrich corrections add retype "Jordan" --type GPE`, `enrich corrections add reject
    "ORG:the" --reason "not a name"`."""
    item: dict[str, Any] = {"op": op, "entity": entity}
    for field, value in (("type", type), ("name", name), ("into", into), ("alias", alias),
                         ("doc", doc), ("page", page), ("start", start), ("reason", reason)):
        if value is not None:
            item[field] = value
    with correcting(data_dir(data), get_setting("index", index)) as store:
        row = store.correct(item, local_user())
    if json_output:
        emit_json(row)
        return
    before = row["before"]
    console.print(f"correction {row['id']}: {escape(row['op'])} {escape(row['entity'])}"
                  + (f" -> {escape(row['target'])}" if row["target"] else "")
                  + f" ({before.get('mentions', 0)} mentions before)")


@corrections_app.command("list")
def list_command(
    all: Annotated[bool, typer.Option("--all", help="Include the undone corrections.")] = False,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """The corrections in the order they apply (active ones; --all for the undone too)."""
    from indexers.stores import DataDir, SqliteStore
    with SqliteStore(DataDir(data_dir(data)).store, read_only=True) as store:
        rows = store.corrections(None if all else True)
    if json_output:
        emit_json(rows)
    else:
        _show(rows, f"{len(rows)} correction(s)")


@corrections_app.command("undo")
def undo_command(
    ids: Annotated[list[int], typer.Argument(help="The ids `enrich corrections list` shows.",
                                             show_default=False)],
    data: DataOption = None,
    index: IndexOption = None,
    json_output: JsonOption = False,
) -> None:
    """Undo corrections: the entities become what the other corrections make them."""
    with correcting(data_dir(data), get_setting("index", index)) as store:
        rows = store.undo_correction(ids, local_user())
    if json_output:
        emit_json(rows)
    else:
        console.print(f"undid {len(rows)} correction(s): "
                      + ", ".join(str(row["id"]) for row in rows))


@corrections_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="The JSONL file to write.", show_default=False,
                                         dir_okay=False)],
    data: DataOption = None,
) -> None:
    """Write the active corrections to FILE (JSON Lines), for `enrich corrections import`
    into another data directory."""
    from indexers.stores import DataDir, SqliteStore
    with SqliteStore(DataDir(data_dir(data)).store, read_only=True) as store:
        rows = store.corrections(True)
    n = write_corrections(file, rows)
    console.print(f"wrote {n} correction(s) to {escape(str(file))}")


@corrections_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A JSONL file: one correction a line.",
                                         dir_okay=False, show_default=False)],
    data: DataOption = None,
    index: IndexOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every line against this corpus and apply nothing.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Apply the corrections of FILE, all or none: every bad line is reported (its number
    and why) and then nothing is applied. Each keeps the who and when it was exported
    with (the local user and now when it has none)."""
    root = data_dir(data)
    lines = read_corrections(file)
    with correcting(root, get_setting("index", index)) as store:
        rows = store.correct_many([item for _, item in lines], local_user(), dry_run=dry_run,
                                  labels=[f"line {n}" for n, _ in lines], authored=True)
    if json_output:
        emit_json(rows)
    else:
        verb = "checked (nothing applied)" if dry_run else "imported"
        console.print(f"{verb} {len(rows)} correction(s)")
