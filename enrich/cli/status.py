"""``enrich status``: what is in the index and how the latest runs went."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json
from enrich.status import status


@app.command("status")
def status_command(
    data: DataOption = None,
    runs: Annotated[int, typer.Option(help="How many recent runs to show.", min=1)] = 5,
    json_output: JsonOption = False,
) -> None:
    """Show counts, the top co-occurring entities and recent runs."""
    info = status(data_dir(data), runs=runs)
    if json_output:
        emit_json(info)
        return
    counts = ", ".join(f"{v} {k}" for k, v in info["stats"].items()
                       if not isinstance(v, dict) and v is not None)
    console.print(f"[bold]{escape(str(info['data_dir']))}[/]: {counts}", highlight=False)
    failed = info["stats"]["failed"]
    if failed["transient"] or failed["permanent"]:
        console.print(f"\n[bold]failed items[/]: {failed['transient']} transient (tried again "
                      f"next run), {failed['permanent']} permanent (tried again when they "
                      "change, or with `enrich index --retry-failed`)", highlight=False)
        for item in info["failed"][:10]:
            kind = "transient" if item["transient"] else "permanent"
            console.print(escape(f"  {kind} [{item['stage']}] {item['uri']}: {item['message']}"),
                          highlight=False, soft_wrap=True)
        if len(info["failed"]) > 10:
            console.print("  ... and more (`enrich status --json`)")
    if info["top_edges"]:
        console.print("\n[bold]top co-occurring entities[/] (documents in common)")
        for edge in info["top_edges"]:
            console.print(escape(f"  {edge['a_name']} — {edge['b_name']}: {edge['count']}"),
                          highlight=False)
    for run in info["runs"]:
        summary = run.get("summary") or {}
        docs = summary.get("documents", {})
        console.print(f"\nrun {run['id']} {run.get('status')} {run.get('started_at')}: "
                      + ", ".join(f"{v} {k}" for k, v in docs.items()), highlight=False)
        for error in (summary.get("errors") or [])[:5]:
            console.print(escape(f"  {error['severity']} {error['uri']}: {error['message']}"),
                          highlight=False)
