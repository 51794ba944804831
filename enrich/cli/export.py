"""``enrich export``: the store's tables as files (knowledge-store projections)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json, human_size
from enrich.export import TABLES, export_store


@app.command("export")
def export_command(
    out: Annotated[Path | None, typer.Option("--out", help="The folder to write the files to (required; created if missing; files of the same names in it are replaced).", show_default=False)] = None,
    format: Annotated[str, typer.Option("--format", help="jsonl (the default: nothing to install, nested values stay nested, one row a line that any tool can stream), parquet (typed and compressed, the best for pandas, DuckDB or Spark on large stores; needs pip install 'enrich[export]') or csv (flat: nested values as JSON text).")] = "jsonl",
    tables: Annotated[str, typer.Option("--tables", help="Comma-separated tables to write (default: all).")] = ",".join(TABLES),
    tree: Annotated[bool, typer.Option("--tree", help="Add each document's whole enrichment tree to documents (left out by default: it repeats the content, pages and entities, and is most of the store's size).")] = False,
    image_files: Annotated[bool, typer.Option("--image-files", help="Write each image's bytes to OUT/images/DOC/IMAGE.FORMAT; the images rows name the file.")] = False,
    data: DataOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write the store's tables to OUT, one file per table named after it
    (entities.jsonl, mentions.parquet...): documents, pages, images, entities,
    mentions (the rejected ones too, with no entity_key), edges and corrections.

    Rows are read from one snapshot of the store and written batch by batch, so memory
    stays flat however large the store; a file appears under its name only when it is
    complete. The columns of each file are listed in the README ("Exporting the
    knowledge store") and in `python -c "import enrich.export; help(enrich.export)"`."""
    folder = data_dir(data)
    if json_output:
        emit_json(export_store(folder, out, tables=tables, format=format, tree=tree,
                               image_files=image_files))
        return
    columns = (TextColumn("exporting {task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=None)
        summary = export_store(
            folder, out, tables=tables, format=format, tree=tree, image_files=image_files,
            progress=lambda table, done, total: bar.update(task, description=table,
                                                           completed=done, total=total))
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table("file", "rows", "size", title=None, box=None, pad_edge=False)
    table.columns[1].justify = table.columns[2].justify = "right"
    for item in summary["tables"]:
        table.add_row(escape(Path(item["file"]).name), f"{item['rows']:,}",
                      human_size(item["bytes"]))
    console.print(table)
    rows = sum(item["rows"] for item in summary["tables"])
    console.print(f"{rows:,} rows in {len(summary['tables'])} {summary['format']} files "
                  f"in {escape(summary['out'])} ({summary['seconds']:.1f} s)"
                  + (f", {summary['images']:,} image files" if summary["images"] else ""),
                  highlight=False)
