"""``enrich entities [QUERY]``: look entities up, or list the most documented."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, emit_json
from enrich.cli.graph import KindOption, open_graph


@app.command("entities")
def entities_command(
    query: Annotated[str | None, typer.Argument(
        help="A name, loosely written ('lebron james', 'FBI', 'Lebr'); without one, the "
             "entities found in the most documents.")] = None,
    kind: KindOption = None,
    limit: Annotated[int, typer.Option(help="Entities to show.", min=1)] = 20,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """Find entities by name (exact, acronym, prefix, then fuzzy matches); an old key
    whose mentions were moved (a type vote, a merge) finds where they went."""
    with open_graph(data) as kg:
        frame = kg.entities(query, kind=kind, limit=limit)
    rows = frame.to_dict(orient="records")
    if json_output:
        emit_json(rows)
        return
    if not rows:
        console.print(escape(f"no entity matches {query!r}") if query else "no entities yet",
                      highlight=False)
        return
    columns = list(frame.columns)
    table = Table(title=escape(f"entities matching {query!r}") if query else "top entities")
    for column in columns:
        table.add_column(column, justify="right" if column in ("documents", "mentions")
                         else "left")
    for row in rows:
        table.add_row(*(escape(str(row[c])) for c in columns))
    console.print(table)
