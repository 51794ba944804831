"""``enrich review``: the review queue, and deciding on it from the keyboard."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from enrich.cli.app import app
from enrich.cli.common import DataOption, JsonOption, console, data_dir, emit_json
from enrich.cli.corrections import IndexOption
from enrich.corrections import local_user
from enrich.config import get_setting
from enrich.review import ReviewItem, review_queue
from enrich.review_session import HELP, ReviewSession


@app.command("review")
def review_command(
    data: DataOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Items to show, most worth a decision first.")] = 20,
    evidence: Annotated[int, typer.Option(min=0, max=10, help="Evidence sentences per item.")] = 3,
    list_only: Annotated[bool, typer.Option("--list", help="Only list the queue, even in a terminal.")] = False,
    index: IndexOption = None,
    json_output: JsonOption = False,
) -> None:
    """The review queue: the entities (and names rejected as common words) whose
    correction would change the graph most, times how doubtful they are (low
    confidence, type disagreement, near-duplicate names, common words), each with the
    signals, a suggested correction and evidence sentences.

    In a terminal (without --json or --list) it then asks, item by item, for one key:
    a=accept  r=reject  t=retype (asks the type)  m=merge (asks the target; Enter takes
    the suggestion)  l=alias (asks it)  s=skip  u=undo the last decision  q=quit. Each
    decision is a correction by the local user, applied at once to the store and the
    search index (as `enrich corrections add` would); `enrich corrections list` shows
    them."""
    path = data_dir(data)
    items = _queue(path, limit, evidence)
    if json_output:
        emit_json([item.to_dict() for item in items])
        return
    if not items:
        console.print("nothing to review: no entity has a doubt the queue looks for")
        return
    _table(items)
    if list_only or not (sys.stdin.isatty() and console.is_terminal):
        return
    summary = session(path, items, get_setting("index", index)).run()
    console.print(f"{len(summary['corrections'])} correction(s), {summary['skipped']} "
                  f"skipped, {summary['undone']} undone, {summary['left']} left")


def _queue(path: Path, limit: int, evidence: int) -> list[ReviewItem]:
    from indexers.stores import DataDir, SqliteStore
    with SqliteStore(DataDir(path).store, read_only=True) as store:
        return review_queue(store, limit=limit, evidence=evidence)


def session(path: Path, items: list[ReviewItem], index_url: str | None,
            read_key=click.getchar, ask=None) -> ReviewSession:
    """The keyboard session over ``items``, writing to ``path`` as the local user."""
    from enrich.review_apply import CorrectionWriter
    writer, user = CorrectionWriter(path, index_url), local_user()
    return ReviewSession(
        items, apply=lambda c: writer.correct([c], user)[0],
        undo=lambda i: writer.undo(i, user), read_key=read_key,
        ask=ask or (lambda text, default: click.prompt(text, default=default or "",
                                                       show_default=bool(default))),
        show=show, say=lambda text: console.print(escape(text), highlight=False))


def _signals(item: ReviewItem) -> str:
    return ", ".join(f"{name} {s['value']:.2f}" for name, s in item.signals.items())


def _suggestion(item: ReviewItem) -> str:
    s = item.suggestion
    value = next((s[k] for k in ("into", "type", "alias", "name") if k in s), None)
    return s.get("op", "") + (f" {value}" if value else "")


def _table(items: list[ReviewItem]) -> None:
    table = Table(title="review queue")
    for column in ("#", "key", "name", "mentions", "docs", "score", "signals", "suggestion"):
        table.add_column(column, overflow="fold",
                         justify="right" if column in ("#", "mentions", "docs", "score") else "left")
    for n, item in enumerate(items, 1):
        table.add_row(str(n), escape(item.key), escape(item.name), str(item.mentions),
                      str(item.documents), f"{item.score:.2f}", escape(_signals(item)),
                      escape(_suggestion(item)))
    console.print(table)


def show(item: ReviewItem, at: int, total: int) -> None:
    """One item: what it is, its signals, the suggestion and its evidence sentences."""
    what = "name rejected as a common word" if item.kind == "rejected" else item.type
    console.print(Text.assemble(("\n", ""), (f"[{at + 1}/{total}] ", "dim"),
                                (item.name, "bold"), f"  {item.key} ({what}), "
                                f"{item.mentions} mentions in {item.documents} documents"))
    console.print(Text(f"  signals: {_signals(item)}; suggestion: {_suggestion(item)}"))
    for ev in item.evidence:
        console.print(Text.assemble("  “", ev["before"], (ev["text"], "reverse"), ev["after"],
                                    "”", (f"  {ev.get('title') or ev['doc_id']}"
                                          + (f" p{ev['page']}" if ev.get("page") else ""),
                                          "dim")))
    console.print(Text(f"  {HELP}", style="dim"))
